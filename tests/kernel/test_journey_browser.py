"""Browser journey (Playwright + system Chromium): a 中山区 caseworker finds a person, sees only the masked ID
number, and gets 404 opening a 西岗区 household by URL."""

import pytest

from dalian_minzheng.audit.models import AccessEvent
from tests.kernel.factories import make_household, make_person


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_caseworker_finds_person_sees_masked_id_and_cannot_open_other_district(page, login, caseworker, live_server):
    person = make_person("210202001", name="韩美玲", phone="13566667777")
    make_person("210202001", name="韩冬")
    foreign = make_household("210203001", head_name="韩外区")

    login(caseworker)
    page.goto("/people/")
    page.fill("input[name=q]", "韩美")
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    row = page.locator("table tbody tr", has_text="韩美玲")
    assert row.count() == 1
    assert person.masked_id_number in row.inner_text()
    assert person.id_number not in page.content()
    assert "韩外区" not in page.content()

    # The last four digits find the same person.
    page.fill("input[name=q]", person.id_number[-4:])
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    row.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=id-number]").inner_text().strip() == person.masked_id_number

    # The audited "show full number" swaps in the full number (htmx) and leaves a record for the auditor.
    page.click("[data-testid=reveal-id]")
    page.wait_for_function(
        "n => document.querySelector('[data-testid=id-number]').innerText.includes(n)", arg=person.id_number
    )
    assert AccessEvent.objects.filter(kind="reveal_id", user=caseworker, object_id=str(person.pk)).count() == 1

    # Another district's household by URL: 404, and nothing of it on the page.
    response = page.goto(f"/people/households/{foreign.pk}/")
    assert response.status == 404
    assert "韩外区" not in page.content()

    # The strict CSP was on every page of the journey and refused nothing the portal sent (console listener in the
    # `page` fixture); the language switch, formerly an inline onchange, still works from the static script.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto("/people/")
    page.select_option("#id_language", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.csp_violations == []

    # Control: an injected inline script is refused, and the listener sees the refusal.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    assert page.evaluate("() => window.x") is None
    assert page.csp_violations and "inline script" in page.csp_violations[0]
    page.csp_violations.clear()
