"""Thin, idempotent kernel tasks. Each runs inside `audited_task`, so its audit rows name the task and the user."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from dalian_minzheng.audit.context import audited_task
from dalian_minzheng.people import services
from dalian_minzheng.people.models import Person


@shared_task(bind=True, name="people.person_mark_deceased")
@audited_task
def person_mark_deceased(self, person_id: int, acting_user_id: int) -> bool:
    """Record a death reported by another system (e.g. the funeral app). Re-running changes nothing."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None or person.is_deceased:
        return False
    user = get_user_model().objects.get(pk=acting_user_id)
    services.person_update(acting_user=user, person=person, is_deceased=True)
    return True
