"""Reads of the cross-department check; every one starts from `scoped(...)` and does its select_related once."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from assistance.checks.models import (
    RESOLVED,
    ApplicationCheck,
    Authorisation,
    CheckRun,
    DataItem,
    Delivery,
    Department,
    DepartmentToken,
    Finding,
    FindingAction,
)
from assistance.models import Application
from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.people.models import HouseholdMember, Person


def application_for_user(user, pk: int) -> Application:
    return get_object_or_404(
        scoped(Application.objects.select_related("household", "applicant", "programme", "division"), user), pk=pk
    )


def current_members(application) -> QuerySet[HouseholdMember]:
    return (
        HouseholdMember.objects.filter(household_id=application.household_id, left_on__isnull=True)
        .select_related("person")
        .order_by("id")
    )


def members_missing_authorisation(application) -> list[Person]:
    authorised = Authorisation.objects.filter(
        household_id=application.household_id, revoked_on__isnull=True
    ).values_list("person_id", flat=True)
    return [m.person for m in current_members(application).exclude(person_id__in=authorised)]


def authorisations(application) -> QuerySet[Authorisation]:
    return Authorisation.objects.filter(household_id=application.household_id).select_related("person", "recorded_by")


def application_findings(application) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(application_id=application.pk)
        .select_related("person", "item", "item__category", "department", "record__delivery")
        .order_by("person_id", "item__sort_order")
    )


def application_summary(application) -> ApplicationCheck | None:
    return ApplicationCheck.objects.filter(application_id=application.pk).select_related("last_run").first()


def runs_for_application(application, limit: int = 10) -> list[CheckRun]:
    from assistance.checks.models import CheckRunSubject

    ids = CheckRunSubject.objects.filter(application_id=application.pk).values_list("run_id", flat=True)
    return list(CheckRun.objects.filter(pk__in=ids).select_related("requested_by").order_by("-id")[:limit])


def finding_for_user(user, pk: int) -> Finding:
    return get_object_or_404(
        scoped(
            Finding.objects.select_related(
                "person", "item", "department", "record__delivery", "application", "resolved_by"
            ),
            user,
        ),
        pk=pk,
    )


def finding_actions(finding) -> QuerySet[FindingAction]:
    return finding.actions.select_related("acting_user").order_by("id")


def runs_for_user(user) -> QuerySet[CheckRun]:
    return scoped(CheckRun.objects.select_related("requested_by"), user).order_by("-id")


def run_for_user(user, pk: int) -> CheckRun:
    return get_object_or_404(runs_for_user(user), pk=pk)


def open_findings_for_user(user) -> QuerySet[Finding]:
    return (
        scoped(Finding.objects.exclude(resolution__in=RESOLVED), user)
        .select_related("person", "item", "department", "application__applicant")
        .order_by("-updated_at", "-id")
    )


def catalogue() -> QuerySet[DataItem]:
    return DataItem.objects.select_related("department", "category").order_by("department__sort_order", "sort_order")


def departments() -> QuerySet[Department]:
    return Department.objects.annotate(item_count=Count("items")).order_by("sort_order")


def deliveries() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("department", "received_by", "token").order_by("-id")


def tokens() -> QuerySet[DepartmentToken]:
    return DepartmentToken.objects.select_related("department", "created_by").order_by("department__sort_order", "-id")


REPORT_SQL = """
SELECT d.sort_order, d.name, left(f.division_id, 6) AS district, dv.name,
       count(*) FILTER (WHERE f.outcome = 'noncompliant') AS noncompliant,
       count(*) FILTER (WHERE f.outcome = 'suspect') AS suspect,
       count(*) FILTER (WHERE f.outcome = 'compliant') AS compliant,
       count(*) FILTER (WHERE f.resolution IN ('open', 'disputed')) AS unresolved,
       count(*) FILTER (WHERE f.resolution = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE f.resolution = 'explained') AS explained
FROM checks_finding f
JOIN checks_department d ON d.id = f.department_id
LEFT JOIN people_division dv ON dv.code = left(f.division_id, 6)
WHERE f.division_id LIKE %(prefix)s AND f.resolution <> 'withdrawn'
  AND (%(since)s::date IS NULL OR f.as_of >= %(since)s::date)
GROUP BY d.sort_order, d.name, left(f.division_id, 6), dv.name
ORDER BY d.sort_order, district
"""

REPORT_COLUMNS = (
    "department",
    "district_code",
    "district",
    "noncompliant",
    "suspect",
    "compliant",
    "unresolved",
    "confirmed",
    "explained",
)


def findings_report(user, since=None) -> list[dict]:
    """Findings by department and district inside the user's area (set-based, one query)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return []
    with connection.cursor() as cur:
        cur.execute(REPORT_SQL, {"prefix": prefix + "%", "since": since})
        rows = cur.fetchall()
    return [dict(zip(REPORT_COLUMNS, row[1:], strict=True)) for row in rows]


def finding_counts(application) -> dict:
    return Finding.objects.filter(application_id=application.pk).aggregate(
        noncompliant=Count("id", filter=Q(outcome="noncompliant")),
        suspect=Count("id", filter=Q(outcome="suspect")),
        compliant=Count("id", filter=Q(outcome="compliant")),
        unresolved=Count("id", filter=~Q(resolution__in=RESOLVED)),
    )
