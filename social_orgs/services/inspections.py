"""Annual inspections: the city admin opens a year; organisations submit; the authority concludes; missing and late
filers are found set-based and proposed for the abnormal-activity list."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import CITY_ADMIN_ROLES
from dalian_minzheng.accounts.scope import require, scope_prefix
from dalian_minzheng.core import workdays
from dalian_minzheng.core.dates import add_months
from social_orgs.models import (
    AnnualInspection,
    Conclusion,
    InspectionCalendar,
    InspectionGround,
    InspectionStatus,
    InspectionYear,
    ListingGround,
    ListingRule,
    ListingSource,
    Organisation,
    OrgEventKind,
    OrgStatus,
)
from social_orgs.services.common import (
    SOCIAL_ORG_DECISION_ROLES,
    guard,
    list_entry,
    locked_org,
    rule,
    timeline,
)

# The organisations that must file for a year: active, and registered at least `minimum_months` at 31 December,
# i.e. on or before 31 December minus those months (PostgreSQL clamps to the month's end, as core.dates does).
ACTIVE_STATUSES = (OrgStatus.REGISTERED, OrgStatus.SUSPENDED)
REQUIRED_SQL = """
    o.status IN ('registered', 'suspended')
    AND o.registered_on <= (make_date(y.year, 12, 31) - make_interval(months => y.minimum_months))::date"""


@transaction.atomic
def inspection_year_open(*, acting_user, year: int) -> InspectionYear:
    """The city admin opens the inspection of `year`'s work with the calendar in force on 1 January after it."""
    require(acting_user, roles=CITY_ADMIN_ROLES)
    if year > timezone.localdate().year:
        raise ValidationError({"year": _("A year's inspection opens once the year has begun.")})
    calendar = rule(InspectionCalendar, on=dt.date(year + 1, 1, 1))
    try:
        with transaction.atomic():
            return InspectionYear.objects.create(
                year=year,
                supervisor_due=dt.date(year + 1, calendar.supervisor_due_month, calendar.supervisor_due_day),
                authority_due=dt.date(year + 1, calendar.authority_due_month, calendar.authority_due_day),
                minimum_months=calendar.minimum_months,
                opened_by=acting_user,
            )
    except IntegrityError:
        raise ValidationError({"year": _("The inspection of this year is already open.")}) from None


def filing_cutoff(inspection_year: InspectionYear) -> dt.date:
    """The last registration day that still files for the year (the same rule as REQUIRED_SQL)."""
    return add_months(dt.date(inspection_year.year, 12, 31), -inspection_year.minimum_months)


def required_filers(inspection_year: InspectionYear) -> Q:
    return Q(status__in=ACTIVE_STATUSES, registered_on__lte=filing_cutoff(inspection_year))


def must_file(organisation: Organisation, inspection_year: InspectionYear) -> bool:
    return organisation.status in ACTIVE_STATUSES and organisation.registered_on <= filing_cutoff(inspection_year)


@transaction.atomic
def inspection_submit(
    *, acting_user, org_id: int, year: int, submitted_on: dt.date, supervisor_reviewed_on: dt.date | None = None
) -> AnnualInspection:
    organisation = locked_org(org_id)
    guard(acting_user, organisation)
    inspection_year = InspectionYear.objects.filter(year=year).first()
    if inspection_year is None:
        raise ValidationError({"year": _("The inspection of this year has not been opened.")})
    if not must_file(organisation, inspection_year):
        raise ValidationError(
            _("This organisation does not file for %(year)s (registered less than %(n)s months at 31 December, or "
              "no longer active).") % {"year": year, "n": inspection_year.minimum_months}
        )  # fmt: skip
    if submitted_on > timezone.localdate():
        raise ValidationError({"submitted_on": _("The date cannot be in the future.")})
    if submitted_on <= dt.date(year, 12, 31):
        raise ValidationError({"submitted_on": _("The report on a year is submitted after the year ends.")})
    existing = AnnualInspection.objects.filter(organisation=organisation, inspection_year=inspection_year).first()
    if existing is not None:
        raise ValidationError(
            _("The report for %(year)s was already received on %(day)s.") % {"year": year, "day": existing.submitted_on}
        )
    inspection = AnnualInspection.objects.create(
        organisation=organisation,
        inspection_year=inspection_year,
        submitted_on=submitted_on,
        supervisor_reviewed_on=supervisor_reviewed_on,
        late=submitted_on > inspection_year.authority_due,
    )
    text = _("Report for %(year)s received") % {"year": year}
    if inspection.late:
        text += " · " + _("filed late (due %(day)s)") % {"day": inspection_year.authority_due}
    timeline(organisation, OrgEventKind.INSPECTION, text, acting_user)
    return inspection


@transaction.atomic
def inspection_conclude(
    *, acting_user, inspection_id: int, conclusion: str, grounds: list[str], concluded_on: dt.date
) -> AnnualInspection:
    """合格 / 基本合格 / 不合格: below 合格 names its grounds from the checklist and requires a rectification report;
    不合格 proposes an entry on the abnormal-activity list."""
    inspection = AnnualInspection.objects.select_for_update().select_related("inspection_year").get(pk=inspection_id)
    organisation = locked_org(inspection.organisation_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if inspection.status == InspectionStatus.CONCLUDED:
        raise ValidationError(
            _("This inspection is already concluded (%(c)s).") % {"c": inspection.get_conclusion_display()}
        )
    if conclusion not in Conclusion.values:
        raise ValidationError({"conclusion": _("Choose a conclusion.")})
    if concluded_on < inspection.submitted_on or concluded_on > timezone.localdate():
        raise ValidationError({"concluded_on": _("The conclusion falls between the submission and today.")})
    known = set(InspectionGround.objects.in_force(on=concluded_on).values_list("code", flat=True))
    unknown = [g for g in grounds if g not in known]
    if unknown:
        raise ValidationError({"grounds": _("Unknown ground: %(g)s.") % {"g": "、".join(unknown)}})
    if conclusion != Conclusion.QUALIFIED and not grounds:
        raise ValidationError({"grounds": _("A conclusion below qualified names its grounds from the checklist.")})
    inspection.conclusion = conclusion
    inspection.grounds = list(dict.fromkeys(grounds)) if conclusion != Conclusion.QUALIFIED else []
    inspection.status = InspectionStatus.CONCLUDED
    inspection.concluded_on = concluded_on
    inspection.concluded_by = acting_user
    inspection.rectification_required = conclusion != Conclusion.QUALIFIED
    inspection.save()
    timeline(
        organisation,
        OrgEventKind.INSPECTION,
        f"{inspection.inspection_year.year} · {inspection.get_conclusion_display()}",
        acting_user,
    )
    if conclusion == Conclusion.FAILED:
        list_entry(
            organisation, "report_noncompliant", found_on=concluded_on, source=ListingSource.INSPECTION,
            reference=str(inspection.inspection_year.year), actor=acting_user,
        )  # fmt: skip
    return inspection


@transaction.atomic
def inspection_rectification_report(*, acting_user, inspection_id: int, reported_on: dt.date, text: str):
    inspection = AnnualInspection.objects.select_for_update().get(pk=inspection_id)
    organisation = locked_org(inspection.organisation_id)
    guard(acting_user, organisation)
    if not inspection.rectification_required:
        raise ValidationError(_("This inspection requires no rectification report."))
    if not text.strip():
        raise ValidationError({"text": _("Enter the rectification report.")})
    if reported_on < (inspection.concluded_on or inspection.submitted_on) or reported_on > timezone.localdate():
        raise ValidationError({"reported_on": _("The report falls between the conclusion and today.")})
    inspection.rectification_reported_on = reported_on
    inspection.rectification_text = text.strip()
    inspection.save(update_fields=["rectification_reported_on", "rectification_text"])
    timeline(organisation, OrgEventKind.INSPECTION, _("Rectification report received"), acting_user)
    return inspection


def inspection_propose_listings(*, acting_user, year: int, on: dt.date | None = None) -> int:
    """Every missing and late filer of `year`, proposed for the abnormal-activity list in two INSERT … SELECT
    statements (idempotent: an open entry for the same ground stands). Only after the authority's deadline."""
    require(acting_user, roles=SOCIAL_ORG_DECISION_ROLES)
    on = on or timezone.localdate()
    inspection_year = InspectionYear.objects.filter(year=year).first()
    if inspection_year is None:
        raise ValidationError(_("The inspection of this year has not been opened."))
    if on <= inspection_year.authority_due:
        raise ValidationError(
            _("Missing filers are known after the deadline (%(day)s).") % {"day": inspection_year.authority_due}
        )
    ground = rule(ListingGround, on=on, code="report_missing")
    due = workdays.add_workdays(on, rule(ListingRule, on=on).entry_workdays)
    prefix = scope_prefix(acting_user) or ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH y AS (SELECT * FROM social_orgs_inspectionyear WHERE year = %(year)s),
            offenders AS (
                SELECT o.id, o.division_id FROM social_orgs_organisation o, y
                WHERE {REQUIRED_SQL} AND o.division_id LIKE %(prefix)s
                  AND NOT EXISTS (SELECT 1 FROM social_orgs_annualinspection i
                                  WHERE i.organisation_id = o.id AND i.inspection_year_id = y.id AND NOT i.late)
            ),
            new AS (
                INSERT INTO social_orgs_listing (organisation_id, list_kind, ground, ground_text, source, status,
                    found_on, due_on, ended_on, end_reason, reference, decided_by_id)
                SELECT id, %(kind)s, %(ground)s, %(text)s, 'inspection', 'proposed', %(on)s, %(due)s, NULL, '',
                       %(ref)s, NULL
                FROM offenders
                ON CONFLICT (organisation_id, list_kind, ground) WHERE status IN ('proposed', 'listed') DO NOTHING
                RETURNING organisation_id
            ),
            logged AS (
                INSERT INTO social_orgs_organisationtimelineentry (organisation_id, kind, text, actor_id, at)
                SELECT organisation_id, 'listing', %(log)s, %(user)s, now() FROM new
            )
            SELECT count(*) FROM new""",
            {
                "year": year, "prefix": prefix + "%", "kind": ground.list_kind, "ground": ground.code,
                "text": ground.text, "on": on, "due": due, "ref": str(year), "user": acting_user.pk,
                "log": f"{_('Proposed')} · {ground.text} ({year})",
            },
        )  # fmt: skip
        created = cursor.fetchone()[0]
    InspectionYear.objects.filter(pk=inspection_year.pk).update(listings_proposed_at=timezone.now())
    return created
