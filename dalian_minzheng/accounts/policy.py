"""Every view declares who may reach it, with `@access(...)`; the declaration is also what enforces it.

The permission-matrix test (tests/kernel/test_permission_matrix.py) walks every URL pattern of the project and fails
for a view without a policy, then checks each role × (own division, other division, anonymous) against the declared
policy with a GET (or, for a POST-only view that answers 405 to GET, an empty POST checked against `write_roles`):

* `public=True`      — anonymous users get an answer (not a redirect to the login page, not 403);
* otherwise          — anonymous → redirect to the login page; a role not in `roles` → 403; a role in `roles` → not
                       403;
* `model=M`          — the URL names one record by its kwargs (normally a single `<int:pk>`). The test makes one M
                       in the user's own division and one in another district with the factory registered by
                       `@scoped_factory("app_label.M")` in some tests/**/factories.py, and expects the other
                       district's record to answer 404 to division-bound roles (caseworker, district admin);
* `sample_kwargs=f`  — for URLs whose kwargs are not one record's pk (a code, a year, two ids …):
                       `f(division_code) -> dict` returns URL kwargs for an object inside that division (it may create
                       rows; it runs inside the test's transaction). With `model=` as well, the other-district 404
                       check applies to these kwargs too. A non-public URL with kwargs and neither a factory nor
                       `sample_kwargs` fails the test with a message that says so.

The Django admin is declared by the test itself: every admin URL except its login page is staff-only, and portal
roles (not staff) are redirected to the admin login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from dalian_minzheng.accounts.models import Role

# The bureau's staff roles. A facility operator is not bureau staff: it reaches only the pages that name it
# (OPERATOR_ROLES) and its own account pages (EVERY_ACCOUNT).
OPERATOR_ROLES = frozenset({Role.FACILITY_OPERATOR})
EVERY_ACCOUNT = frozenset(Role.values)
ALL_ROLES = EVERY_ACCOUNT - OPERATOR_ROLES
STAFF_WRITERS = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
ADMINS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
CITY = frozenset({Role.CITY_ADMIN})
READERS_OF_AUDIT = frozenset({Role.AUDITOR, Role.CITY_ADMIN})

# Named role sets the services guard with (accounts.scope.require); one definition each.
# Casework (applications, reviews) is the district's own work: the city admin oversees it and does not write it.
CASEWORK_ROLES = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN})
# The cross-department check is started city-wide too (batch runs over every district), so the city admin is in it.
CHECK_ROLES = frozenset({Role.CASEWORKER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
DECISION_ROLES = frozenset({Role.DISTRICT_ADMIN})  # 审批: the district civil affairs bureau decides
CITY_ADMIN_ROLES = CITY  # standards, raises, notification texts
ROSTER_ROLES = ADMINS
IMPORT_ROLES = ADMINS
READ_ALL_ROLES = ALL_ROLES
# Eldercare: staff of the district (and the city) record facilities, inspections, residents and services; star
# ratings and subsidy lists are decided by the civil affairs bureaus (district or city admin).
ELDERCARE_STAFF_ROLES = STAFF_WRITERS
# ... and a facility's operator records its own residents, services and rectifications (eldercare guards the facility)
ELDERCARE_FACILITY_ROLES = STAFF_WRITERS | OPERATOR_ROLES
ELDERCARE_DECISION_ROLES = ADMINS
# Social organisations: staff record registrations, submissions, cases and projects; conclusions, listings, grades,
# penalties and contracts are the registration authority's decisions (district or city admin).
SOCIAL_ORG_STAFF_ROLES = STAFF_WRITERS
SOCIAL_ORG_DECISION_ROLES = ADMINS
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccessPolicy:
    roles: frozenset = ALL_ROLES  # who may read (GET)
    write_roles: frozenset = field(default=frozenset())  # who may POST; auditors never
    public: bool = False  # no login at all (health check, public notices, department API with its own token)
    # For URLs that name one record: the model whose `division` decides; another division's record answers 404.
    model: type | None = None
    # For URLs with kwargs that are not one record's pk: division code -> URL kwargs (see the module docstring).
    sample_kwargs: Callable[[str], dict] | None = None


def access(
    roles: Iterable[str] = ALL_ROLES,
    write_roles: Iterable[str] | None = None,
    *,
    public: bool = False,
    model: type | None = None,
    sample_kwargs: Callable[[str], dict] | None = None,
):
    """Declare and enforce who may use a view. `write_roles` defaults to `roles` minus the auditor."""
    roles = frozenset(roles)
    writers = frozenset(write_roles) if write_roles is not None else roles - {Role.AUDITOR}
    writers = writers - {Role.AUDITOR}
    policy = AccessPolicy(roles=roles, write_roles=writers, public=public, model=model, sample_kwargs=sample_kwargs)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not public:
                user = request.user
                if not user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                allowed = policy.roles if request.method in SAFE_METHODS else policy.write_roles
                if not user.is_superuser and user.role not in allowed:
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.access_policy = policy
        return wrapper

    return decorator
