from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people import idnumbers


class HukouType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class DivisionLevel(models.IntegerChoices):
    CITY = 1, _("City")
    DISTRICT = 2, _("District / county")
    STREET = 3, _("Street / town")
    COMMUNITY = 4, _("Community / village")


@audited
class Division(models.Model):
    """An administrative division. The code is the key, and records point at it by code, so a subtree is a
    `LIKE 'prefix%'` on the record's own column (see `scope_prefix`) with no join."""

    code = models.CharField(_("division code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent division"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        indexes = [models.Index(fields=["code"], name="division_code_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_prefix(self) -> str:
        """Codes of everything inside this division start with this prefix (the city 210200 → '2102')."""
        if self.level == DivisionLevel.CITY:
            return self.code[:4]
        return self.code

    def contains(self, code: str | None) -> bool:
        return bool(code) and code.startswith(self.scope_prefix)

    @property
    def district(self) -> Division | None:
        node = self
        while node is not None and node.level > DivisionLevel.DISTRICT:
            node = node.parent
        return node if node is not None and node.level == DivisionLevel.DISTRICT else None


def division_field(**kwargs) -> models.ForeignKey:
    """The FK every scoped record uses; its column holds the division code."""
    kwargs.setdefault("verbose_name", _("division"))
    return models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+", **kwargs)


@audited(statement_level=True)
class Person(models.Model):
    # Unique through Meta.constraints: `unique=True` would add a second, varchar_pattern_ops index that nothing
    # uses (ID numbers are only ever looked up whole; the last-4 search has its own index).
    id_number = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)  # indexed in Meta (one pattern_ops index for = and prefix)
    # Derived from the ID number by the service that creates the person, never typed twice.
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    hukou_type = models.CharField(_("hukou type"), max_length=8, choices=HukouType.choices, default=HukouType.URBAN)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    division = division_field(db_index=False)  # indexed in Meta: one varchar_pattern_ops index, not two
    is_deceased = models.BooleanField(_("deceased"), default=False)
    # Recorded once, by people.services.person_record_death (eldercare, funeral and assistance all read it).
    died_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["id"]
        # Scope (division_id LIKE 'prefix%'), name and phone searches are equality or prefix matches: one
        # varchar_pattern_ops index each serves both, under any collation (db_index=True would make two per column,
        # which costs at 300,000 rows of COPY). The last-4 search has its own expression index.
        indexes = [
            models.Index(fields=["division"], name="person_division_pattern", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="person_name_pattern", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone"], name="person_phone_pattern", opclasses=["varchar_pattern_ops"]),
            models.Index(Right("id_number", 4), name="person_id_last4"),
        ]
        constraints = [models.UniqueConstraint(fields=["id_number"], name="person_id_number_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_id_number})"

    @property
    def masked_id_number(self) -> str:
        return idnumbers.mask(self.id_number)

    @property
    def age(self) -> int:
        import datetime as dt

        today = dt.date.today()
        return (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other relative")


@audited(statement_level=True)
class Household(models.Model):
    # Both indexed in Meta: the head by its unique constraint, the division by one varchar_pattern_ops index (a
    # plain FK index on each would be a duplicate that every insert pays for).
    head = models.ForeignKey(
        Person, verbose_name=_("head of household"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    division = division_field(db_index=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hukou_type = models.CharField(_("hukou type"), max_length=8, choices=HukouType.choices, default=HukouType.URBAN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["division"], name="household_division_pattern", opclasses=["varchar_pattern_ops"])
        ]
        constraints = [models.UniqueConstraint(fields=["head"], name="household_one_per_head")]

    def __str__(self) -> str:
        return _("Household of %(name)s") % {"name": self.head.name}


@audited(statement_level=True)
class HouseholdMember(models.Model):
    """Membership with history: leaving sets `left_on`; a person is in at most one current household."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(_("relationship to head"), max_length=16, choices=Relationship.choices)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Not indexed: nothing looks memberships up by who recorded them (an index would be paid on every insert).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(left_on__isnull=True), name="person_one_current_household"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_relationship_display()}"
