from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance.petitions.models import Petition, PetitionStatus
from dalian_minzheng.audit.models import AccessEvent
from tests.petitions.factories import make_petition

COMMUNITY = "210202001001"
OTHER_DISTRICT_COMMUNITY = "210203010001"


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.mark.django_db
def test_list_is_scoped_searchable_filtered_and_paged(client_for, caseworker, city_admin):
    for i in range(60):
        make_petition(COMMUNITY, subject=f"低保金额 {i}", received_on=dt.date(2018, 3, 1) + dt.timedelta(days=i))
    make_petition(
        COMMUNITY,
        petitioner_name="欧阳修文",
        subject="特困供养",
        status="resolved",
        assigned_to=caseworker,
        resolution="已解释",
        resolved_on=dt.date(2018, 3, 5),
    )
    make_petition(OTHER_DISTRICT_COMMUNITY, petitioner_name="西岗人", subject="西岗的信访")

    client = client_for(caseworker)
    response = client.get(reverse("petitions:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "西岗人" not in html
    assert response.context["page"].paginator.count == 61
    assert len(response.context["page"].object_list) == 50
    page2 = client.get(reverse("petitions:list"), {"page": 2})
    assert len(page2.context["page"].object_list) == 11

    found = client.get(reverse("petitions:list"), {"q": "欧阳"})
    assert [p.petitioner_name for p in found.context["page"]] == ["欧阳修文"]
    # another district's petition is not found by search either
    assert client.get(reverse("petitions:list"), {"q": "西岗"}).context["page"].paginator.count == 0

    overdue = client.get(reverse("petitions:list"), {"overdue": "on"})
    assert overdue.context["page"].paginator.count == 60  # open and past due; the resolved one is not overdue
    city = client_for(city_admin).get(reverse("petitions:list"), {"district": "210203"})
    assert [p.petitioner_name for p in city.context["page"]] == ["西岗人"]


@pytest.mark.django_db
def test_list_query_count_is_constant(client_for, caseworker, make_user):
    handler = make_user("cw_handler", "caseworker", "210202001")
    for _ in range(5):
        make_petition(COMMUNITY, status="assigned", assigned_to=handler)
    client = client_for(caseworker)
    client.get(reverse("petitions:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("petitions:list"))
    for _ in range(40):
        make_petition(COMMUNITY, status="assigned", assigned_to=handler)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("petitions:list"))
    assert len(many) == len(few)


@pytest.mark.django_db
def test_register_form_keeps_input_and_shows_chinese_errors(client_for, caseworker):
    client = client_for(caseworker)
    response = client.post(
        reverse("petitions:create"),
        {
            "division": COMMUNITY,
            "channel": "letter",
            "received_on": "2018-05-02",
            "subject": "低保停发有异议",
            "content": "",
            "due_working_days": "15",
            "petitioner_id_number": "210202196504121234",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "低保停发有异议" in html  # input kept
    assert "这个字段是必填项" in html  # Django's own message, in Chinese
    assert "身份证" in html  # the ID number error (check digit) in Chinese
    assert not Petition.objects.exists()


@pytest.mark.django_db
def test_register_and_handle_through_the_views(client_for, caseworker, district_admin):
    client = client_for(caseworker)
    response = client.post(
        reverse("petitions:create"),
        {
            "division": COMMUNITY,
            "petitioner_name": "孙小美",
            "channel": "hotline",
            "received_on": "2018-05-02",
            "subject": "低保停发有异议",
            "content": "反映停发理由不充分。",
            "due_working_days": "15",
        },
    )
    petition = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("petitions:detail", args=[petition.pk])
    assert petition.created_by == caseworker and petition.due_on == dt.date(2018, 5, 23)

    admin = client_for(district_admin)
    assert admin.post(reverse("petitions:assign", args=[petition.pk]), {"assignee": caseworker.pk}).status_code == 302
    client = client_for(caseworker)
    assert client.post(reverse("petitions:start", args=[petition.pk])).status_code == 302
    bad = client.post(
        reverse("petitions:resolve", args=[petition.pk]),
        {"resolution": "", "resolved_on": "2018-05-20", "satisfaction": "satisfied"},
    )
    assert bad.status_code == 400
    good = client.post(
        reverse("petitions:resolve", args=[petition.pk]),
        {"resolution": "已复核，恢复发放。", "resolved_on": "2018-05-20", "satisfaction": "satisfied"},
    )
    assert good.status_code == 302
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.RESOLVED and petition.resolution == "已复核，恢复发放。"
    detail = client.get(reverse("petitions:detail", args=[petition.pk]))
    assert "已复核，恢复发放。" in detail.content.decode()
    # the history shows each step and who took it (from the audit trail)
    history = detail.context["history"]
    assert [h.status for h in history] == ["registered", "assigned", "in_progress", "resolved"]
    assert [h.by for h in history] == [caseworker, district_admin, caseworker, caseworker]
    assert history[1].handler == caseworker


@pytest.mark.django_db
def test_other_division_answers_404_and_auditor_cannot_write(
    client_for, caseworker, auditor, make_user, district_admin
):
    other = make_petition(OTHER_DISTRICT_COMMUNITY)
    own = make_petition(COMMUNITY)
    client = client_for(caseworker)
    for name in ("detail", "assign", "start", "resolve", "close"):
        assert client.get(reverse(f"petitions:{name}", args=[other.pk])).status_code == 404
    assert client.post(reverse("petitions:close", args=[other.pk]), {"reason": "x"}).status_code == 404
    # the district admin of 中山区 sees their own district only
    admin = client_for(district_admin)
    assert admin.get(reverse("petitions:detail", args=[own.pk])).status_code == 200
    assert admin.get(reverse("petitions:detail", args=[other.pk])).status_code == 404

    reader = client_for(auditor)
    assert reader.get(reverse("petitions:detail", args=[other.pk])).status_code == 200
    assert reader.post(reverse("petitions:close", args=[own.pk]), {"reason": "x"}).status_code == 403
    assert reader.get(reverse("petitions:create")).status_code == 403
    own.refresh_from_db()
    assert own.status == PetitionStatus.REGISTERED


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("petitions:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_dashboard_counts(client_for, city_admin):
    for i in range(4):
        make_petition(
            COMMUNITY,
            status="resolved",
            assigned_to=city_admin,
            resolution="已解决",
            resolved_on=dt.date(2018, 6, 1 + i),
        )
    make_petition(OTHER_DISTRICT_COMMUNITY, status="registered")
    response = client_for(city_admin).get(reverse("petitions:dashboard"), {"year": 2018})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="total-resolved">4<' in html
    rows = {r.code: r for r in response.context["rows"]}
    assert rows["210202"].resolved_in_year == 4 and rows["210203"].by_status["registered"] == 1


@pytest.mark.django_db
def test_export_is_scoped_neutralised_and_recorded(client_for, caseworker):
    make_petition(COMMUNITY, subject='=HYPERLINK("http://evil")', petitioner_name="周到")
    make_petition(OTHER_DISTRICT_COMMUNITY, petitioner_name="西岗人")
    client = client_for(caseworker)
    listing = client.get(reverse("petitions:list"), {"status": "registered"}).content.decode()
    assert "kind=petitions.petitions&amp;format=xlsx&amp;status=registered" in listing  # the button keeps the filters
    response = client.get(reverse("spreadsheets:export"), {"kind": "petitions.petitions", "format": "xlsx"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2  # header + the one petition in scope
    assert rows[1][3] == "周到"
    assert rows[1][6] == '\'=HYPERLINK("http://evil")'
    event = AccessEvent.objects.get(kind="export")  # (the client's login is an access event too)
    assert event.kind == "export" and event.row_count == 1 and event.user == caseworker
    assert event.detail["export"] == "petitions.petitions"
