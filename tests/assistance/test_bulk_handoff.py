"""The set-based casework services used by the cross-department check's hand-off: same state changes, timeline
events, audit rows and idempotency as the single-row services, which now call them."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assistance import services
from assistance.models import Application, Case, CaseReview, CaseStatus, CheckStatus, TimelineEvent
from dalian_minzheng.core import workdays
from tests.assistance.factories import make_application, make_case
from tests.conftest import TEST_PASSWORD

OWN = "210202001001"
OTHER = "210203001001"


def audit_rows(model_name: str, pk: int) -> int:
    return apps.get_model("assistance", f"{model_name}Event").objects.filter(pgh_obj_id=pk).count()


def state(application_ids, case_ids):
    """Everything the services change, in a form comparable between two sets of records."""
    apps_ = [
        (a.check_status, a.check_started_on, audit_rows("Application", a.pk))
        for a in Application.objects.filter(pk__in=application_ids).order_by("pk")
    ]
    events = [
        list(
            TimelineEvent.objects.filter(application_id=a)
            .order_by("id")
            .values_list("kind", "text", "division_id", "actor_id", "case_id")
        )
        for a in application_ids
    ]
    cases = [(c.status, audit_rows("Case", c.pk)) for c in Case.objects.filter(pk__in=case_ids).order_by("pk")]
    reviews = [
        list(
            CaseReview.objects.filter(case_id=c)
            .order_by("id")
            .values_list("trigger", "reason", "opened_on", "due_on", "outcome", "opened_by_id")
        )
        for c in case_ids
    ]
    # the case ids differ between the two sets; normalise the timeline's case column to "has a case"
    events = [[(k, t, d, u, c is not None) for k, t, d, u, c in rows] for rows in events]
    return apps_, events, cases, reviews


def scenario():
    """Three applications (one already pending with a start date) and three cases (one with an open review)."""
    fresh = make_application(OWN)
    started = make_application(OWN, check_status=CheckStatus.PENDING)
    Application.objects.filter(pk=started.pk).update(check_started_on=timezone.localdate().replace(day=1))
    same = make_application(OWN, check_status=CheckStatus.CLEAR)
    receiving = make_case(OWN)
    reviewed = make_case(OWN)
    phase_out = make_case(OWN)
    Case.objects.filter(pk=phase_out.pk).update(status=CaseStatus.PHASE_OUT)
    return [fresh.pk, started.pk, same.pk], [receiving.pk, reviewed.pk, phase_out.pk]


def test_bulk_services_do_what_the_single_row_services_do(divisions, caseworker):
    single_apps, single_cases = scenario()
    bulk_apps, bulk_cases = scenario()
    services.case_open_review(case_id=single_cases[1], reason="定期复核", trigger="scheduled")
    services.case_open_review(case_id=bulk_cases[1], reason="定期复核", trigger="scheduled")

    for app_id, status in zip(single_apps, ["pending", "findings_open", "clear"], strict=True):
        services.application_set_check_status(application_id=app_id, status=status)
    for case_id in single_cases:
        services.case_open_review(case_id=case_id, reason="核对发现新疑点", acting_user=caseworker)

    changed = services.applications_set_check_status(
        statuses=dict(zip(bulk_apps, ["pending", "findings_open", "clear"], strict=True))
    )
    assert changed == 2  # the third is already clear: no update, no event
    reviews = services.cases_open_reviews(
        case_reasons={case_id: "核对发现新疑点" for case_id in bulk_cases}, acting_user=caseworker
    )
    assert set(reviews) == set(bulk_cases)

    assert state(single_apps, single_cases) == state(bulk_apps, bulk_cases)
    apps_, events, cases, review_rows = state(bulk_apps, bulk_cases)
    assert apps_[0][0] == "pending" and apps_[0][1] == timezone.localdate()
    assert apps_[1][1] == timezone.localdate().replace(day=1)  # a start date once set is kept
    assert events[2] == []  # unchanged status: no timeline event
    assert [c[0] for c in cases] == [CaseStatus.UNDER_REVIEW, CaseStatus.UNDER_REVIEW, CaseStatus.PHASE_OUT]
    due = workdays.add_workdays(timezone.localdate(), services.DAYS_TOTAL)
    assert review_rows[1] == [("scheduled", "定期复核\n核对发现新疑点", timezone.localdate(), due, "", None)]
    assert review_rows[0][0][3] == due
    assert review_rows[0][0][5] == caseworker.pk


def test_bulk_services_are_idempotent(divisions):
    app_ids, case_ids = scenario()
    statuses = {app_ids[0]: "findings_open", app_ids[1]: "clear"}
    assert services.applications_set_check_status(statuses=statuses) == 2
    assert services.applications_set_check_status(statuses=statuses) == 0
    first = services.cases_open_reviews(case_reasons={c: "核对 #1" for c in case_ids})
    events = TimelineEvent.objects.count()
    audit = [audit_rows("Case", c) for c in case_ids] + [audit_rows("CaseReview", r.pk) for r in first.values()]
    again = services.cases_open_reviews(case_reasons={c: "核对 #1" for c in case_ids})
    assert {c: r.pk for c, r in again.items()} == {c: r.pk for c, r in first.items()}
    assert CaseReview.objects.filter(case_id__in=case_ids).count() == 3
    assert TimelineEvent.objects.count() == events
    assert [audit_rows("Case", c) for c in case_ids] + [audit_rows("CaseReview", r.pk) for r in again.values()] == audit
    assert (
        services.applications_set_check_status(statuses={}) == 0 and services.cases_open_reviews(case_reasons={}) == {}
    )


def test_bulk_services_are_all_or_nothing(divisions, caseworker_other_district):
    app_ids, case_ids = scenario()
    with pytest.raises(ValueError):
        services.applications_set_check_status(statuses={app_ids[0]: "clear", app_ids[1]: "bogus"})
    with pytest.raises(ValidationError):
        services.applications_set_check_status(statuses={app_ids[0]: "clear", 999_999_999: "clear"})
    assert Application.objects.get(pk=app_ids[0]).check_status == CheckStatus.NOT_STARTED
    Case.objects.filter(pk=case_ids[2]).update(status=CaseStatus.STOPPED)
    with pytest.raises(ValidationError):
        services.cases_open_reviews(case_reasons={c: "x" for c in case_ids})
    with pytest.raises(PermissionDenied):
        services.cases_open_reviews(case_reasons={case_ids[0]: "x"}, acting_user=caseworker_other_district)
    with pytest.raises(Case.DoesNotExist):
        services.case_open_review(case_id=999_999_999, reason="x")
    assert not CaseReview.objects.filter(case_id__in=case_ids).exists()
    assert Case.objects.get(pk=case_ids[0]).status == CaseStatus.ACTIVE


def test_application_page_links_to_its_check_page(client, divisions, caseworker):
    application = make_application(OWN)
    client.login(username=caseworker.username, password=TEST_PASSWORD)
    response = client.get(reverse("assistance:application_detail", args=[application.pk]))
    assert response.status_code == 200
    link = reverse("checks:application", args=[application.pk])
    assert f'href="{link}"' in response.content.decode()
    assert client.get(link).status_code == 200
