"""The check service itself holds the 'every member authorised' rule (not only its view)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from assistance.checks import services
from assistance.checks.models import CheckRun
from assistance.models import Application, CheckStatus
from dalian_minzheng.people.models import HouseholdMember
from tests.checks.factories import authorise, make_application


def test_check_application_refuses_without_every_members_authorisation(catalogue, caseworker):
    application = make_application("210202001001", size=2)
    members = list(HouseholdMember.objects.filter(household_id=application.household_id).order_by("pk"))
    head, others = members[0], tuple(m.person_id for m in members[1:])
    authorise(application, except_person_ids=(head.person_id,))
    with pytest.raises(ValidationError, match=head.person.name):
        services.check_application(acting_user=caseworker, application=application)
    assert not CheckRun.objects.exists()
    assert Application.objects.get(pk=application.pk).check_status == CheckStatus.NOT_STARTED

    authorise(application, except_person_ids=others)  # now the missing one signs too
    run = services.check_application(acting_user=caseworker, application=application)
    assert CheckRun.objects.get() == run
    assert Application.objects.get(pk=application.pk).check_status == CheckStatus.PENDING
