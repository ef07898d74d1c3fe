"""Issue 13, "login": lockout after repeated failures (django-axes), every login and failure on the access log, a
password-change page for every role, an idle timeout, Chinese password rules, and optional TOTP for city admins."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dalian_minzheng.accounts.middleware import LAST_ACTIVITY
from dalian_minzheng.audit.models import AccessEvent, AccessKind
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_lockout_after_the_limit_per_user_name_and_address(client, caseworker, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert _login(client, caseworker.username, "wrong-password").status_code == 200
    assert _login(client, caseworker.username, "wrong-password").status_code == 429  # the third locks
    locked = _login(client, caseworker.username, TEST_PASSWORD)  # the right password no longer helps
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已被锁定" in page and "30" in page
    assert "_auth_user_id" not in client.session
    # another address is counted apart (nobody locks a colleague out from elsewhere) …
    assert _login(client, caseworker.username, TEST_PASSWORD, address="10.0.0.2").status_code == 302
    failures = AccessEvent.objects.filter(kind=AccessKind.LOGIN_FAILED, user=caseworker)
    assert failures.count() == 4
    assert failures.filter(detail__locked_out=True).exists()


def test_every_login_failure_and_logout_is_an_access_event(client, caseworker):
    assert _login(client, caseworker.username, "wrong-password").status_code == 200
    assert _login(client, "nobody-such", "wrong-password").status_code == 200
    assert _login(client, caseworker.username, TEST_PASSWORD).status_code == 302
    assert client.post(reverse("logout"), REMOTE_ADDR="10.0.0.1").status_code == 302
    events = list(AccessEvent.objects.order_by("pk").values_list("kind", "user_id", "ip_address", "detail"))
    assert events == [
        (AccessKind.LOGIN_FAILED, caseworker.pk, "10.0.0.1", {"username": caseworker.username}),
        (AccessKind.LOGIN_FAILED, None, "10.0.0.1", {"username": "nobody-such"}),
        (AccessKind.LOGIN, caseworker.pk, "10.0.0.1", {}),
        (AccessKind.LOGOUT, caseworker.pk, "10.0.0.1", {}),
    ]
    assert "wrong-password" not in str(events)


@pytest.mark.parametrize("role", ["caseworker", "district_admin", "city_admin", "auditor"])
def test_every_role_changes_its_own_password(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert reverse("accounts:password_change") in home  # linked in the user menu
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    new = "Neues-Kennwort-2026x"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password(new)
    assert client.get(reverse("home")).status_code == 200  # still logged in after the change
    event = AccessEvent.objects.get(kind=AccessKind.PASSWORD_CHANGE)
    assert event.user == user and event.object_id == str(user.pk)


def test_password_rules_answer_in_chinese(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "short1", "new_password2": "short1"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "密码太短" in body and "10" in body
    assert "too short" not in body
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"):
        for password in ("abc", "12345678901234", "password123", caseworker.username + "1"):
            with pytest.raises(ValidationError) as refused:
                validate_password(password, user=caseworker)
            for message in refused.value.messages:
                assert not any("a" <= ch.lower() <= "z" for ch in message.replace(caseworker.username, "")), message


def test_idle_timeout_logs_out_besides_the_absolute_age(client, caseworker, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client.force_login(caseworker)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    assert abs(session[LAST_ACTIVITY] - time.time()) < 5
    session[LAST_ACTIVITY] = int(time.time()) - 599  # active recently enough
    session.save()
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = int(time.time()) - 601
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    logout = AccessEvent.objects.get(kind=AccessKind.LOGOUT)
    assert logout.user == caseworker and logout.detail == {"idle": True}


def test_city_admin_enrols_totp_and_is_then_asked_for_a_code(client, city_admin):
    client.force_login(city_admin)
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<?xml" not in body  # the QR code inline
    device = TOTPDevice.objects.get(user=city_admin, confirmed=False)
    assert client.post(reverse("accounts:otp_enrol"), {"token": "000000"}).status_code == 200
    device.throttle_reset()  # a failure throttles the device for a second (django-otp); not the point here
    assert client.post(reverse("accounts:otp_enrol"), {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.logout()

    # next login: the password alone reaches no page
    assert _login(client, city_admin.username, TEST_PASSWORD).status_code == 302
    response = client.get(reverse("people:person_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("admin:index")).status_code == 302
    wrong = client.post(reverse("accounts:otp_verify"), {"token": "000000", "next": "/people/"})
    assert wrong.status_code == 200 and "验证码" in wrong.content.decode()
    # the code was used at enrolment (and a wrong one throttles): allow it again
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    right = client.post(reverse("accounts:otp_verify"), {"token": _code(device), "next": "/people/"})
    assert right.status_code == 302 and right["Location"] == "/people/"
    assert client.get(reverse("people:person_list")).status_code == 200


def test_totp_is_optional_unless_required(client, city_admin, caseworker, settings):
    assert _login(client, city_admin.username, TEST_PASSWORD).status_code == 302
    assert client.get(reverse("people:person_list")).status_code == 200  # no device, not required
    client.logout()
    settings.OTP_REQUIRED_FOR_CITY_ADMINS = True
    assert _login(client, city_admin.username, TEST_PASSWORD).status_code == 302
    response = client.get(reverse("people:person_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_enrol"))
    client.logout()
    assert _login(client, caseworker.username, TEST_PASSWORD).status_code == 302  # other roles are not asked
    assert client.get(reverse("people:person_list")).status_code == 200
    assert client.get(reverse("accounts:otp_enrol")).status_code == 403


def test_a_password_change_in_the_admin_is_an_access_event_too(client, city_admin):
    from dalian_minzheng.accounts.services import user_apply_role

    user_apply_role(user=city_admin)  # staff, as in production
    client.force_login(city_admin)
    new = "Neues-Kennwort-2026x"
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    city_admin.refresh_from_db()
    assert city_admin.check_password(new)
    event = AccessEvent.objects.get(kind=AccessKind.PASSWORD_CHANGE)
    assert event.user == city_admin and event.object_id == str(city_admin.pk)
