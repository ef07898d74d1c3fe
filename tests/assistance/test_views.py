"""Pages: every role sees its own division, another district's record is a 404, list pages run a constant number of
queries whatever the page size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance import services
from assistance.models import Application
from tests.assistance.factories import make_application, make_case, make_review, make_roster
from tests.conftest import TEST_PASSWORD

OWN = "210202001001"
OTHER = "210203001001"


def client_for(client, user):
    client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize(
    "name",
    [
        "index",
        "application_list",
        "overdue",
        "case_list",
        "review_list",
        "standard_list",
        "workday_list",
        "roster_list",
    ],
)
def test_pages_render_for_each_role(client, name, caseworker, district_admin, city_admin, auditor):
    make_case(OWN)
    make_application(OWN)
    for user in (caseworker, district_admin, city_admin, auditor):
        response = client_for(client, user).get(reverse(f"assistance:{name}"))
        # rosters are district business: caseworkers see payments on the case page instead
        expected = 403 if (name == "roster_list" and user.role == "caseworker") else 200
        assert response.status_code == expected, (name, user.role)


def test_record_pages_answer_404_for_another_district(client, caseworker, caseworker_other_district, make_user):
    application = make_application(OWN)
    case = make_case(OWN)
    review = make_review(OWN)
    roster = make_roster(OWN)
    c = client_for(client, caseworker_other_district)
    for url in (
        reverse("assistance:application_detail", args=[application.pk]),
        reverse("assistance:application_visit", args=[application.pk]),
        reverse("assistance:case_detail", args=[case.pk]),
        reverse("assistance:review_detail", args=[review.pk]),
    ):
        assert c.get(url).status_code == 404, url
    admin_other = client_for(client, make_user("da_xigang", "district_admin", "210203"))
    assert admin_other.get(reverse("assistance:roster_detail", args=[roster.pk])).status_code == 404
    assert admin_other.get(reverse("assistance:roster_export", args=[roster.pk])).status_code == 404
    c = client_for(client, caseworker_other_district)
    assert (
        c.post(reverse("assistance:application_action", args=[application.pk]), {"action": "notice"}).status_code == 404
    )
    c = client_for(client, caseworker)
    for url in (
        reverse("assistance:application_detail", args=[application.pk]),
        reverse("assistance:case_detail", args=[case.pk]),
        reverse("assistance:review_detail", args=[review.pk]),
    ):
        assert c.get(url).status_code == 200, url


def test_auditor_cannot_post(client, auditor):
    application = make_application(OWN)
    response = client_for(client, auditor).post(
        reverse("assistance:application_action", args=[application.pk]), {"action": "notice"}
    )
    assert response.status_code == 403


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_have_constant_query_counts(client, district_admin):
    c = client_for(client, district_admin)
    make_case(OWN, next_review_due=dt.date(2020, 1, 1))
    make_application(OWN, due_on=dt.date(2020, 1, 1))
    urls = [
        reverse("assistance:case_list"),
        reverse("assistance:application_list"),
        reverse("assistance:case_list") + "?q=王&status=active",
        reverse("assistance:overdue"),
        reverse("assistance:review_list"),
    ]
    for url in urls:
        c.get(url)  # fills the cached programme choices, as any earlier page view would have
    before = [_count(c, url) for url in urls]
    for _ in range(6):
        make_case(OWN, next_review_due=dt.date(2020, 1, 1))
        make_application(OWN, due_on=dt.date(2020, 1, 1))
    after = [_count(c, url) for url in urls]
    assert before == after


def test_case_and_application_lists_run_five_queries_for_every_role_and_filter(
    client, caseworker, district_admin, city_admin, auditor
):
    """Session, user, the user's division (scope and navbar), the count, and one statement for the page's rows
    (ids and joins together) — whatever the role, filter or page, and however many rows there are."""
    programme_case = make_case(OWN, next_review_due=dt.date(2020, 1, 1))
    make_application(OWN, due_on=dt.date(2020, 1, 1))
    programme = programme_case.programme_id
    queries = [
        "",
        "?page=2",
        "?page=abc",
        "?q=王",
        "?q=1234",
        f"?programme={programme}&status=active",
        "?overdue=on",
        "?division=210202001",
    ]
    for user in (caseworker, district_admin, city_admin, auditor):
        c = client_for(client, user)
        for name in ("assistance:case_list", "assistance:application_list"):
            c.get(reverse(name))
            counts = {query: _count(c, reverse(name) + query) for query in queries}
            assert set(counts.values()) == {5}, (user.role, name, counts)


def test_case_list_rows_show_the_case_and_flag_overdue_reviews(client, district_admin):
    overdue = make_case(OWN, next_review_due=dt.date(2020, 1, 1))
    body = client_for(client, district_admin).get(reverse("assistance:case_list")).content.decode()
    applicant = overdue.application.applicant
    assert f'href="/assistance/cases/{overdue.pk}/"' in body
    assert applicant.name in body and applicant.masked_id_number in body
    assert applicant.id_number not in body
    assert '<td class="text-danger fw-bold">2020-01-01</td>' in body
    assert "共1条" in body


def test_search_by_last_four_and_filters(client, district_admin):
    case = make_case(OWN)
    other = make_case("210202005001")
    c = client_for(client, district_admin)
    last4 = case.application.applicant.id_number[-4:]
    body = c.get(reverse("assistance:case_list"), {"q": last4}).content.decode()
    assert f"/assistance/cases/{case.pk}/" in body
    body = c.get(reverse("assistance:case_list"), {"division": "210202005"}).content.decode()
    assert f"/assistance/cases/{other.pk}/" in body and f"/assistance/cases/{case.pk}/" not in body
    # full ID numbers never appear in the list
    assert case.application.applicant.id_number not in body


def test_caseworker_registers_application_through_the_form(client, caseworker):
    from assistance.models import Programme
    from tests.assistance.factories import ensure_programmes, make_id_number

    ensure_programmes()
    c = client_for(client, caseworker)
    url = reverse("assistance:application_create")
    assert c.get(url).status_code == 200
    data = {
        "division": OWN,
        "programme": Programme.objects.get(code="urban_allowance").pk,
        "id_number": "123",
        "name": "王秀英",
        "hukou_type": "urban",
        "accepted_on": "2026-11-02",
    }
    response = c.post(url, data)
    assert response.status_code == 200
    assert "身份证" in response.content.decode() or "ID" in response.content.decode()
    assert 'value="王秀英"' in response.content.decode()  # input kept
    data["id_number"] = make_id_number("210202")
    data["members"] = f"{make_id_number('210202', male=False)} 李桂兰 配偶"
    data["documents"] = ["申请书", "户口簿"]
    response = c.post(url, data)
    assert response.status_code == 302
    application = Application.objects.get(applicant__name="王秀英")
    assert application.household_size == 2
    assert "身份证" in application.missing_documents
    assert services.add_months(dt.date(2026, 11, 1), 1) == dt.date(2026, 12, 1)


def test_a_failed_workflow_action_shows_the_form_again_with_the_input_and_a_chinese_message(client, district_admin):
    application = make_application(OWN, status="pending_decision")
    c = client_for(client, district_admin)
    action = reverse("assistance:application_action", args=[application.pk])
    # the service refuses reasons this short: the page comes back with them, not a redirect that loses them
    response = c.post(action, {"action": "refuse", "reasons": "不符"})
    body = response.content.decode()
    assert response.status_code == 200
    assert ">\n不符</textarea>" in body and "请填写不予批准的理由" in body
    response = c.post(action, {"action": "approve", "amount": "八百", "bank_name": "大连银行"})
    body = response.content.decode()
    assert response.status_code == 200 and 'value="大连银行"' in body and "请填写数字" in body
    application.refresh_from_db()
    assert application.status == "pending_decision"


def test_case_page_keeps_the_reason_when_the_step_is_refused(client, district_admin):
    case = make_case(OWN)
    c = client_for(client, district_admin)
    url = reverse("assistance:case_detail", args=[case.pk])
    assert c.post(url, {"action": "stop", "reason": "户主死亡"}).status_code == 302
    response = c.post(url, {"action": "stop", "reason": "重复停发"})
    body = response.content.decode()
    assert response.status_code == 200 and ">\n重复停发</textarea>" in body and "已停发" in body


def test_division_filter_suggests_only_divisions_in_scope(client, caseworker, city_admin):
    body = client_for(client, caseworker).get(reverse("assistance:case_list")).content.decode()
    assert 'list="division-options"' in body
    assert '<option value="210202001001">' in body  # a community of the caseworker's street
    assert '<option value="210203' not in body  # nothing from another district
    body = client_for(client, city_admin).get(reverse("assistance:application_list")).content.decode()
    assert '<option value="210203">' in body and '<option value="210202001">' in body


def test_list_filters_keep_the_chosen_values(client, district_admin):
    case = make_case(OWN)
    programme = case.programme_id
    url = reverse("assistance:case_list") + f"?programme={programme}&status=active&overdue=on&division=210202001"
    body = client_for(client, district_admin).get(url).content.decode()
    assert f'<option value="{programme}" selected>' in body
    assert '<option value="active" selected>' in body
    assert 'id="id_overdue" class="form-check-input" checked' in body
    assert 'value="210202001"' in body
    body = client_for(client, district_admin).get(reverse("assistance:application_list") + "?related_to_staff=on")
    assert 'id="id_related_to_staff" class="form-check-input" checked' in body.content.decode()


def test_filter_caches_follow_edits_of_programmes_and_divisions(client, city_admin):
    from assistance.models import Programme
    from dalian_minzheng.people.models import Division

    make_case(OWN)
    c = client_for(client, city_admin)
    c.get(reverse("assistance:case_list"))  # fills both caches
    programme = Programme.objects.get(code="urban_allowance")
    programme.name = "城市最低生活保障"
    programme.save()
    street = Division.objects.get(code="210202001")
    street.name = "海军广场街道（新）"
    street.save()
    body = c.get(reverse("assistance:case_list")).content.decode()
    assert f'<option value="{programme.pk}">城市最低生活保障</option>' in body
    assert '<option value="210202001">海军广场街道（新）</option>' in body
