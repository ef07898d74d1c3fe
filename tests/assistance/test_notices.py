"""Written notices: the refusal notice as its own 3-working-day deadline (official calendar, overdue lists, pages),
and the review-outcome texts that the city admin edits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assistance import notifications, selectors, services
from assistance.models import (
    ApplicationStatus,
    EventKind,
    NotificationKind,
    NotificationText,
    ReviewOutcome,
    TimelineEvent,
)
from dalian_minzheng.accounts.services import user_apply_role
from tests.assistance.factories import make_application, make_case
from tests.conftest import TEST_PASSWORD

OWN = "210202001001"


def refused(district_admin, decided_on=None, **extra):
    application = make_application(OWN, status=ApplicationStatus.PENDING_DECISION, **extra)
    services.application_refuse(
        application_id=application.pk,
        acting_user=district_admin,
        reasons="家庭人均收入高于当地低保标准",
        decided_on=decided_on,
    )
    application.refresh_from_db()
    return application


def test_refusal_notice_is_due_three_working_days_after_the_decision_on_the_official_calendar(district_admin):
    # Decided Friday 2025-01-24, before the Spring Festival: Sunday 01-26 and Monday 01-27 are working days, then
    # the holiday runs to 02-04, so the third working day is Wednesday 02-05.
    application = refused(district_admin, decided_on=dt.date(2025, 1, 24))
    assert application.refusal_notice_due_on == dt.date(2025, 2, 5)
    assert application.refusal_notice_issued_on is None
    text = application.refusal_notice_text
    assert "不予批准" in text and application.applicant.name in text and "家庭人均收入高于当地低保标准" in text
    assert "2025年01月24日" in text and "{" not in text


def test_issuing_the_notice_is_recorded_once_on_the_timeline_and_late_notices_say_so(district_admin, caseworker):
    application = refused(district_admin, decided_on=dt.date(2025, 1, 24))
    with pytest.raises(ValidationError):  # before the decision
        services.application_issue_refusal_notice(
            application_id=application.pk, acting_user=caseworker, issued_on=dt.date(2025, 1, 23)
        )
    services.application_issue_refusal_notice(
        application_id=application.pk, acting_user=caseworker, issued_on=dt.date(2025, 2, 7)
    )
    application.refresh_from_db()
    assert application.refusal_notice_issued_on == dt.date(2025, 2, 7)
    event = TimelineEvent.objects.get(application=application, kind=EventKind.REFUSAL_NOTICE)
    assert event.actor == caseworker and "2025-02-07" in event.text and "2" in event.text  # 2 working days late
    with pytest.raises(ValidationError) as again:
        services.application_issue_refusal_notice(application_id=application.pk, acting_user=caseworker)
    assert again.value.code == "issued"
    # only a refused application has a refusal notice
    other = make_application(OWN)
    with pytest.raises(ValidationError):
        services.application_issue_refusal_notice(application_id=other.pk, acting_user=caseworker)


def test_late_refusal_notices_are_in_the_overdue_lists_per_street_and_district(district_admin, caseworker):
    today = timezone.localdate()
    late = refused(district_admin, decided_on=today - dt.timedelta(days=30))
    on_time = refused(district_admin, decided_on=today)
    issued = refused(district_admin, decided_on=today - dt.timedelta(days=30))
    services.application_issue_refusal_notice(application_id=issued.pk, acting_user=caseworker)

    overdue_ids = set(selectors.overdue_applications(user=district_admin, today=today).values_list("id", flat=True))
    assert late.pk in overdue_ids and on_time.pk not in overdue_ids and issued.pk not in overdue_ids
    for level, unit in ((3, OWN[:9]), (2, OWN[:6])):
        rows = {r["unit"]: r for r in selectors.overdue_counts(user=district_admin, level=level, today=today)}
        assert rows[unit]["notice_overdue"] == 1
        assert rows[unit]["open"] == 0  # refused applications are not open ones

    client = _client(caseworker)
    body = client.get(reverse("assistance:overdue")).content.decode()
    assert f"/assistance/applications/{late.pk}/" in body and f"/assistance/applications/{on_time.pk}/" not in body
    assert "拒绝通知书逾期" in body or "不予批准通知书逾期" in body


def test_check_start_deadline_is_counted_per_street(caseworker):
    today = timezone.localdate()
    application = make_application(OWN)
    application.check_due_on = today - dt.timedelta(days=1)
    application.save(update_fields=["check_due_on"])
    rows = {r["unit"]: r for r in selectors.overdue_counts(user=caseworker, level=3, today=today)}
    assert rows[OWN[:9]]["check_overdue"] == 1


def test_application_page_shows_the_notice_and_records_its_issue_in_chinese(district_admin, caseworker):
    application = refused(district_admin, decided_on=timezone.localdate())
    client = _client(caseworker)
    url = reverse("assistance:application_detail", args=[application.pk])
    body = client.get(url).content.decode()
    assert 'id="refusal-notice-text"' in body and "不予批准通知书" in body
    assert "尚未送达" in body or "未发出" in body
    action = reverse("assistance:application_action", args=[application.pk])
    response = client.post(action, {"action": "refusal_notice", "issued_on": "not a date"}, follow=True)
    assert "填写" in response.content.decode()  # a Chinese message, nothing saved
    application.refresh_from_db()
    assert application.refusal_notice_issued_on is None
    client.post(action, {"action": "refusal_notice", "issued_on": timezone.localdate().isoformat()})
    application.refresh_from_db()
    assert application.refusal_notice_issued_on == timezone.localdate()
    assert 'id="issue-refusal-notice"' not in client.get(url).content.decode()


# --- review notification texts --------------------------------------------------------------------------------


def test_every_notice_kind_has_a_default_text_from_the_migration(db):
    texts = dict(NotificationText.objects.values_list("kind", "text"))
    if not texts:  # a transactional test before this one emptied the table: the reference loader restores it
        notifications.ensure_defaults()
        texts = dict(NotificationText.objects.values_list("kind", "text"))
    assert set(texts) == set(NotificationKind.values)
    for text in texts.values():
        notifications.check_placeholders(text)


def test_review_outcome_uses_the_text_the_admin_edited(caseworker):
    notifications.ensure_defaults()
    NotificationText.objects.filter(kind=NotificationKind.REVIEW_RAISE).update(
        text="{name}：自{month}起月保障金由{old_amount}元调整为{new_amount}元（{reasons}），{date}。"
    )
    case = make_case(OWN, amount=Decimal("300.00"), first_payment_month=dt.date(2026, 1, 1))
    review = services.case_open_review(case_id=case.pk, reason="家庭变故", acting_user=caseworker)
    decided = services.case_decide_review(
        review_id=review.pk,
        acting_user=caseworker,
        outcome=ReviewOutcome.RAISE,
        reason="家庭成员患病",
        new_amount=Decimal("450.00"),
        decided_on=dt.date(2026, 3, 10),
    )
    name = case.application.applicant.name
    expected = f"{name}：自2026年04月起月保障金由300.00元调整为450.00元（家庭成员患病），2026年03月10日。"
    assert decided.notification_text == expected


def test_unknown_placeholders_are_refused_with_the_list_of_known_ones(db):
    with pytest.raises(ValidationError) as bad:
        notifications.check_placeholders("{name}{name.__class__}{金额}{oops}")
    assert "{oops}" in bad.value.messages[0] and "{new_amount}" in bad.value.messages[0]
    # attribute and index syntax is not a placeholder at all: it stays as typed, nothing is evaluated
    assert notifications.fill("{name.__class__} {name}", {"name": "张三"}) == "{name.__class__} 张三"


def test_city_admin_edits_the_texts_in_the_django_admin_and_other_roles_cannot(client, city_admin, district_admin):
    notifications.ensure_defaults()
    user_apply_role(user=city_admin)  # staff, and the city admin group with its permissions
    text = NotificationText.objects.get(kind=NotificationKind.REVIEW_STOP)
    change = reverse("admin:assistance_notificationtext_change", args=[text.pk])
    client.login(username=city_admin.username, password=TEST_PASSWORD)
    assert client.get(reverse("admin:assistance_notificationtext_changelist")).status_code == 200
    response = client.post(change, {"text": "{name}：自{month}起停发，{oops}"})
    assert response.status_code == 200 and "{oops}" in response.content.decode()  # refused, input kept
    response = client.post(change, {"text": "{name}：自{month}起停发{programme}。理由：{reasons}"})
    assert response.status_code == 302
    text.refresh_from_db()
    assert text.text.endswith("理由：{reasons}") and text.updated_by == city_admin
    assert client.get(reverse("admin:assistance_notificationtext_add")).status_code == 403
    client.logout()
    client.login(username=district_admin.username, password=TEST_PASSWORD)
    assert client.get(change).status_code == 302  # to the admin login: not staff


def _client(user):
    from django.test import Client

    c = Client()
    c.login(username=user.username, password=TEST_PASSWORD)
    return c
