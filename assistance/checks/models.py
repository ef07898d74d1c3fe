"""Cross-department data checks (家庭经济状况核对).

The catalogue (departments, categories, data items with their rules and thresholds) is data that the city admin
edits. Departments deliver records (by file or API); each record is kept with its delivery and as-of date, and the
newest per (ID number, item) is the current one. The matching engine joins current records to the authorised
members of the applications being checked and upserts one Finding per (application, member, item) that has a
record. A caseworker resolves every finding that is not 符合 before the approval gate opens.

DepartmentRecord and Finding are written set-based (millions of rows) and are not audited row by row: records are
an append-only history themselves, and every human action on a finding is a FindingAction, which is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dalian_minzheng.audit.tracking import audited
from dalian_minzheng.people.models import Household, Person, division_field


class Outcome(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    NONCOMPLIANT = "noncompliant", _("Not compliant")
    SUSPECT = "suspect", _("Doubtful, needs review")


class RuleKind(models.TextChoices):
    # evidence only: recorded and shown, always compliant (e.g. household registration, resident medical insurance)
    INFO = "info", _("Information only")
    # any record with a value above zero (or no value) gives the outcome
    ANY = "any", _("Any record")
    # the member's value above the threshold gives the outcome
    ABOVE = "above", _("Value above threshold")
    # the household's total above N months of the programme standard × household size gives the outcome
    HOUSEHOLD_MONTHS = "household_months", _("Household total above N months of the standard")


@audited
class Department(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("data shared"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


@audited
class Category(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


@audited
class DataItem(models.Model):
    """One shared data item and the rule that turns a department's record into an outcome."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="items"
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="items")
    unit = models.CharField(_("unit of the value"), max_length=20, blank=True)
    rule = models.CharField(_("rule"), max_length=20, choices=RuleKind.choices, default=RuleKind.ANY)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "For 'value above threshold': the limit. For 'N months of the standard': the monthly standard used "
            "when the programme has none configured."
        ),
    )
    threshold_months = models.DecimalField(
        _("months of the standard"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    outcome_on_hit = models.CharField(
        _("outcome when the rule applies"), max_length=16, choices=Outcome.choices, default=Outcome.SUSPECT
    )
    exempt_attribute = models.CharField(
        _("exempting attribute"),
        max_length=40,
        blank=True,
        help_text=_("A record whose attributes have this key set to true is compliant (e.g. disabled_mobility)."),
    )
    counts_as_income = models.BooleanField(_("value counts as income"), default=False)
    marks_employed = models.BooleanField(_("a record means the member is employed"), default=False)
    description = models.CharField(_("rule in words"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data item")
        verbose_name_plural = _("data items")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


@audited
class Authorisation(models.Model):
    """A household member's signed authorisation (授权书). No check runs for a member without a current one."""

    person = models.ForeignKey(Person, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    division = division_field()
    signed_on = models.DateField(_("signed on"))
    scan = models.FileField(_("signed scan"), upload_to="checks/authorisations/%Y/%m/", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        ordering = ["household_id", "person_id", "-signed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "household"], condition=Q(revoked_on__isnull=True), name="authorisation_one_current"
            )
        ]
        indexes = [
            models.Index(fields=["division"], name="authorisation_div_prefix", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.signed_on}"


@audited
class DepartmentToken(models.Model):
    """An API token of one department. Only the SHA-256 of the token is stored; the token is shown once."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tokens"
    )
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token starts with"), max_length=8, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("department API token")
        verbose_name_plural = _("department API tokens")
        ordering = ["department_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.department} · {self.name} ({self.prefix}…)"


class DeliverySource(models.TextChoices):
    API = "api", _("API")
    FILE = "file", _("File upload")


@audited
class Delivery(models.Model):
    """One delivery of a department, kept whole. `delivery_ref` is the department's own id: a delivery received
    twice is stored once."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="deliveries"
    )
    delivery_ref = models.CharField(_("delivery id"), max_length=64)
    as_of = models.DateField(_("data as of"))
    source = models.CharField(_("source"), max_length=8, choices=DeliverySource.choices)
    file = models.FileField(_("file"), upload_to="checks/deliveries/%Y/%m/", max_length=200, blank=True)
    payload_sha256 = models.CharField(max_length=64, editable=False)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    current_count = models.PositiveIntegerField(_("records now current"), default=0)
    token = models.ForeignKey(
        DepartmentToken, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("token")
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "delivery_ref"], name="delivery_once_per_department_ref")
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.delivery_ref} ({self.as_of})"


class DepartmentRecord(models.Model):
    """One value of one item for one ID number in one delivery. Never updated except `is_current`: a newer
    delivery (later as-of date, then later delivery) supersedes the current record of the same ID number and item,
    and the older row stays as history."""

    # the unique (delivery, item, ID number) index serves the delivery foreign key; no index of its own
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="records", db_index=False)
    item = models.ForeignKey(DataItem, on_delete=models.PROTECT, related_name="+", db_index=False)
    id_number = models.CharField(_("ID number"), max_length=18)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    as_of = models.DateField(_("as of"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        verbose_name = _("department record")
        verbose_name_plural = _("department records")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "item", "id_number"], name="record_once_per_delivery"),
            # the join key of the matching engine: at most one current record per ID number and item
            models.UniqueConstraint(
                fields=["id_number", "item"], condition=Q(is_current=True), name="record_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {self.as_of}"


class RunKind(models.TextChoices):
    APPLICATION = "application", _("Application check")
    SCHEDULED = "scheduled", _("Scheduled re-check of active cases")
    RECHECK = "recheck", _("Re-check after a dispute")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


@audited
class CheckRun(models.Model):
    """One execution of the matching engine over a fixed set of applications (CheckRunSubject), in chunks.
    `cursor` is the last application id whose chunk committed: a run resumed after a crash continues after it."""

    kind = models.CharField(_("kind"), max_length=12, choices=RunKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    division = division_field()
    chunk_size = models.PositiveIntegerField(_("applications per chunk"), default=2000)
    total = models.PositiveIntegerField(_("applications"), default=0)
    done = models.PositiveIntegerField(_("applications checked"), default=0)
    cursor = models.BigIntegerField(default=0)
    members_checked = models.PositiveIntegerField(_("members checked"), default=0)
    members_missing_authorisation = models.PositiveIntegerField(_("members without authorisation"), default=0)
    compliant = models.PositiveIntegerField(_("compliant"), default=0)
    noncompliant = models.PositiveIntegerField(_("not compliant"), default=0)
    suspect = models.PositiveIntegerField(_("doubtful"), default=0)
    new_findings = models.PositiveIntegerField(_("new findings to resolve"), default=0)
    reviews_opened = models.PositiveIntegerField(_("reviews opened"), default=0)
    # Second phase: statuses and reviews handed to the casework services, one application at a time (they lock
    # and record a timeline event per application), after all matching has committed.
    matched_at = models.DateTimeField(_("matching finished at"), null=True, blank=True)
    handoff_total = models.PositiveIntegerField(_("applications to hand to casework"), default=0)
    handoff_done = models.PositiveIntegerField(_("applications handed to casework"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    celery_task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("check run")
        verbose_name_plural = _("check runs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["division"], name="checkrun_div_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        """Matching counts for 90 % of the bar, the hand-off to casework for the rest."""
        if self.status == RunStatus.DONE:
            return 100
        matching = self.done / self.total if self.total else 0
        handoff = self.handoff_done / self.handoff_total if self.handoff_total else 0
        return int(matching * 90 + (handoff * 10 if self.matched_at else 0))


class CheckRunSubject(models.Model):
    """The applications a run covers, fixed when the run is created so that a resumed run checks the same set."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey("assistance.Application", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "application"], name="run_subject_once")]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.application_id}"


class Resolution(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Nothing to resolve")
    OPEN = "open", _("To resolve")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed, re-check requested")
    EXPLAINED = "explained", _("Explanation accepted")
    WITHDRAWN = "withdrawn", _("No longer applies")


RESOLVED = (Resolution.NOT_REQUIRED, Resolution.CONFIRMED, Resolution.EXPLAINED, Resolution.WITHDRAWN)


class Finding(models.Model):
    """The result for one member and one item of one application, with its evidence. Upserted by the engine:
    identical evidence leaves the row (and its resolution) untouched; changed evidence re-opens it."""

    # Three indexes only (primary key, the unique key led by the application, the division prefix): every extra
    # index is paid per row on each of the hundreds of thousands of upserts of a run.
    application = models.ForeignKey(
        "assistance.Application", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    person = models.ForeignKey(
        Person, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    item = models.ForeignKey(
        DataItem, verbose_name=_("data item"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # department, division and the run ids are copies the engine writes from the item, the application and the run:
    # no foreign-key trigger per row for them (hundreds of thousands of rows per run)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    division = division_field(db_constraint=False, db_index=False)
    record = models.ForeignKey(DepartmentRecord, on_delete=models.PROTECT, related_name="+", db_index=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2, null=True, blank=True)
    household_total = models.DecimalField(_("household total"), max_digits=16, decimal_places=2, null=True, blank=True)
    limit_applied = models.DecimalField(_("limit applied"), max_digits=16, decimal_places=2, null=True, blank=True)
    income_counted = models.DecimalField(_("counted as income"), max_digits=16, decimal_places=2, null=True, blank=True)
    employed = models.BooleanField(_("shows employment"), default=False)
    as_of = models.DateField(_("as of"))
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices)
    first_run = models.ForeignKey(
        CheckRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    changed_run = models.ForeignKey(
        CheckRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["application_id", "person_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "person", "item"], name="finding_once_per_member_item")
        ]
        indexes = [
            models.Index(fields=["division"], name="finding_div_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} · {self.get_outcome_display()}"

    @property
    def needs_resolution(self) -> bool:
        return self.resolution not in RESOLVED


class FindingActionKind(models.TextChoices):
    CONFIRM = "confirm", _("Confirm the finding")
    DISPUTE = "dispute", _("Dispute with evidence and re-check")
    EXPLAIN = "explain", _("Accept an explanation")


@audited
class FindingAction(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="actions")
    division = division_field()
    kind = models.CharField(_("action"), max_length=10, choices=FindingActionKind.choices)
    note = models.TextField(_("note"))
    evidence = models.FileField(_("evidence"), upload_to="checks/evidence/%Y/%m/", max_length=200, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("finding action")
        verbose_name_plural = _("finding actions")
        ordering = ["finding_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d}"


class ApplicationCheck(models.Model):
    """The latest check summary of one application (one row per application, upserted by the engine)."""

    application = models.OneToOneField("assistance.Application", on_delete=models.CASCADE, related_name="+")
    division = division_field(db_index=False)
    last_run = models.ForeignKey(CheckRun, on_delete=models.PROTECT, related_name="+", db_index=False)
    members_total = models.PositiveSmallIntegerField(default=0)
    members_checked = models.PositiveSmallIntegerField(default=0)
    missing_person_ids = models.JSONField(default=list, blank=True)
    open_findings = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField()
    # set by the engine with the findings, cleared when casework has the new status (and review) — in one transaction
    handoff_status = models.CharField(max_length=16, blank=True)
    review_run = models.ForeignKey(
        CheckRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("application check")
        verbose_name_plural = _("application checks")
        indexes = [
            models.Index(fields=["application"], condition=~Q(handoff_status=""), name="appcheck_handoff_pending")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.checked_at:%Y-%m-%d}"
