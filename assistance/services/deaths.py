"""What a recorded death means for social assistance (the kernel's death hand-off, people.services.deaths_hand_off):
set-based over every death of the call, idempotent.

- A per-person benefit (the two disability subsidies) whose applicant died stops; so does a household benefit
  (低保, 特困) when no living member of the household is left. The month of death is the last month paid (payments
  stop from the month after), the reason is 死亡, and each stop is a timeline event (and an audit row: cases are
  audited per statement).
- A household benefit with living members left opens a review (the household changed size): the caseworker
  recomputes it (`cases_open_reviews`, trigger "change reported").
- A payment already made for a month after the death is listed for recovery (`payments_after_death`).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from assistance.models import Case, CaseStatus, EventKind, Payment, ProgrammeKind, ReviewTrigger, TimelineEvent
from assistance.services.handoff import cases_open_reviews
from dalian_minzheng.accounts.scope import scoped

PER_PERSON = (ProgrammeKind.DISABILITY_LIVING, ProgrammeKind.DISABILITY_CARE)

# The paid cases touched by the deaths: the applicant's own cases, and the household cases of the deceased members,
# with whether a living current member is left in the household.
AFFECTED_SQL = """
SELECT c.id, c.application_id, c.division_id, pr.kind, d.person_id, d.died_on,
       a.applicant_id = d.person_id AS applicant_died,
       EXISTS (SELECT 1 FROM people_householdmember m JOIN people_person p ON p.id = m.person_id
               WHERE m.household_id = c.household_id AND m.left_on IS NULL AND NOT p.is_deceased) AS living_left
FROM unnest(%(persons)s::bigint[], %(dates)s::date[]) AS d(person_id, died_on)
JOIN people_householdmember hm ON hm.person_id = d.person_id
JOIN assistance_case c ON c.household_id = hm.household_id
JOIN assistance_application a ON a.id = c.application_id
JOIN assistance_programme pr ON pr.id = c.programme_id
WHERE c.status = ANY(%(paid)s) AND (hm.left_on IS NULL OR hm.left_on >= d.died_on)
ORDER BY c.id
"""


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


@transaction.atomic
def cases_stop_for_deaths(*, acting_user, deaths: dict[int, dt.date]) -> int:
    """The death handler of assistance (registered in apps.py). Returns how many cases it stopped or sent to review."""
    if not deaths:
        return 0
    persons = sorted(deaths)
    with connection.cursor() as cursor:
        cursor.execute(
            AFFECTED_SQL,
            {"persons": persons, "dates": [deaths[p] for p in persons], "paid": [str(s) for s in CaseStatus.PAID]},
        )
        rows = cursor.fetchall()
    stops: dict[int, tuple] = {}
    reviews: dict[int, str] = {}
    for case_id, application_id, division_id, kind, _person, died_on, applicant_died, living_left in rows:
        if (kind in PER_PERSON and applicant_died) or (kind not in PER_PERSON and not living_left):
            stops.setdefault(case_id, (application_id, division_id, died_on))
        elif kind not in PER_PERSON:
            reviews.setdefault(case_id, f"家庭成员死亡（{died_on:%Y-%m-%d}）")
    for case_id in stops:
        reviews.pop(case_id, None)
    if stops:
        locked = {
            c.pk: c
            for c in Case.objects.select_for_update()
            .filter(pk__in=sorted(stops))
            .order_by("pk")
            .only("pk", "first_payment_month", "status")
        }
        now = timezone.now()
        actor = acting_user if acting_user is not None and acting_user.is_authenticated else None
        last_month = {
            case_id: max(_month_start(died_on), _previous_month(locked[case_id].first_payment_month))
            for case_id, (_application, _division, died_on) in stops.items()
        }
        ids = sorted(stops)
        # one statement for every stopped case (an imported death list stops thousands)
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE assistance_case c SET status = %s, stopped_on = s.died_on, last_payment_month = s.last_month,
                          stop_reason = %s, updated_at = %s
                   FROM unnest(%s::bigint[], %s::date[], %s::date[]) AS s(id, died_on, last_month)
                   WHERE c.id = s.id""",
                [CaseStatus.STOPPED.value, "死亡", now, ids, [stops[i][2] for i in ids], [last_month[i] for i in ids]],
            )
        events = [
            TimelineEvent(
                application_id=application_id,
                case_id=case_id,
                division_id=division_id,
                kind=EventKind.STOPPED,
                text=f"死亡（{died_on:%Y-%m-%d}）；最后发放月份 {last_month[case_id]:%Y-%m}",
                actor=actor,
                at=now,
            )
            for case_id, (application_id, division_id, died_on) in stops.items()
        ]
        TimelineEvent.objects.bulk_create(events)
    still_paid = set(Case.objects.filter(pk__in=list(reviews), status__in=CaseStatus.PAID).values_list("pk", flat=True))
    open_reviews = {case_id: reason for case_id, reason in reviews.items() if case_id in still_paid}
    if open_reviews:
        cases_open_reviews(case_reasons=open_reviews, trigger=ReviewTrigger.CHANGE_REPORTED)
    return len(stops) + len(open_reviews)


def payments_after_death(*, user):
    """Payments made for a month after the month of death of the case's applicant: to be recovered."""
    from django.db.models import F

    # months are first days: a month after the date of death is one after the month of death
    qs = scoped(Payment.objects.select_related("case__application__applicant", "programme"), user)
    return qs.filter(
        case__application__applicant__is_deceased=True, month__gt=F("case__application__applicant__died_on")
    )
