"""Reads of the social-organisation register, every one scoped to the user's division (accounts.scope.scoped); the
public look-up is the one read without a user and shows no personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from dalian_minzheng.accounts.scope import scope_prefix, scoped
from dalian_minzheng.core.rules import rule_in_force
from social_orgs.models import (
    AnnualInspection,
    CaseStep,
    Decision,
    EnforcementCase,
    EvaluationApplication,
    EvaluationRule,
    InspectionYear,
    Listing,
    ListingStatus,
    ListKind,
    Organisation,
    OrgStatus,
    OrgType,
    ProblemCategory,
    ProjectPayment,
    ProjectStatus,
    ServiceProject,
)
from social_orgs.models.credit import ACTIVE as ACTIVE_LISTING
from social_orgs.services.inspections import REQUIRED_SQL, required_filers


def _active_listing(kind: str):
    return Exists(Listing.objects.filter(organisation=OuterRef("pk"), list_kind=kind, status=ListingStatus.LISTED))


def _get(qs: QuerySet, pk: int):
    try:
        return qs.get(pk=pk)
    except qs.model.DoesNotExist:
        raise Http404 from None


def organisation_list(
    *, user, q: str = "", org_type: str = "", status: str = "", division: str = "", grade: str = "", listed: str = ""
) -> QuerySet:
    qs = scoped(Organisation.objects.select_related("division"), user).annotate(
        on_abnormal=_active_listing(ListKind.ABNORMAL), on_serious=_active_listing(ListKind.SERIOUS)
    )
    q = q.strip()
    if q:
        qs = qs.filter(credit_code=q.upper()) if len(q) == 18 and q.isalnum() else qs.filter(
            Q(name__startswith=q) | Q(name__contains=q) | Q(credit_code__startswith=q.upper())
        )  # fmt: skip
    if org_type:
        qs = qs.filter(org_type=org_type)
    if status:
        qs = qs.filter(status=status)
    if division and division.isdigit():
        qs = qs.filter(division__code__startswith=division)
    if grade == "none":
        qs = qs.filter(evaluation_grade__isnull=True)
    elif grade == "3plus":
        qs = qs.filter(evaluation_grade__gte=3)
    elif grade.isdigit():
        qs = qs.filter(evaluation_grade=int(grade))
    if listed in (ListKind.ABNORMAL, ListKind.SERIOUS):
        qs = qs.filter(**{f"on_{listed}": True})
    return qs.order_by("division_id", "name", "id")


def organisation_get(*, user, pk: int) -> Organisation:
    return _get(scoped(Organisation.objects.select_related("division", "legal_representative"), user), pk)


def organisation_page(*, organisation: Organisation) -> dict:
    """Everything about one organisation, in a fixed number of queries."""
    return {
        "timeline": list(organisation.timeline.select_related("actor")[:300]),
        "inspections": list(organisation.inspections.select_related("inspection_year")[:20]),
        "listings": list(organisation.listings.all()[:50]),
        "evaluations": list(organisation.evaluations.all()[:20]),
        "cases": list(organisation.cases.all()[:50]),
        "projects": list(organisation.projects.annotate(paid=Sum("payments__amount"))[:50]),
        "deregistration": getattr(organisation, "deregistration", None),  # a missing one raises AttributeError
        "restricted": list(organisation.restricted_persons.select_related("person")),
    }


def overview(*, user) -> dict:
    qs = scoped(Organisation.objects.all(), user)
    by_type = dict(qs.values_list("org_type").annotate(n=Count("id")))
    by_status = dict(qs.values_list("status").annotate(n=Count("id")))
    listed = scoped(Listing.objects.filter(status=ListingStatus.LISTED), user, "organisation__division")
    return {
        "types": [(label, by_type.get(value, 0)) for value, label in OrgType.choices],
        "statuses": [(label, by_status.get(value, 0)) for value, label in OrgStatus.choices],
        "abnormal": listed.filter(list_kind=ListKind.ABNORMAL).count(),
        "serious": listed.filter(list_kind=ListKind.SERIOUS).count(),
        "proposals_overdue": scoped(
            Listing.objects.filter(status=ListingStatus.PROPOSED, due_on__lt=timezone.localdate()),
            user,
            "organisation__division",
        ).count(),
        "open_cases": scoped(EnforcementCase.objects.exclude(step=CaseStep.CLOSED), user).count(),
        "graded_3plus": qs.filter(evaluation_grade__gte=3).count(),
    }


@dataclass
class YearProgress:
    year: InspectionYear
    required: int
    submitted: int
    late: int
    concluded: int
    qualified: int
    basic: int
    failed: int

    @property
    def missing(self) -> int:
        return self.required - self.submitted

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.required) if self.required else 100


def inspection_progress(*, user, years: list[InspectionYear]) -> list[YearProgress]:
    """Per open year: how many must file, filed, late, concluded by conclusion — one grouped query for all years."""
    if not years:
        return []
    prefix = scope_prefix(user)
    if prefix is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT y.id, count(o.id),
                   count(i.id), count(i.id) FILTER (WHERE i.late),
                   count(i.id) FILTER (WHERE i.status = 'concluded'),
                   count(i.id) FILTER (WHERE i.conclusion = 'qualified'),
                   count(i.id) FILTER (WHERE i.conclusion = 'basic'),
                   count(i.id) FILTER (WHERE i.conclusion = 'failed')
            FROM social_orgs_inspectionyear y
            JOIN social_orgs_organisation o ON {REQUIRED_SQL} AND o.division_id LIKE %s
            LEFT JOIN social_orgs_annualinspection i ON i.inspection_year_id = y.id AND i.organisation_id = o.id
            WHERE y.id = ANY(%s) GROUP BY y.id""",
            [prefix + "%", [y.pk for y in years]],
        )
        rows = {r[0]: r[1:] for r in cursor.fetchall()}
    return [YearProgress(y, *rows.get(y.pk, (0,) * 7)) for y in years]


def missing_filers(*, user, inspection_year: InspectionYear) -> QuerySet:
    """Organisations that must file for the year and have no timely report (late ones flagged), set-based."""
    timely = AnnualInspection.objects.filter(organisation=OuterRef("pk"), inspection_year=inspection_year, late=False)
    late = AnnualInspection.objects.filter(organisation=OuterRef("pk"), inspection_year=inspection_year, late=True)
    qs = scoped(Organisation.objects.select_related("division"), user).filter(required_filers(inspection_year))
    return qs.filter(~Exists(timely)).annotate(filed_late=Exists(late)).order_by("division_id", "name", "id")


def inspection_list(*, user, inspection_year: InspectionYear, conclusion: str = "", status: str = "") -> QuerySet:
    qs = scoped(
        AnnualInspection.objects.filter(inspection_year=inspection_year).select_related("organisation"),
        user,
        "organisation__division",
    )
    if conclusion:
        qs = qs.filter(conclusion=conclusion)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("organisation__division_id", "organisation__name", "id")


def inspection_get(*, user, pk: int) -> AnnualInspection:
    return _get(
        scoped(AnnualInspection.objects.select_related("organisation", "inspection_year"), user,
               "organisation__division"),
        pk,
    )  # fmt: skip


def listing_list(*, user, list_kind: str = "", status: str = "", q: str = "", overdue: bool = False) -> QuerySet:
    qs = scoped(Listing.objects.select_related("organisation"), user, "organisation__division")
    if list_kind:
        qs = qs.filter(list_kind=list_kind)
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_LISTING)
    elif status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(Q(organisation__name__contains=q.strip()) | Q(organisation__credit_code=q.strip().upper()))
    if overdue:
        qs = qs.filter(status=ListingStatus.PROPOSED, due_on__lt=timezone.localdate())
    return qs.order_by("-found_on", "-id")


def listing_get(*, user, pk: int) -> Listing:
    return _get(scoped(Listing.objects.select_related("organisation"), user, "organisation__division"), pk)


@dataclass
class PublicEntry:
    name: str
    credit_code: str
    org_type: str
    status: str
    grade: str
    abnormal: list[tuple[str, dt.date]]
    serious: list[tuple[str, dt.date]]


def public_lookup(q: str, *, limit: int = 20) -> list[PublicEntry]:
    """公示查询: an exact credit code or a name → list status (the ground and the date only: no person, no case)."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    qs = Organisation.objects.filter(credit_code=q.upper()) if len(q) == 18 else Organisation.objects.filter(
        name__contains=q
    )  # fmt: skip
    orgs = list(qs.order_by("name", "id")[:limit])
    listed: dict[int, list[Listing]] = {}
    for listing in Listing.objects.filter(organisation__in=orgs, status=ListingStatus.LISTED).order_by("listed_on"):
        listed.setdefault(listing.organisation_id, []).append(listing)
    return [
        PublicEntry(
            o.name,
            o.credit_code,
            o.get_org_type_display(),
            o.get_status_display(),
            o.grade_label if o.grade_valid_until and o.grade_valid_until >= timezone.localdate() else "",
            [(x.ground_text, x.listed_on) for x in listed.get(o.pk, []) if x.list_kind == ListKind.ABNORMAL],
            [(x.ground_text, x.listed_on) for x in listed.get(o.pk, []) if x.list_kind == ListKind.SERIOUS],
        )  # fmt: skip
        for o in orgs
    ]


def evaluation_list(*, user, status: str = "") -> QuerySet:
    qs = scoped(EvaluationApplication.objects.select_related("organisation"), user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-applied_on", "-id")


def evaluation_get(*, user, pk: int) -> EvaluationApplication:
    return _get(scoped(EvaluationApplication.objects.select_related("organisation"), user), pk)


def grades_expiring(*, user, on: dt.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    days = rule_in_force(EvaluationRule, on=on).reminder_days
    return scoped(Organisation.objects.all(), user).filter(
        evaluation_grade__isnull=False, grade_valid_until__gte=on, grade_valid_until__lte=on + dt.timedelta(days=days)
    ).order_by("grade_valid_until", "id")  # fmt: skip


def case_list(*, user, step: str = "", category: str = "", source: str = "", q: str = "", year: str = "") -> QuerySet:
    qs = scoped(EnforcementCase.objects.select_related("organisation"), user)
    if step == "open":
        qs = qs.exclude(step=CaseStep.CLOSED)
    elif step:
        qs = qs.filter(step=step)
    if category:
        qs = qs.filter(category=category)
    if source:
        qs = qs.filter(source=source)
    if q.strip():
        qs = qs.filter(
            Q(organisation__name__contains=q.strip()) | Q(group_name__contains=q.strip()) | Q(case_number=q.strip())
        )
    if year.isdigit():
        qs = qs.filter(filed_on__year=int(year))
    return qs.order_by("-filed_on", "-id")


def case_get(*, user, pk: int) -> EnforcementCase:
    return _get(scoped(EnforcementCase.objects.select_related("organisation", "inspection"), user), pk)


def category_names(on: dt.date | None = None) -> dict[str, str]:
    return dict(ProblemCategory.objects.in_force(on=on).values_list("code", "name"))


@dataclass
class Campaign:
    year: int
    by_category: list[tuple[str, int, int]]  # name, cases, closed
    by_decision: list[tuple[str, int]]
    deregistered: int
    revoked: int
    ordered: int
    rectified: int
    not_rectified: int

    @property
    def rectification_rate(self) -> int | None:
        return round(100 * self.rectified / self.ordered) if self.ordered else None


def campaign(*, user, year: int) -> Campaign:
    """清理规范 of one year: cases by problem category, decisions served by kind, deregistrations and revocations,
    rectification ordered and done — grouped queries, the same number whatever the year holds."""
    cases = scoped(EnforcementCase.objects.all(), user)
    names = category_names()
    per_category = {
        r["category"]: (r["n"], r["closed"])
        for r in cases.filter(filed_on__year=year).values("category").annotate(
            n=Count("id"), closed=Count("id", filter=Q(step=CaseStep.CLOSED))
        )
    }  # fmt: skip
    served = cases.filter(served_on__year=year)
    decision_counts = served.aggregate(
        **{d: Count("id", filter=Q(decisions__contains=[d])) for d in Decision.values}
    )  # fmt: skip
    rect = served.filter(rectification_ordered=True).aggregate(
        n_ordered=Count("id"), n_rectified=Count("id", filter=Q(rectified=True)),
        n_not_rectified=Count("id", filter=Q(rectified=False)),
    )  # fmt: skip
    orgs = scoped(Organisation.objects.filter(status_since__year=year), user)
    status_counts = orgs.aggregate(
        deregistered=Count("id", filter=Q(status=OrgStatus.DEREGISTERED)),
        revoked=Count("id", filter=Q(status=OrgStatus.REVOKED)),
    )
    return Campaign(
        year=year,
        by_category=[(name, *per_category.get(code, (0, 0))) for code, name in names.items()],
        by_decision=[(label, decision_counts[value]) for value, label in Decision.choices],
        deregistered=status_counts["deregistered"],
        revoked=status_counts["revoked"],
        ordered=rect["n_ordered"],
        rectified=rect["n_rectified"],
        not_rectified=rect["n_not_rectified"],
    )


def project_list(*, user, funder: str = "", year: str = "", status: str = "", q: str = "") -> QuerySet:
    qs = scoped(ServiceProject.objects.select_related("organisation"), user).annotate(paid=Sum("payments__amount"))
    if funder:
        qs = qs.filter(funder=funder)
    if year.isdigit():
        qs = qs.filter(year=int(year))
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(Q(title__contains=q.strip()) | Q(organisation__name__contains=q.strip()))
    return qs.order_by("-year", "-id")


def project_get(*, user, pk: int) -> ServiceProject:
    return _get(scoped(ServiceProject.objects.select_related("organisation"), user), pk)


def project_totals(*, user) -> list[dict]:
    """Funded projects (contracted or later) by year and funder: count, contracted amount, paid."""
    unfunded = [ProjectStatus.APPLIED, ProjectStatus.REVIEWED, ProjectStatus.NOTICE, ProjectStatus.REJECTED]
    funded = scoped(ServiceProject.objects.exclude(status__in=unfunded), user)
    rows = list(
        funded.values("year", "funder").annotate(n=Count("id"), amount=Sum("amount")).order_by("-year", "funder")
    )
    paid = {
        (r["project__year"], r["project__funder"]): r["total"]
        for r in ProjectPayment.objects.filter(project__in=funded)
        .values("project__year", "project__funder")
        .annotate(total=Sum("amount"))
    }
    labels = dict(ServiceProject._meta.get_field("funder").choices)
    for r in rows:
        r["funder_label"] = labels.get(r["funder"], r["funder"])
        r["paid"] = paid.get((r["year"], r["funder"]), Decimal(0))
        r["wan"] = (r["amount"] / 10000).quantize(Decimal("0.01"))
    return rows
