"""The scale-data generator: realistic, valid, audited, and callable as a command."""

import datetime as dt

import pytest
from django.core.management import call_command

from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Household, HouseholdMember, Person
from dalian_minzheng.people.scale import DISTRICT_WEIGHTS, generate

pytestmark = pytest.mark.django_db


def test_generate_makes_valid_dalian_households_with_audit_events(divisions):
    stats = generate(households=300, seed=5)
    assert stats["households"] == Household.objects.count() == 300
    assert stats["persons"] == Person.objects.count() == HouseholdMember.objects.count()
    assert 2.0 < stats["persons"] / 300 < 4.0
    for person in Person.objects.all():
        parsed = idnumbers.parse(person.id_number)
        assert person.id_number[:6] in DISTRICT_WEIGHTS and person.division_id.startswith(person.id_number[:6])
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
        assert 2 <= len(person.name) <= 4
    sizes = {h: 0 for h in Household.objects.values_list("id", flat=True)}
    for hid in HouseholdMember.objects.values_list("household_id", flat=True):
        sizes[hid] += 1
    assert {1, 2}.issubset(set(sizes.values())) and max(sizes.values()) >= 4  # single, couple, three generations
    today = dt.date.today()
    singles = Household.objects.filter(id__in=[h for h, n in sizes.items() if n == 1]).select_related("head")
    assert all((today - h.head.birth_date).days >= 65 * 365 for h in singles)  # single elderly
    # The insert events are all there and carry the generator's context.
    events = Person.pgh_event_model.objects.filter(pgh_label="insert")
    assert events.count() == stats["persons"]
    assert events.first().pgh_context.metadata["task"] == "generate_scale_data"
    assert HouseholdMember.pgh_event_model.objects.count() == stats["persons"]


def test_command_adds_a_second_population_without_collisions(divisions, capsys):
    call_command("generate_scale_data", households=40, seed=1)
    first = Person.objects.count()
    call_command("generate_scale_data", households=40, seed=1)  # same seed again: no unique-key failure
    assert Person.objects.count() > first
    assert "households" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_write_disjoint_valid_numbers(divisions):
    stats = generate(households=200, seed=3, workers=2, batch=50)
    assert stats["workers"] == 2 and stats["households"] == Household.objects.count() == 200
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers)) == stats["persons"]
    assert all(idnumbers.is_valid(n) for n in numbers)
    assert Person.pgh_event_model.objects.filter(pgh_label="insert").count() == stats["persons"]
