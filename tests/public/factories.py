"""Builders for the public pages: recipients (cases) and notices in a community."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.petitions.factories import allowance_programme, make_case, make_person


def make_notice(
    community_code: str,
    name: str,
    *,
    starts_on: dt.date,
    household_size: int = 2,
    amount: Decimal = Decimal("980.00"),
    status: str = "open",
):
    """An application on 公示 in a community, as the notice service records it (name stored masked)."""
    from assistance.models import Application, PublicNotice
    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.people.models import Household

    person = make_person(community_code, name, birth=dt.date(1971, 9, 3))
    household = Household.objects.create(head=person, division_id=community_code)
    application = Application.objects.create(
        household=household,
        applicant=person,
        programme=allowance_programme(),
        division_id=community_code,
        status="publicity",
        accepted_on=starts_on - dt.timedelta(days=20),
        household_size=household_size,
        proposed_amount=amount,
    )
    notice = PublicNotice.objects.create(
        application=application,
        division_id=community_code,
        public_name=idnumbers.mask_name(name),
        household_size=household_size,
        amount=amount,
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=6),
        status=status,
    )
    return notice, person


__all__ = ["make_case", "make_notice"]
