"""A resident opens the community notice board in Chromium, without logging in, and sees masked names only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.public.factories import make_case, make_notice

COMMUNITY = "210202001001"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_sees_masked_names_without_login(page, divisions):
    make_case(COMMUNITY, "张三华", household_size=3, amount=Decimal("1520.00"))
    make_case("210202001002", "赵邻居", household_size=2, amount=Decimal("990.00"))
    make_notice(COMMUNITY, "孙公示", starts_on=timezone.localdate() - dt.timedelta(days=1))

    page.goto(f"/gongshi/{COMMUNITY}/")
    assert "/accounts/login/" not in page.url
    recipients = page.locator("#recipients tbody tr")
    assert recipients.count() == 1
    cells = recipients.first.locator("td")
    assert cells.nth(0).inner_text() == "张*华"
    assert cells.nth(1).inner_text() == "3"
    assert cells.nth(2).inner_text() == "1520.00"
    assert page.locator("#notices tbody tr").first.locator("td").first.inner_text() == "孙*示"
    text = page.locator("body").inner_text()
    assert "张三华" not in text and "孙公示" not in text and "赵*居" not in text
    assert "正在公示" in text  # the page is in Chinese

    # from the city-wide disclosure, narrow down by district and street with the drop-downs
    page.goto("/gongshi/")
    page.select_option("#district", "210202")
    page.wait_for_load_state("networkidle")
    page.select_option("#street", "210202001")
    page.wait_for_load_state("networkidle")
    page.select_option("#community", COMMUNITY)
    page.wait_for_load_state("networkidle")
    rows = page.locator("#recipients tbody tr")
    assert rows.count() == 1 and rows.first.locator("td").first.inner_text() == "张*华"
    rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/gongshi/{COMMUNITY}/")
