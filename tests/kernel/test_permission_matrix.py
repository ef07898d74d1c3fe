"""The permission matrix: every URL pattern of the project × every role × (own division, other division, anonymous).

The URL patterns are walked from the root resolver at collection time, so every app's views (and the admin) are
checked without anyone listing them here. Each view's `access_policy` (set by `@access`, see
dalian_minzheng/accounts/policy.py for the rules) is what the responses are checked against. A view without a policy
fails. Records for URLs with `model=` are made by the factories registered with `@scoped_factory` in any
tests/**/factories.py (imported automatically); the kwargs of other URLs by the functions registered there with
`@sample_kwargs(<url name>)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView, LogoutView
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.views.generic.base import RedirectView
from django.views.i18n import set_language

from dalian_minzheng.accounts.policy import AccessPolicy
from tests.factories_registry import SAMPLE_KWARGS, SCOPED_FACTORIES

TESTS_DIR = Path(__file__).resolve().parent.parent
ROLES = ("caseworker", "district_admin", "city_admin", "auditor")
# Where each role's user sits, and where "another district" is for everyone.
USER_DIVISION = {"caseworker": "210202001", "district_admin": "210202", "city_admin": "210200", "auditor": "210200"}
OWN_RECORD_DIVISION = "210202001"  # 中山区 海军广场街道: inside every role's area
OTHER_RECORD_DIVISION = "210203001"  # 西岗区 香炉礁街道: outside the caseworker's and the district admin's
DIVISION_BOUND = {"caseworker", "district_admin"}

# Framework views that are not ours to decorate; they are public by nature.
FRAMEWORK_PUBLIC = {LoginView, LogoutView, RedirectView}
FRAMEWORK_PUBLIC_FUNCTIONS = {set_language}


def _import_factories() -> None:
    for path in sorted(TESTS_DIR.rglob("factories.py")):
        module = ".".join(path.relative_to(TESTS_DIR.parent).with_suffix("").parts)
        importlib.import_module(module)


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "people/<int:pk>/"
    name: str | None  # "people:person_detail"
    callback: object
    kwarg_names: tuple[str, ...]
    is_admin: bool

    @property
    def id(self) -> str:
        return self.name or self.route


def _walk(patterns, prefix: str = "", namespace: str = "", admin: bool = False):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, admin or p.namespace == "admin")
        elif isinstance(p, URLPattern):
            names = tuple(p.pattern.regex.groupindex)
            yield Route(
                route=prefix + str(p.pattern),
                name=f"{namespace}{p.name}" if p.name else None,
                callback=p.callback,
                kwarg_names=names,
                is_admin=admin,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


ROUTES = all_routes()
APP_ROUTES = [r for r in ROUTES if not r.is_admin]
ADMIN_ROUTES = [r for r in ROUTES if r.is_admin]


def policy_of(route: Route) -> AccessPolicy | None:
    view = route.callback
    policy = getattr(view, "access_policy", None)
    if policy is not None:
        return policy
    view_class = getattr(view, "view_class", None)
    if view_class is not None and getattr(view_class, "access_policy", None) is not None:
        return view_class.access_policy
    if (view_class is not None and issubclass(view_class, tuple(FRAMEWORK_PUBLIC))) or view in (
        FRAMEWORK_PUBLIC_FUNCTIONS
    ):
        return AccessPolicy(public=True)
    return None


# ---------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture
def role_users(divisions):
    User = get_user_model()
    users = {}
    for role in ROLES:
        user = User(username=f"matrix_{role}", role=role, division_id=USER_DIVISION[role], full_name=role)
        user.set_unusable_password()
        user.save()
        users[role] = user
    return users


def _login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


class _Records:
    """Kwargs for a route in a division, built once per (route, division) with the registered factory."""

    def __init__(self):
        self.cache: dict[tuple[str, str], dict] = {}

    def kwargs(self, route: Route, policy: AccessPolicy, division: str) -> dict:
        key = (route.id, division)
        if key not in self.cache:
            self.cache[key] = self._build(route, policy, division)
        return self.cache[key]

    def _build(self, route: Route, policy: AccessPolicy, division: str) -> dict:
        if not route.kwarg_names:
            return {}
        if route.name in SAMPLE_KWARGS:
            return dict(SAMPLE_KWARGS[route.name](division))
        if policy.sample_kwargs is not None:
            return dict(policy.sample_kwargs(division))
        if policy.model is not None:
            label = policy.model._meta.label
            factory = SCOPED_FACTORIES.get(label)
            if factory is None:
                pytest.fail(
                    f"{route.id} ({route.route}) declares model={label} but no @scoped_factory({label!r}) is "
                    f"registered in any tests/**/factories.py"
                )
            if len(route.kwarg_names) != 1:
                pytest.fail(
                    f"{route.id} ({route.route}) has kwargs {route.kwarg_names}; a record URL takes one <int:pk> — "
                    f"or register its kwargs with @sample_kwargs({route.id!r}) in tests/**/factories.py"
                )
            obj = factory(division)
            return {route.kwarg_names[0]: obj.pk}
        pytest.fail(
            f"{route.id} ({route.route}) takes kwargs {route.kwarg_names} but its @access declares neither model= "
            f"(with a registered @scoped_factory) nor sample_kwargs=, and no @sample_kwargs({route.id!r}) is"
            f" registered in tests/**/factories.py; the matrix cannot build a URL for it"
        )


def _url(route: Route, kwargs: dict) -> str:
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    url = "/" + route.route
    for k, v in kwargs.items():
        url = url.replace(f"<int:{k}>", str(v)).replace(f"<str:{k}>", str(v)).replace(f"<{k}>", str(v))
    return url


def _request(client, url: str, method: str):
    response = client.get(url) if method == "GET" else client.post(url, {})
    _check_headers(response, url, authenticated=True)
    return response


def _check_headers(response, url: str, authenticated: bool) -> None:
    """Issue 13: every answer carries the CSP; whatever a logged-in user gets may hold personal data: no-store."""
    assert "default-src 'self'" in response.get("Content-Security-Policy", ""), f"{url}: no CSP header"
    if authenticated:
        assert "no-store" in response.get("Cache-Control", ""), f"{url}: answer to a logged-in user without no-store"


# ---------------------------------------------------------------------------------------------------- tests
def test_routes_were_found_including_admin_and_apps():
    names = {r.name for r in ROUTES}
    assert "people:person_list" in names and "audit:event_list" in names and "home" in names
    assert ADMIN_ROUTES, "the admin URLs were not walked"


@pytest.mark.parametrize("route", APP_ROUTES, ids=[r.id for r in APP_ROUTES])
def test_every_view_declares_a_policy(route):
    assert policy_of(route) is not None, (
        f"{route.id} ({route.route}) → {getattr(route.callback, '__module__', '?')}."
        f"{getattr(route.callback, '__name__', route.callback)} has no access policy: decorate it with "
        f"@access(...) from dalian_minzheng.accounts.policy"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("route", APP_ROUTES, ids=[r.id for r in APP_ROUTES])
def test_policy_matrix(route, role_users, client):
    _import_factories()
    policy = policy_of(route)
    if policy is None:
        pytest.fail(f"{route.id} has no access policy (see test_every_view_declares_a_policy)")
    records = _Records()

    if policy.public:
        url = _url(route, {}) if not route.kwarg_names else None
        if route.kwarg_names:
            try:
                url = _url(route, records.kwargs(route, policy, OWN_RECORD_DIVISION))
            except pytest.fail.Exception:
                # No factory: a public page may answer 404 for a dummy value; try values of the usual shapes.
                for dummy in (1, OWN_RECORD_DIVISION + "001", OWN_RECORD_DIVISION, "x"):
                    try:
                        url = _url(route, {k: dummy for k in route.kwarg_names})
                        break
                    except NoReverseMatch:
                        continue
        if url is None:
            return  # a public URL whose kwargs we cannot fill: nothing to protect, nothing to check
        response = client.get(url)
        _check_headers(response, url, authenticated=False)
        assert response.status_code != 403, f"public {route.id} answered 403 to an anonymous user"
        assert not (response.status_code == 302 and response["Location"].startswith(_login_url())), (
            f"public {route.id} redirected an anonymous user to the login page"
        )
        return

    own = records.kwargs(route, policy, OWN_RECORD_DIVISION)
    own_url = _url(route, own)

    # Anonymous: to the login page.
    response = client.get(own_url)
    method = "GET"
    if response.status_code == 405:
        method = "POST"
        response = client.post(own_url, {})
    assert response.status_code == 302 and response["Location"].startswith(_login_url()), (
        f"anonymous {method} {own_url} ({route.id}) answered {response.status_code}, expected a redirect to login"
    )

    allowed_roles = policy.roles if method == "GET" else policy.write_roles
    other_url = None
    if policy.model is not None and route.kwarg_names:
        other_url = _url(route, records.kwargs(route, policy, OTHER_RECORD_DIVISION))

    for role in ROLES:
        client.force_login(role_users[role])
        response = _request(client, own_url, method)
        if role in allowed_roles:
            assert response.status_code not in (403, 404), (
                f"{role} {method} {own_url} ({route.id}): {response.status_code}, but the policy allows {role}"
                f" and the record is in the user's own area"
            )
        else:
            assert response.status_code == 403, (
                f"{role} {method} {own_url} ({route.id}): {response.status_code}, expected 403 (not in the policy)"
            )
        if other_url is not None:
            response = _request(client, other_url, method)
            if role not in allowed_roles:
                assert response.status_code == 403, f"{role} {method} {other_url} ({route.id}): expected 403"
            elif role in DIVISION_BOUND:
                assert response.status_code == 404, (
                    f"{role} {method} {other_url} ({route.id}) answered {response.status_code} for another "
                    f"district's record; it must answer 404"
                )
            else:
                assert response.status_code not in (403, 404), (
                    f"city-wide {role} {method} {other_url} ({route.id}) answered {response.status_code}"
                )
        client.logout()


ADMIN_SAMPLE_KWARGS = {"app_label": "people", "object_id": "1", "content_type_id": "1", "url": "x"}


def _admin_url(route: Route) -> str | None:
    try:
        return reverse(route.name, kwargs={k: ADMIN_SAMPLE_KWARGS.get(k, "1") for k in route.kwarg_names})
    except Exception:
        return None


@pytest.mark.django_db
def test_admin_is_staff_only(role_users, client):
    """Admin policy: staff only. Portal roles (not staff) and anonymous users go to the admin login page."""
    login = reverse("admin:login")
    checked = 0
    for route in ADMIN_ROUTES:
        if route.name in ("admin:login", "admin:logout") or route.name is None:  # the admin's own public pages
            continue
        url = _admin_url(route)
        if url is None:
            continue
        for user in [None, *role_users.values()]:
            if user is None:
                client.logout()
            else:
                client.force_login(user)
            response = client.get(url)
            _check_headers(response, url, authenticated=False)
            assert response.status_code == 302 and response["Location"].startswith(login), (
                f"{user or 'anonymous'} GET {url} ({route.name}): {response.status_code}, expected admin login"
            )
        checked += 1
    assert checked > 20


@pytest.mark.django_db
def test_admin_changelists_work_for_a_superuser(divisions, client):
    """Every registered model's changelist and add page render (catches broken search/autocomplete config)."""
    from django.contrib import admin

    User = get_user_model()
    superuser = User.objects.create_superuser("matrix_root", "root@example.invalid", None)
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(url)
        _check_headers(response, url, authenticated=True)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        if model_admin.has_add_permission(type("R", (), {"user": superuser})()):
            response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
            assert response.status_code == 200, f"add {opts.label}: {response.status_code}"
        if model_admin.search_fields:
            response = client.get(url, {"q": "2102"})
            assert response.status_code == 200, f"search {url}: {response.status_code}"


# ---------------------------------------------------------------------------------------------------- self-tests
def _undecorated_view(request):  # pragma: no cover - never called
    return None


def test_a_view_without_policy_is_detected():
    route = Route(route="x/", name="x", callback=_undecorated_view, kwarg_names=(), is_admin=False)
    assert policy_of(route) is None


@pytest.mark.django_db
def test_kwargs_come_from_sample_kwargs_or_a_factory_or_fail(divisions):
    _import_factories()
    from dalian_minzheng.accounts.policy import access
    from dalian_minzheng.people.models import Person

    sampled = access(sample_kwargs=lambda code: {"code": code})(_undecorated_view)
    route = Route(route="d/<str:code>/", name=None, callback=sampled, kwarg_names=("code",), is_admin=False)
    assert _Records().kwargs(route, policy_of(route), "210202001") == {"code": "210202001"}

    with_model = access(model=Person)(_undecorated_view)
    route = Route(route="p/<int:pk>/", name=None, callback=with_model, kwarg_names=("pk",), is_admin=False)
    pk = _Records().kwargs(route, policy_of(route), "210203001")["pk"]
    assert Person.objects.get(pk=pk).division_id == "210203001"

    bare = access()(_undecorated_view)
    route = Route(route="q/<int:pk>/", name=None, callback=bare, kwarg_names=("pk",), is_admin=False)
    with pytest.raises(pytest.fail.Exception, match="neither model="):
        _Records().kwargs(route, policy_of(route), "210202001")
