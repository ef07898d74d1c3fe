"""Versioned rule tables: every threshold, list and deadline that DOMAIN.md marks [config].

A rule table is a concrete subclass of `VersionedRule`. Each row is one version of one rule, in force from its
`effective_from` until a later version of the same rule (same `version_key` values) takes over. Versions are never
edited or deleted: a change is a new row with a later date, so a decision taken in March can always be explained by
the rule that was in force in March (`in_force(on=...)`).

    @audited
    class GradeThreshold(VersionedRule):
        version_key = ("grade",)
        grade = models.PositiveSmallIntegerField(...)
        minimum_total = models.PositiveSmallIntegerField(...)

        class Meta(VersionedRule.Meta):
            verbose_name = _("star grade threshold")

    GradeThreshold.objects.in_force(on=date)          # one row per grade, the version in force that day
    GradeThreshold.current(grade=3, on=date)          # that one row, or None

A rule that differs by place has a `division` field in its `version_key`. The city admin edits every rule table on
one kernel page (`/rules/`, `rules_views.py`) through `rule_add_version`; seed defaults with `seed_defaults` from a
data migration or the app's reference loader, dated at the start of the register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dalian_minzheng.accounts import policy
from dalian_minzheng.accounts.scope import require

# The fields every rule table has; the rest of a model's fields are the rule's own values.
BASE_FIELDS = ("id", "effective_from", "note", "created_by", "created_at")


class VersionedRuleQuerySet(models.QuerySet):
    def in_force(self, *, on: dt.date | None = None) -> models.QuerySet:
        """One row per rule (per `version_key`): the latest version with `effective_from <= on` (today by default).
        A plain queryset of the model, so callers filter, order and join it further."""
        on = on or timezone.localdate()
        key = self.model.version_key
        same_rule = {name: OuterRef(name) for name in key}
        latest = (
            self.model._default_manager.filter(effective_from__lte=on, **same_rule)
            .order_by("-effective_from", "-id")
            .values("id")[:1]
        )
        return self.filter(effective_from__lte=on, id=Subquery(latest))


class VersionedRule(models.Model):
    # The fields that name one rule; versions of the same rule share them. Empty: the table is one rule.
    version_key: tuple[str, ...] = ()

    effective_from = models.DateField(_lazy("effective from"))
    note = models.CharField(_lazy("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_lazy("entered by"),
    )
    created_at = models.DateTimeField(_lazy("entered at"), default=timezone.now, editable=False)

    objects = VersionedRuleQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-effective_from", "-id"]

    @classmethod
    def current(cls, *, on: dt.date | None = None, **key):
        """The version of one rule in force on `on` (today by default), or None when none is."""
        return cls.objects.filter(**key).in_force(on=on).first()

    @classmethod
    def value_fields(cls) -> list[models.Field]:
        return [f for f in cls._meta.concrete_fields if f.name not in BASE_FIELDS]


def rule_tables() -> list[type[VersionedRule]]:
    """Every concrete rule table in the project, by app and name (the /rules/ page lists them)."""
    tables = [m for m in apps.get_models() if issubclass(m, VersionedRule)]
    return sorted(tables, key=lambda m: (m._meta.app_label, str(m._meta.verbose_name)))


def rule_table(label: str) -> type[VersionedRule] | None:
    """The rule table with this `app_label.ModelName` label (case-insensitive), or None."""
    for model in rule_tables():
        if model._meta.label_lower == label.lower():
            return model
    return None


def rule_add_version(*, acting_user, model: type[VersionedRule], effective_from: dt.date, values: dict,
                     note: str = "") -> VersionedRule:
    """A new version of one rule (only the city admin sets rules). A version dated before today would rewrite
    what was in force when past decisions were taken, so it is refused; so is a second version of the same rule
    for the same day (the unique check runs under a lock on the rule's existing versions)."""
    from django.core.exceptions import ValidationError

    require(acting_user, roles=policy.CITY_ADMIN_ROLES)
    if effective_from < timezone.localdate():
        raise ValidationError(
            _("A rule cannot take effect in the past: past decisions were taken under the rule then in force.")
        )
    key = {name: values.get(name) for name in model.version_key}
    with transaction.atomic():
        list(model.objects.select_for_update().filter(**key).values_list("id", flat=True))
        if model.objects.filter(effective_from=effective_from, **key).exists():
            raise ValidationError(_("This rule already has a version taking effect on that day."))
        row = model(effective_from=effective_from, note=note, created_by=acting_user, **values)
        row.full_clean()
        row.save()
    return row


def rule_in_force(model: type[VersionedRule], *, on: dt.date | None = None, **key) -> VersionedRule:
    """The version of a rule in force, or a ValidationError saying the city admin has left none (never a silent 0)."""
    from django.core.exceptions import ValidationError

    found = model.current(on=on, **key)
    if found is None:
        raise ValidationError(
            _("No rule “%(rule)s” is in force on that day; the city admin sets it on the rule tables page.")
            % {"rule": model._meta.verbose_name}
        )
    return found


def seed_defaults(model: type[VersionedRule], rows: Iterable[dict], *, effective_from: dt.date,
                  note: str = "DOMAIN.md default") -> int:
    """Insert the default versions that are not there yet (idempotent: a rule with any version is left alone)."""
    created = 0
    # a data migration passes its historical model, which has the fields but not the class's version_key
    version_key = getattr(model, "version_key", None)
    if version_key is None:
        version_key = apps.get_model(model._meta.app_label, model._meta.object_name).version_key
    for values in rows:
        key = {name: values[name] for name in version_key}
        if not model.objects.filter(**key).exists():
            model.objects.create(effective_from=effective_from, note=note, **values)
            created += 1
    return created
