"""The UI shell in Chinese: login, navigation, error pages, title, favicon, language switch."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import TEST_PASSWORD


@pytest.mark.django_db
def test_login_page_is_chinese_and_names_the_portal(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/?next=/")
    html = response.content.decode()
    assert "<title>登录 · 大连市民政局业务管理平台</title>" in html
    assert "用户名" in html and "密码" in html
    assert 'rel="icon"' in html and "img/favicon.svg" in html
    assert '<html lang="zh-hans">' in html


@pytest.mark.django_db
def test_wrong_password_is_refused_in_chinese_and_keeps_the_user_name(client, caseworker):
    response = client.post("/accounts/login/", {"username": caseworker.username, "password": "wrong-password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "用户名或密码错误" in html
    assert f'value="{caseworker.username}"' in html


@pytest.mark.django_db
def test_home_after_login_shows_the_chinese_navigation_and_logout(client, caseworker):
    assert client.login(username=caseworker.username, password=TEST_PASSWORD)
    html = client.get("/").content.decode()
    for label in ("社会救助", "养老服务", "社会组织", "殡葬改革", "退出登录"):
        assert label in html, label
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get("/").status_code == 302  # logged out


@pytest.mark.django_db
def test_404_page_is_chinese(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "返回首页" in html


@pytest.mark.django_db
def test_403_page_is_chinese(client, caseworker):
    client.force_login(caseworker)
    response = client.get(reverse("audit:event_list"))  # the audit trail is for auditors and the city admin
    assert response.status_code == 403
    html = response.content.decode()
    assert "您没有权限查看此页面" in html and "返回首页" in html


@pytest.mark.django_db
def test_500_page_is_chinese_and_renders_without_touching_the_database(django_assert_num_queries):
    from django.utils import translation

    from dalian_minzheng.core.views import server_error

    request = RequestFactory().get("/broken")
    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    assert "服务器出错" in response.content.decode()


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


@pytest.mark.django_db
def test_language_switch_in_the_footer_turns_the_page_english_and_back(client, caseworker):
    client.force_login(caseworker)
    html = client.get("/").content.decode()
    assert 'id="language-switch"' in html and "English" in html and "简体中文" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Social assistance" in html and "社会救助" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "社会救助" in client.get("/").content.decode()


@pytest.mark.browser
def test_a_caseworker_logs_in_through_chromium_and_sees_the_chinese_home_page(page, login, caseworker):
    login(caseworker)
    assert "/accounts/login/" not in page.url
    assert page.title().endswith("大连市民政局业务管理平台")
    navigation = page.locator("nav")
    for label in ("社会救助", "养老服务", "社会组织", "殡葬改革"):
        assert navigation.get_by_text(label, exact=True).is_visible(), label
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # static files (Bootstrap) are served: the navbar is styled, not a bare list
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_role("heading", name="登录").is_visible()
