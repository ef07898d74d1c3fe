"""A death is a kernel fact: recorded once on the person, read by every app."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dalian_minzheng.people import services
from tests.kernel.factories import make_person

pytestmark = pytest.mark.django_db


def test_death_is_recorded_once_and_idempotent(caseworker):
    person = make_person("210202001")
    services.person_record_death(acting_user=caseworker, person=person, died_on=dt.date(2024, 5, 1))
    person.refresh_from_db()
    assert person.is_deceased and person.died_on == dt.date(2024, 5, 1)
    # the same report again (a second app, a redelivered task) changes nothing
    services.person_record_death(acting_user=caseworker, person=person, died_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError) as refused:
        services.person_record_death(acting_user=caseworker, person=person, died_on=dt.date(2024, 5, 2))
    assert refused.value.message_dict["died_on"] == ["该人员已登记了不同的死亡日期。"]


def test_death_in_the_future_or_outside_the_area_is_refused(caseworker):
    person = make_person("210202001")
    with pytest.raises(ValidationError):
        services.person_record_death(acting_user=caseworker, person=person, died_on=dt.date.today() + dt.timedelta(1))
    other = make_person("210203001")
    with pytest.raises(PermissionDenied):
        services.person_record_death(acting_user=caseworker, person=other, died_on=dt.date(2024, 5, 1))
