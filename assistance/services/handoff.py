"""The set-based hand-off the cross-department check (app `checks`) calls: check statuses and case reviews for many
applications or cases in a few statements. The single-row forms call the plural ones.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import (
    Application,
    Case,
    CaseReview,
    CaseStatus,
    CheckStatus,
    EventKind,
    ReviewTrigger,
    TimelineEvent,
)
from assistance.services.common import (
    CASEWORK_ROLES,
    DAYS_TOTAL,
)
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays


@transaction.atomic
def applications_set_check_status(*, statuses: dict[int, str]) -> int:
    """Set-based form of `application_set_check_status` for many applications ({application id: status}): the same
    state changes, timeline events and audit rows, in a few statements. Applications already in their status are
    left alone (idempotent). Returns how many applications changed."""
    if not statuses:
        return 0
    for status in set(statuses.values()):
        if status not in CheckStatus.values:
            raise ValueError(f"unknown check status {status!r}")
    ids = sorted(statuses)
    # lock in id order (no deadlock with another bulk caller); one row per application
    current = dict(
        Application.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "check_status")
    )
    if len(current) != len(ids):
        raise ValidationError(_("The application does not exist."))
    changed: dict[str, list[int]] = {}
    for app_id in ids:
        if current[app_id] != statuses[app_id]:
            changed.setdefault(statuses[app_id], []).append(app_id)
    if not changed:
        return 0
    now = timezone.now()
    today = timezone.localdate()
    for status, app_ids in changed.items():
        values = {"check_status": status, "updated_at": now}
        if status == CheckStatus.PENDING:
            values["check_started_on"] = Coalesce("check_started_on", Value(today))
        Application.objects.filter(pk__in=app_ids).update(**values)
    labels = {value: str(label) for value, label in CheckStatus.choices}
    divisions = dict(
        Application.objects.filter(pk__in=[i for app_ids in changed.values() for i in app_ids]).values_list(
            "pk", "division_id"
        )
    )
    events = [
        TimelineEvent(
            application_id=app_id,
            case=None,
            division_id=divisions[app_id],
            kind=EventKind.CHECK,
            text=f"{labels[current[app_id]]} → {labels[status]}",
            actor=None,
            at=now,
        )
        for status, app_ids in changed.items()
        for app_id in app_ids
    ]
    events.sort(key=lambda e: e.application_id)
    TimelineEvent.objects.bulk_create(events)
    return len(events)


def application_set_check_status(*, application_id: int, status: str) -> None:
    """Called by the cross-department check (app `checks`); approval is impossible unless the status is CLEAR."""
    applications_set_check_status(statuses={application_id: status})


@transaction.atomic
def cases_open_reviews(
    *, case_reasons: dict[int, str], acting_user=None, trigger: str = ReviewTrigger.CHECK_FINDINGS
) -> dict[int, CaseReview]:
    """Set-based form of `case_open_review` for many cases ({case id: reason}): a case with an open review gets the
    reason added to it (once); the others get a new review, become “under review” when receiving, and a timeline
    event. All or nothing: a stopped or unknown case refuses the whole call. Returns {case id: its open review}."""
    if not case_reasons:
        return {}
    ids = sorted(case_reasons)
    cases = {
        c.pk: c
        for c in Case.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .only("pk", "status", "division_id", "application_id")
    }
    missing = set(ids) - set(cases)
    if missing:
        raise Case.DoesNotExist(f"Case matching query does not exist: {sorted(missing)}")
    if acting_user is not None:
        for division_code in {c.division_id for c in cases.values()}:
            require(acting_user, roles=CASEWORK_ROLES, division=division_code)
    if any(c.status == CaseStatus.STOPPED for c in cases.values()):
        raise ValidationError(_("The case has stopped; there is nothing to review."), code="stopped")
    reviews = {r.case_id: r for r in CaseReview.objects.filter(case_id__in=ids, outcome="").order_by("case_id")}
    extended = []
    for case_id, review in reviews.items():
        reason = case_reasons[case_id]
        if reason and reason not in review.reason:
            review.reason = f"{review.reason}\n{reason}".strip()
            extended.append(review)
    if extended:
        CaseReview.objects.bulk_update(extended, ["reason"])
    new_ids = [i for i in ids if i not in reviews]
    if not new_ids:
        return reviews
    today = timezone.localdate()
    due_on = workdays.add_workdays(today, DAYS_TOTAL)
    opened_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
    created = CaseReview.objects.bulk_create(
        [
            CaseReview(
                case_id=i, trigger=trigger, reason=case_reasons[i], opened_on=today, due_on=due_on, opened_by=opened_by
            )
            for i in new_ids
        ]
    )
    now = timezone.now()
    Case.objects.filter(pk__in=new_ids, status=CaseStatus.ACTIVE).update(status=CaseStatus.UNDER_REVIEW, updated_at=now)
    divisions = dict(
        Application.objects.filter(pk__in=[cases[i].application_id for i in new_ids]).values_list("pk", "division_id")
    )
    trigger_label = str(ReviewTrigger(trigger).label)
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                application_id=cases[i].application_id,
                case_id=i,
                division_id=divisions[cases[i].application_id],
                kind=EventKind.REVIEW_OPENED,
                text=f"{trigger_label}: {case_reasons[i]}",
                actor=opened_by,
                at=now,
            )
            for i in new_ids
        ]
    )
    reviews.update({r.case_id: r for r in created})
    return reviews


def case_open_review(
    *, case_id: int, reason: str, acting_user=None, trigger: str = ReviewTrigger.CHECK_FINDINGS
) -> CaseReview:
    """Open a review (动态管理) of a case; if one is already open, add the reason to it and return it."""
    return cases_open_reviews(case_reasons={case_id: reason}, acting_user=acting_user, trigger=trigger)[case_id]
