"""Demo accounts, one per role (and a second district's caseworker to show scoping). Never in production."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings

from dalian_minzheng.accounts.models import Role, User
from dalian_minzheng.accounts.services import user_apply_role

DEMO_ACCOUNTS = [
    # username, role, division code, full name
    ("caseworker", Role.CASEWORKER, "210202001", "王晓红"),  # 中山区 海军广场街道
    ("caseworker_xg", Role.CASEWORKER, "210203001", "刘建国"),  # 西岗区 香炉礁街道
    ("district_admin", Role.DISTRICT_ADMIN, "210202", "陈立新"),  # 中山区
    ("city_admin", Role.CITY_ADMIN, "210200", "赵明"),
    ("auditor", Role.AUDITOR, "210200", "孙丽"),
    # the staff of one eldercare centre (eldercare/demo.py links it to 海军广场颐养中心)
    ("operator", Role.FACILITY_OPERATOR, "210202001001", "周慧"),
]


def demo_password() -> str:
    """One random password for all demo accounts, kept under var/ so it is stable across restarts."""
    path = Path(settings.BASE_DIR) / "var" / "demo-password.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def load() -> list[str]:
    password = demo_password()
    lines = []
    for username, role, division, full_name in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"role": role, "division_id": division, "full_name": full_name}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user_apply_role(user=user)  # the city admin becomes staff with the admin rights it needs
        lines.append(f"{username:16} {user.get_role_display()}  {user.division_id}")
    return lines
