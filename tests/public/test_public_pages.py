"""The public notice board and the online disclosure: no login, masked names only, nothing that identifies a
person beyond 张*华, household size and amount."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dalian_minzheng.people import idnumbers
from tests.public.factories import make_case, make_notice

COMMUNITY = "210202001001"  # 中山区 海军广场街道 第一社区
NEIGHBOUR = "210202001002"  # same street, next community
OTHER_DISTRICT = "210203010001"  # 西岗区


def assert_no_personal_data(html: str, people) -> None:
    """Neither the full name nor any eight characters in a row of the ID number, nor its masked form."""
    for person in people:
        assert person.name not in html, person.name
        number = person.id_number
        for i in range(len(number) - 7):
            assert number[i : i + 8] not in html, f"ID fragment {number[i : i + 8]} of {person.name}"
        assert idnumbers.mask(number) not in html
        assert person.address not in html if person.address else True
    # no links into the staff side and no record ids in data attributes
    assert "/assistance/" not in html
    assert not re.search(r"data-(id|pk)=", html)


@pytest.fixture
def neighbourhood(divisions):
    today = timezone.localdate()
    recipients = [
        make_case(COMMUNITY, "张三丰", household_size=3, amount=Decimal("1520.00")),
        make_case(COMMUNITY, "欧阳春华", household_size=1, amount=Decimal("845.50")),
        make_case(COMMUNITY, "李四", household_size=2, amount=Decimal("1100.00")),
    ]
    stopped = make_case(COMMUNITY, "王停发", status="stopped")
    neighbour = make_case(NEIGHBOUR, "赵邻居", household_size=4, amount=Decimal("2010.00"))
    far = make_case(OTHER_DISTRICT, "钱西岗", household_size=2, amount=Decimal("990.00"))
    current, current_person = make_notice(COMMUNITY, "孙公示", starts_on=today - dt.timedelta(days=2))
    _, expired_person = make_notice(COMMUNITY, "周过期", starts_on=today - dt.timedelta(days=10), status="closed")
    _, future_person = make_notice(COMMUNITY, "吴未来", starts_on=today + dt.timedelta(days=3))
    _, neighbour_notice_person = make_notice(NEIGHBOUR, "郑邻公示", starts_on=today - dt.timedelta(days=1))
    return {
        "recipients": recipients,
        "stopped": stopped,
        "neighbour": neighbour,
        "far": far,
        "notice_person": current_person,
        "hidden_notice_people": [expired_person, future_person, neighbour_notice_person],
        "everyone": [c.application.applicant for c in [*recipients, stopped, neighbour, far]]
        + [current_person, expired_person, future_person, neighbour_notice_person],
    }


@pytest.mark.django_db
def test_community_page_shows_masked_recipients_and_current_notices_only(client, neighbourhood):
    response = client.get(reverse("public_notice:community", kwargs={"code": COMMUNITY}))
    assert response.status_code == 200
    html = response.content.decode()
    for masked, size, amount in (("张*丰", 3, "1520.00"), ("欧**华", 1, "845.50"), ("李*", 2, "1100.00")):
        assert re.search(rf"<td>{re.escape(masked)}</td><td[^>]*>{size}</td><td[^>]*>{amount}</td>", html), masked
    # the notice on display now, with its period
    assert "孙*示" in html and "980.00" in html
    # not shown: the stopped case, other communities' recipients, expired / future / other communities' notices
    for masked in ("王*发", "赵*居", "钱*岗", "周*期", "吴*来", "郑**示"):
        assert masked not in html, masked
    assert_no_personal_data(html, neighbourhood["everyone"])


@pytest.mark.django_db
def test_community_page_needs_no_login_and_is_cacheable(client, neighbourhood):
    response = client.get(reverse("public_notice:community", kwargs={"code": COMMUNITY}))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies  # no session, no CSRF cookie
    assert response.has_header("ETag")
    again = client.get(
        reverse("public_notice:community", kwargs={"code": COMMUNITY}), HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


@pytest.mark.django_db
def test_unknown_or_non_community_codes_are_404(client, neighbourhood):
    assert client.get("/gongshi/210202001999/").status_code == 404
    assert client.get("/gongshi/210202001/").status_code == 404  # a street, not a community
    assert client.post(reverse("public_notice:community", kwargs={"code": COMMUNITY})).status_code == 405


@pytest.mark.django_db
def test_disclosure_index_lists_everyone_masked_and_filters_by_division(client, neighbourhood):
    url = reverse("public_notice:index")
    html = client.get(url).content.decode()
    for masked in ("张*丰", "欧**华", "李*", "赵*居", "钱*岗"):
        assert masked in html
    assert "王*发" not in html  # stopped
    assert_no_personal_data(html, neighbourhood["everyone"])

    by_district = client.get(url, {"district": "210203"}).content.decode()
    assert "钱*岗" in by_district and "张*丰" not in by_district
    by_street = client.get(url, {"district": "210202", "street": "210202001"}).content.decode()
    assert "赵*居" in by_street and "张*丰" in by_street and "钱*岗" not in by_street
    by_community = client.get(url, {"district": "210202", "street": "210202001", "community": NEIGHBOUR})
    html = by_community.content.decode()
    assert "赵*居" in html and "张*丰" not in html
    # a community outside the chosen street does not widen or escape the filter
    mismatched = client.get(url, {"district": "210202", "street": "210202001", "community": OTHER_DISTRICT})
    mismatched_html = mismatched.content.decode()
    assert "赵*居" in mismatched_html and "张*丰" in mismatched_html and "钱*岗" not in mismatched_html
    assert '<option value="210202001001"' in by_community.content.decode()  # community drop-down filled

    # search by community name
    name = neighbourhood["neighbour"].division.name
    searched = client.get(url, {"q": name}).content.decode()
    assert "赵*居" in searched and "张*丰" not in searched


@pytest.mark.django_db
def test_disclosure_pagination(client, divisions):
    # 70 households in the second community registered first, then 50 in the first: the list is by community, then
    # by registration, so the first community's 50 come first although they were registered last
    for i in range(70):
        make_case(NEIGHBOUR, f"分页{i:03d}号", amount=Decimal(2000 + i))
    for i in range(50):
        make_case(COMMUNITY, f"分页{i:03d}号", amount=Decimal(1000 + i))
    expected = [f"{1000 + i}.00" for i in range(50)] + [f"{2000 + i}.00" for i in range(70)]
    url = reverse("public_notice:index")
    amount_cell = re.compile(r'<td class="text-end">(\d+\.\d\d)</td>')
    seen = []
    for number in (1, 2, 3):
        html = client.get(url, {"page": number}).content.decode()
        assert f"第{number}页，共3页" in html
        seen += amount_cell.findall(html)
    assert seen == expected  # every recipient exactly once, in order, across the pages
    assert "<tr><td>分****号</td>" in html  # 分页000号, six characters
    beyond = client.get(url, {"page": 99}).content.decode()
    assert "第3页，共3页" in beyond  # clamped to the last page
    assert amount_cell.findall(beyond) == expected[100:]
    assert client.get(url, {"page": "x"}).status_code == 200
    # the same walk inside one district, and after a change (a new recipient) the pages follow at once
    make_case(COMMUNITY, "新增户", amount=Decimal("1999.00"))
    page3 = client.get(url, {"district": "210202", "page": 3}).content.decode()
    assert amount_cell.findall(page3) == expected[99:]


@pytest.mark.django_db
def test_disclosure_query_count_is_constant(client, divisions):
    for _ in range(3):
        make_case(COMMUNITY, "甲乙丙")
    url = reverse("public_notice:index")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"district": "210202", "street": "210202001"})
    for _ in range(30):
        make_case(COMMUNITY, "甲乙丙")
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"district": "210202", "street": "210202001"})
    assert len(many) == len(few) <= 6


@pytest.mark.django_db
def test_page_keys_match_the_public_selector(neighbourhood):
    """The count and page starts come from the case table alone; they must select exactly the selector's rows."""
    from assistance import selectors as assistance_selectors
    from assistance.public.selectors import _ordering_keys

    name = neighbourhood["neighbour"].division.name
    for prefix, search in ((None, None), ("210202", None), (COMMUNITY, None), ("210203", None), (None, name)):
        expected = [r["id"] for r in assistance_selectors.public_recipients(community_code=prefix, search=search)]
        keys = list(_ordering_keys(prefix, search).order_by("division_id", "id").values_list("id", flat=True))
        assert keys == expected and keys, (prefix, search)
