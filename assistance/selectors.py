"""Reads for social assistance. Staff reads start from `scoped(...)`; the public selectors return masked data only
(values querysets with no full name or ID number in them)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case as SqlCase,
)
from django.db.models import (
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Concat, Left, Length, Repeat, Right
from django.http import Http404
from django.utils import timezone

from assistance import listing
from assistance.models import (
    Application,
    ApplicationStatus,
    Case,
    CaseReview,
    CaseStatus,
    CheckStatus,
    NoticeStatus,
    Payment,
    PaymentRoster,
    Programme,
    PublicNotice,
    Standard,
    StandardBand,
    TimelineEvent,
)
from dalian_minzheng.accounts.scope import scoped
from dalian_minzheng.people.models import Division, DivisionLevel

OPEN_STATUSES = list(ApplicationStatus.OPEN)
PAID_STATUSES = list(CaseStatus.PAID)
# The columns the list pages show: a list of 50 rows joins four tables, so read only what is displayed.
CASE_LIST_FIELDS = [
    "id", "status", "household_size", "monthly_amount", "next_review_due", "division__name",
    "programme__name", "application__applicant__name", "application__applicant__id_number",
]  # fmt: skip
APPLICATION_LIST_FIELDS = [
    "id", "status", "check_status", "accepted_on", "due_on", "related_to_staff", "division__name",
    "programme__name", "applicant__name", "applicant__id_number",
]  # fmt: skip


@dataclass
class ListFilters:
    q: str = ""
    programme: int | None = None
    status: str = ""
    division: str = ""  # a district, street or community code prefix
    overdue: bool = False
    related_to_staff: bool = False


def _search(qs: QuerySet, q: str, person_path: str) -> QuerySet:
    """Search by name, full ID number or the last four characters of the ID number."""
    q = (q or "").strip().upper()
    if not q:
        return qs
    if re.fullmatch(r"\d{17}[\dX]", q):
        return qs.filter(**{f"{person_path}__id_number": q})
    if re.fullmatch(r"\d{3}[\dX]", q):
        return qs.annotate(_last4=Right(f"{person_path}__id_number", 4)).filter(_last4=q)
    return qs.filter(**{f"{person_path}__name__startswith": q})


def mask_name_sql(field: str):
    """张*华 in SQL, so a public queryset never carries the full name."""
    return SqlCase(
        When(**{f"{field}__isnull": True}, then=Value("")),
        When(
            Q(**{f"{field}__regex": r"^.{0,1}$"}),
            then=F(field),
        ),
        When(Q(**{f"{field}__regex": r"^..$"}), then=Concat(Left(field, 1), Value("*"))),
        default=Concat(Left(field, 1), Repeat(Value("*"), Length(field) - 2), Right(field, 1)),
        output_field=CharField(),
    )


# --- applications ---------------------------------------------------------------------------------------------


def application_list(*, user, filters: ListFilters | None = None, today: dt.date | None = None) -> QuerySet:
    filters = filters or ListFilters()
    today = today or timezone.localdate()
    qs = (
        scoped(Application.objects.all(), user)
        .select_related("applicant", "programme", "division")
        .only(*APPLICATION_LIST_FIELDS)
    )
    qs = _search(qs, filters.q, "applicant")
    if filters.programme:
        qs = qs.filter(programme_id=filters.programme)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.division:
        qs = qs.filter(division__code__startswith=filters.division)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    if filters.related_to_staff:
        qs = qs.filter(related_to_staff=True)
    return qs.order_by("-accepted_on", "-id")


def application_page(*, user, filters: ListFilters | None = None, number: int = 1, today: dt.date | None = None):
    """One page of the application list as display-ready rows (see `assistance.listing`)."""
    today = today or timezone.localdate()
    count, rows, number = listing.read_page(
        application_list(user=user, filters=filters, today=today),
        number=number,
        fields=APPLICATION_LIST_FIELDS,
        order=["-accepted_on", "-id"],
    )
    url = listing.detail_url_pattern("assistance:application_detail")
    statuses = {value: str(label) for value, label in ApplicationStatus.choices}
    checks = {value: str(label) for value, label in CheckStatus.choices}
    open_statuses = set(OPEN_STATUSES)
    return listing.ListPage(
        rows=[
            {
                "pk": r["id"],
                "url": url.format(r["id"]),
                "name": r["applicant__name"],
                "id_number": listing.masked(r["applicant__id_number"]),
                "programme": r["programme__name"],
                "division": r["division__name"],
                "accepted_on": listing.iso(r["accepted_on"]),
                "status": statuses.get(r["status"], r["status"]),
                "check": checks.get(r["check_status"], r["check_status"]),
                "related_to_staff": r["related_to_staff"],
                "due_on": listing.iso(r["due_on"]),
                "overdue": r["due_on"] is not None and r["due_on"] < today and r["status"] in open_statuses,
            }
            for r in rows
        ],
        number=number,
        per_page=listing.PAGE_SIZE,
        count=count,
    )


def application_get(*, user, pk: int) -> Application:
    try:
        return (
            scoped(Application.objects.all(), user)
            .select_related("applicant", "programme", "division", "household__head", "created_by", "decided_by")
            .get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404 from None


def application_timeline(*, application: Application) -> QuerySet:
    return TimelineEvent.objects.filter(application=application).select_related("actor").order_by("at", "id")


def application_visits(*, application: Application) -> list:
    return list(application.visits.prefetch_related("incomes__person").order_by("visited_on", "id"))


def _notice_pending() -> Q:
    """Refused, and the written refusal notice not yet issued."""
    return Q(status=ApplicationStatus.REFUSED, refusal_notice_issued_on=None, refusal_notice_due_on__isnull=False)


def _overdue(today: dt.date) -> Q:
    """Past any of its working-day limits: the whole process (30, or 45 extended), the start of the cross-department
    check (3), the district decision (10), the written refusal notice (3)."""
    open_ = Q(status__in=OPEN_STATUSES)
    return (
        open_ & (Q(due_on__lt=today) | Q(decision_due_on__lt=today) | Q(check_due_on__lt=today, check_started_on=None))
    ) | (_notice_pending() & Q(refusal_notice_due_on__lt=today))


def overdue_applications(*, user, today: dt.date | None = None) -> QuerySet:
    today = today or timezone.localdate()
    return (
        scoped(Application.objects.filter(_overdue(today)), user)
        .select_related("applicant", "programme", "division")
        .order_by("due_on", "id")
    )


def overdue_counts(*, user, level: int, today: dt.date | None = None) -> list[dict]:
    """Per street (level 3) or district (level 2): open applications, and how many are past each working-day limit
    (whole process, check start, district decision), plus refused ones whose written notice is late."""
    today = today or timezone.localdate()
    width = 9 if level == DivisionLevel.STREET else 6
    open_ = Q(status__in=OPEN_STATUSES)
    rows = (
        scoped(Application.objects.filter(open_ | _notice_pending()), user)
        .annotate(unit=Left("division_id", width))
        .values("unit")
        .annotate(
            open=Count("id", filter=open_),
            overdue=Count("id", filter=open_ & Q(due_on__lt=today)),
            check_overdue=Count("id", filter=open_ & Q(check_due_on__lt=today, check_started_on=None)),
            decision_overdue=Count("id", filter=open_ & Q(decision_due_on__lt=today)),
            notice_overdue=Count("id", filter=_notice_pending() & Q(refusal_notice_due_on__lt=today)),
        )
        .order_by("unit")
    )
    rows = list(rows)
    names = dict(Division.objects.filter(code__in=[r["unit"] for r in rows]).values_list("code", "name"))
    for row in rows:
        row["name"] = names.get(row["unit"], row["unit"])
    return rows


# --- cases ----------------------------------------------------------------------------------------------------


def case_list(*, user, filters: ListFilters | None = None, today: dt.date | None = None) -> QuerySet:
    filters = filters or ListFilters()
    today = today or timezone.localdate()
    qs = (
        scoped(Case.objects.all(), user)
        .select_related("application__applicant", "programme", "division")
        .only(*CASE_LIST_FIELDS)
    )
    qs = _search(qs, filters.q, "application__applicant")
    if filters.programme:
        qs = qs.filter(programme_id=filters.programme)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.division:
        qs = qs.filter(division__code__startswith=filters.division)
    if filters.overdue:
        qs = qs.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW], next_review_due__lt=today)
    return qs.order_by("-id")


def case_page(*, user, filters: ListFilters | None = None, number: int = 1, today: dt.date | None = None):
    """One page of the case list as display-ready rows (see `assistance.listing`)."""
    today = today or timezone.localdate()
    count, rows, number = listing.read_page(
        case_list(user=user, filters=filters, today=today), number=number, fields=CASE_LIST_FIELDS, order=["-id"]
    )
    url = listing.detail_url_pattern("assistance:case_detail")
    statuses = {value: str(label) for value, label in CaseStatus.choices}
    return listing.ListPage(
        rows=[
            {
                "pk": r["id"],
                "url": url.format(r["id"]),
                "name": r["application__applicant__name"],
                "id_number": listing.masked(r["application__applicant__id_number"]),
                "programme": r["programme__name"],
                "division": r["division__name"],
                "household_size": r["household_size"],
                "amount": str(r["monthly_amount"]),
                "status": statuses.get(r["status"], r["status"]),
                "review_due": listing.iso(r["next_review_due"]),
                "review_overdue": r["next_review_due"] is not None and r["next_review_due"] < today,
            }
            for r in rows
        ],
        number=number,
        per_page=listing.PAGE_SIZE,
        count=count,
    )


def case_get(*, user, pk: int) -> Case:
    try:
        return (
            scoped(Case.objects.all(), user)
            .select_related("application__applicant", "application__division", "programme", "division", "household")
            .get(pk=pk)
        )
    except Case.DoesNotExist:
        raise Http404 from None


def case_amount_history(*, case: Case) -> QuerySet:
    return case.amount_changes.select_related("created_by").order_by("effective_from", "id")


def case_reviews(*, case: Case) -> QuerySet:
    return case.reviews.select_related("opened_by", "decided_by").order_by("-opened_on", "-id")


def review_get(*, user, pk: int) -> CaseReview:
    try:
        return scoped(CaseReview.objects.all(), user, "case__division").select_related("case").get(pk=pk)
    except CaseReview.DoesNotExist:
        raise Http404 from None


def reviews_due(*, user, on: dt.date | None = None) -> QuerySet:
    """Cases whose periodic review is due (or overdue) by `on`, plus cases with an open review."""
    on = on or timezone.localdate()
    return (
        scoped(Case.objects.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW]), user)
        .filter(Q(next_review_due__lte=on) | Q(status=CaseStatus.UNDER_REVIEW))
        .select_related("application__applicant", "programme", "division")
        .order_by("next_review_due", "id")
    )


# --- dashboard ------------------------------------------------------------------------------------------------


def dashboard(*, user, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    apps = scoped(Application.objects.all(), user)
    cases = scoped(Case.objects.all(), user)
    app_counts = apps.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
        pending_decision=Count("id", filter=Q(status=ApplicationStatus.PENDING_DECISION)),
        publicity=Count("id", filter=Q(status=ApplicationStatus.PUBLICITY)),
        related=Count("id", filter=Q(status__in=OPEN_STATUSES, related_to_staff=True)),
    )
    case_counts = cases.aggregate(
        paid=Count("id", filter=Q(status__in=PAID_STATUSES)),
        review_due=Count("id", filter=Q(status__in=PAID_STATUSES, next_review_due__lte=today)),
        monthly=Sum("monthly_amount", filter=Q(status__in=PAID_STATUSES)),
    )
    by_programme = list(
        cases.filter(status__in=PAID_STATUSES)
        .values("programme__name")
        .annotate(n=Count("id"), total=Sum("monthly_amount"))
        .order_by("programme__name")
    )
    return {"applications": app_counts, "cases": case_counts, "by_programme": by_programme}


# --- standards ------------------------------------------------------------------------------------------------


def programmes() -> QuerySet:
    return Programme.objects.order_by("id")


def cache_key(name: str) -> str:
    """A cache key of this database: a Redis shared by several databases (tests, benchmarks, a dev server) must not
    hand one database's ids to another."""
    return f"assistance:{connection.settings_dict['NAME']}:{name}"


PROGRAMME_CHOICES_KEY = "programme-choices"


def division_options_key(prefix: str) -> str:
    return cache_key(f"division-options:{prefix or 'city'}")


def division_options_keys_of(code: str) -> list[str]:
    """The cached suggestion lists a change of division `code` can appear in: the city's and its ancestors' own."""
    return sorted({division_options_key(code[:n]) for n in (0, 6, 9, 12) if n <= len(code)})


def division_filter_choices(*, prefix: str) -> list[tuple[str, str]]:
    """(code, name) suggestions for the lists' division filter of a user whose scope is `prefix` (see
    `scope_prefix`): the districts and streets inside it, and the communities too inside a district or street."""
    deepest = DivisionLevel.STREET if len(prefix) <= 4 else DivisionLevel.COMMUNITY
    return list(
        Division.objects.filter(
            code__startswith=prefix, level__gte=DivisionLevel.DISTRICT, level__lte=deepest, is_active=True
        )
        .order_by("code")
        .values_list("code", "name")
    )


def programme_choices() -> list[tuple[int, str]]:
    """(id, name) of every programme for the list filters: cached, since every list page shows them and they change
    only when an admin edits a programme (which clears the key, see apps.py)."""
    choices = cache.get(cache_key(PROGRAMME_CHOICES_KEY))
    if choices is None:
        choices = list(Programme.objects.order_by("id").values_list("id", "name"))
        # no expiry: a list page's query count stays constant; apps.py clears the key when a programme changes
        cache.set(cache_key(PROGRAMME_CHOICES_KEY), choices, None)
    return choices


def standards(*, programme_id: int | None = None, division_code: str | None = None) -> QuerySet:
    qs = Standard.objects.select_related("programme", "division", "base_programme", "created_by")
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if division_code == "city":
        qs = qs.filter(division__isnull=True)
    elif division_code:
        qs = qs.filter(division_id=division_code)
    return qs.order_by("programme_id", "division_id", "care_level", "-effective_from")


def bands(*, programme_id: int | None = None) -> QuerySet:
    qs = StandardBand.objects.select_related("programme", "division")
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    return qs


# --- rosters --------------------------------------------------------------------------------------------------


def rosters(*, user) -> QuerySet:
    return scoped(PaymentRoster.objects.all(), user, "district").select_related("district", "built_by")


def roster_get(*, user, pk: int) -> PaymentRoster:
    try:
        return rosters(user=user).get(pk=pk)
    except PaymentRoster.DoesNotExist:
        raise Http404 from None


def roster_totals(*, roster: PaymentRoster) -> list[dict]:
    return list(
        Payment.objects.filter(roster=roster)
        .values("programme__name")
        .annotate(n=Count("id"), amount=Sum("amount"), back_pay=Sum("back_pay"))
        .order_by("programme__name")
    )


def month_totals(*, user, month: dt.date) -> list[dict]:
    """Totals per district and programme for one month."""
    return list(
        scoped(Payment.objects.filter(roster__month=month), user, "roster__district")
        .annotate(district=Left("division_id", 6))
        .values("district", "programme__name")
        .annotate(n=Count("id"), amount=Sum("amount"), back_pay=Sum("back_pay"))
        .order_by("district", "programme__name")
    )


def roster_payments(*, roster: PaymentRoster) -> QuerySet:
    return (
        Payment.objects.filter(roster=roster)
        .select_related("case__application__applicant", "programme", "division")
        .order_by("division_id", "id")
    )


# --- public (no login): masked data only ----------------------------------------------------------------------


def public_notices_for_community(code: str, on: dt.date | None = None) -> QuerySet:
    """Notices on display in a community (or under a street code) today: masked name, household size, amount,
    programme, dates. A values() queryset: nothing else leaves the database."""
    on = on or timezone.localdate()
    return (
        PublicNotice.objects.filter(
            division__code__startswith=code, status=NoticeStatus.OPEN, starts_on__lte=on, ends_on__gte=on
        )
        .values(
            "id",
            "household_size",
            "amount",
            "starts_on",
            "ends_on",
            masked_name=F("public_name"),
            programme_name=F("application__programme__name"),
            community_name=F("division__name"),
            community_code=F("division_id"),
        )
        .order_by("starts_on", "id")
    )


def public_recipients(community_code: str | None = None, search: str | None = None) -> QuerySet:
    """The online disclosure of recipients (低保/特困 …): masked name (computed in SQL), household size, amount,
    programme, community. Filter by a division code prefix; `search` matches a community name."""
    qs = Case.objects.filter(status__in=PAID_STATUSES)
    if community_code:
        qs = qs.filter(division__code__startswith=community_code)
    if search:
        qs = qs.filter(division__name__contains=search.strip())
    return qs.values(
        "id",
        "household_size",
        amount=F("monthly_amount"),
        programme_name=F("programme__name"),
        community_name=F("division__name"),
        community_code=F("division_id"),
        masked_name=mask_name_sql("application__applicant__name"),
    ).order_by("division_id", "id")


def can_build_roster(*, user, district_code: str) -> bool:
    from dalian_minzheng.accounts.scope import can_see_division

    return can_see_division(user, district_code) and (
        user.is_superuser or user.role in ("district_admin", "city_admin")
    )


# --- what a case's amount rests on (issue 12) -------------------------------------------------------------------


def _d(value) -> Decimal | None:
    # JSON numbers lose their scale (1060.0): amounts are shown to the fen
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


def case_amount_basis(*, case: Case, history) -> dict:
    """What the case's current amount rests on, for the case page: the amount change that set it (the latest one
    whose new amount is the current amount), its figures (CaseAmountChange.basis: standard, income, size, band, care
    level), the formula, and the raise, review or decision behind it."""
    from django.utils.translation import gettext as _

    from assistance.models import AmountChangeReason, CareLevel

    change = next((c for c in reversed(list(history)) if c.new_amount == case.monthly_amount), None)
    basis = dict(change.basis or {}) if change is not None else {}
    rule = basis.get("rule", "")
    size = basis.get("size", case.household_size)
    income = _d(basis.get("income"))
    standard, old_standard = _d(basis.get("standard")), _d(basis.get("old_standard"))
    yuan = _("yuan")
    items: list[tuple[str, str]] = [(_("Amount basis"), case.get_amount_basis_display())]
    if change is not None:
        items.append((_("Set by"), change.get_reason_display()))
    source = None
    if change is not None and change.reason == AmountChangeReason.RAISE and basis.get("raise"):
        from assistance.raises.models import Raise

        source = Raise.objects.filter(pk=basis["raise"]).values("pk", "title").first()
    if standard is not None:
        items.append((_("Standard"), f"{standard} {yuan}"))
    if old_standard is not None:
        items.append((_("Standard before the raise"), f"{old_standard} {yuan}"))
    band = basis.get("band")
    if band:
        items.append((_("Band"), _("income per person below %(below)s: %(amount)s yuan per person")
                      % {"below": band["income_below"], "amount": band["amount"]}))  # fmt: skip
    if rule != "stop":
        items.append((_("Monthly income per person"), f"{income} {yuan}" if income is not None
                      else _("unknown (not recorded)")))  # fmt: skip
        items.append((_("Household size"), str(size)))
    care_level = basis.get("care_level") or case.care_level
    if care_level:
        items.append((_("Care level"), CareLevel(care_level).label))
    if basis.get("care_amount"):
        items.append((_("Care amount"), f"{basis['care_amount']} {yuan}"))
    formula = ""
    amount = case.monthly_amount
    if rule in ("standard", "recompute") and standard is not None:
        calc = basis.get("calculation") or case.programme.calculation
        if calc == "top_up" and income is not None:
            formula = f"({standard} − {income}) × {size} = {amount}"
        elif calc != "top_up":
            care = f" + {basis['care_amount']} × {size}" if basis.get("care_amount") else ""
            formula = f"{standard} × {size}{care} = {amount}"
    elif rule in ("standard", "recompute") and band:
        formula = f"{band['amount']} × {size} = {amount}"
    elif rule == "delta" and standard is not None and old_standard is not None and change.old_amount is not None:
        formula = f"{change.old_amount} + ({standard} − {old_standard}) × {size} = {amount}"
    elif rule == "import":
        formula = _("the amount paid before the import, as the district's spreadsheet gave it")
    elif rule == "keep":
        formula = _("the imported amount, kept: the raise recomputes only cases whose income is known")
    elif rule == "decision":
        formula = _("the amount entered in the decision")
    return {"change": change, "items": items, "formula": formula, "raise": source}
