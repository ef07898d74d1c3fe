"""Writes to persons and households. Every function checks the acting user's scope and write right itself.

Birth date and sex are always derived from the ID number (`idnumbers.parse`); they are never typed twice.
A person is in at most one current household (a partial unique index enforces it in the database too); leaving
or moving closes the old membership (`left_on`) and keeps it as history.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.accounts.policy import OPERATOR_ROLES, STAFF_WRITERS
from dalian_minzheng.accounts.scope import can_see_division, require
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, Household, HouseholdMember, HukouType, Person, Relationship


def _check_division(user, division: Division | str) -> Division:
    code = division.code if isinstance(division, Division) else division
    # any writing role, a facility's operator included (it registers its residents): which records a role may change
    # is the callers' policy; here only the area counts
    require(user, roles=STAFF_WRITERS | OPERATOR_ROLES, division=code, message=_("This division is outside your area."))
    if isinstance(division, Division):
        return division
    try:
        return Division.objects.get(code=code)
    except Division.DoesNotExist:
        raise ValidationError({"division": _("Unknown division.")}) from None


def _parse_id_number(id_number: str) -> idnumbers.ResidentId:
    try:
        return idnumbers.parse(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None


def _person_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    return name


def _person_new(*, parsed, name: str, division: Division, phone: str, hukou_type: str, address: str) -> Person:
    """Insert a person (in a savepoint, so a concurrent insert of the same number raises IntegrityError here)."""
    with transaction.atomic():
        return Person.objects.create(
            id_number=parsed.number,
            name=_person_name(name),
            sex=parsed.sex,
            birth_date=parsed.birth_date,
            phone=(phone or "").strip(),
            hukou_type=hukou_type,
            address=(address or "").strip(),
            division=division,
        )


@transaction.atomic
def person_create(
    *,
    acting_user,
    id_number: str,
    name: str,
    division: Division | str,
    phone: str = "",
    hukou_type: str = HukouType.URBAN,
    address: str = "",
) -> Person:
    division = _check_division(acting_user, division)
    parsed = _parse_id_number(id_number)
    _person_name(name)
    if Person.objects.filter(id_number=parsed.number).exists():
        raise ValidationError({"id_number": _("A person with this ID number is already registered.")})
    try:
        return _person_new(
            parsed=parsed, name=name, division=division, phone=phone, hukou_type=hukou_type, address=address
        )
    except IntegrityError:  # a concurrent registration of the same number
        raise ValidationError({"id_number": _("A person with this ID number is already registered.")}) from None


@transaction.atomic
def person_get_or_create_by_id_number(
    *,
    acting_user,
    id_number: str,
    name: str,
    division: Division | str,
    phone: str = "",
    hukou_type: str = HukouType.URBAN,
    address: str = "",
) -> tuple[Person, bool]:
    """The person registered with this ID number, else a new one in `division` (returns (person, created)).

    An existing person is returned as registered (name, phone and address are not overwritten from a form); one
    registered outside the user's area is refused, naming the number masked only."""
    division = _check_division(acting_user, division)
    parsed = _parse_id_number(id_number)

    def existing() -> Person | None:
        found = Person.objects.filter(id_number=parsed.number).first()
        if found is not None and not can_see_division(acting_user, found.division_id):
            raise ValidationError(
                _("%(id)s is registered in another district.") % {"id": idnumbers.mask(parsed.number)},
                code="division",
            )
        return found

    found = existing()
    if found is not None:
        return found, False
    try:
        person = _person_new(
            parsed=parsed, name=name, division=division, phone=phone, hukou_type=hukou_type, address=address
        )
    except IntegrityError:  # registered concurrently by another request: that row is the person
        return existing(), False
    return person, True


@transaction.atomic
def person_update(
    *,
    acting_user,
    person: Person,
    name: str | None = None,
    phone: str | None = None,
    hukou_type: str | None = None,
    address: str | None = None,
    division: Division | str | None = None,
    id_number: str | None = None,
    is_deceased: bool | None = None,
) -> Person:
    """Change a person. Correcting the ID number re-derives birth date and sex."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_division(acting_user, person.division_id)
    if division is not None:
        person.division = _check_division(acting_user, division)
    if id_number is not None:
        parsed = _parse_id_number(id_number)
        if parsed.number != person.id_number:
            if Person.objects.filter(id_number=parsed.number).exclude(pk=person.pk).exists():
                raise ValidationError({"id_number": _("A person with this ID number is already registered.")})
            person.id_number, person.birth_date, person.sex = parsed.number, parsed.birth_date, parsed.sex
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": _("Enter the name.")})
        person.name = name.strip()
    if phone is not None:
        person.phone = phone.strip()
    if hukou_type is not None:
        person.hukou_type = hukou_type
    if address is not None:
        person.address = address.strip()
    if is_deceased is not None:
        person.is_deceased = is_deceased
    person.save()
    return person


@transaction.atomic
def person_record_death(*, acting_user, person: Person, died_on: dt.date) -> Person:
    """Record a death: a kernel fact that every app reads (an eldercare home, an allowance case, the funeral register).

    Idempotent for the same date; a different date on an already recorded death is refused (a correction is an
    edit in the admin, not a second death)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_division(acting_user, person.division_id)
    if died_on > timezone.localdate():
        raise ValidationError({"died_on": _("The date of death cannot be in the future.")})
    if died_on < person.birth_date:
        raise ValidationError({"died_on": _("The date of death is before the date of birth.")})
    if person.is_deceased and person.died_on is not None:
        if person.died_on != died_on:
            raise ValidationError({"died_on": _("A different date of death is already recorded for this person.")})
        return person
    person.is_deceased = True
    person.died_on = died_on
    person.save(update_fields=["is_deceased", "died_on", "updated_at"])
    deaths_hand_off(acting_user=acting_user, person_ids=[person.pk])
    return person


def _current_membership(person: Person) -> HouseholdMember | None:
    return (
        HouseholdMember.objects.select_for_update()
        .filter(person=person, left_on__isnull=True)
        .select_related("household")
        .first()
    )


@transaction.atomic
def household_create(
    *,
    acting_user,
    head: Person,
    division: Division | str | None = None,
    address: str = "",
    hukou_type: str | None = None,
    joined_on: dt.date | None = None,
) -> Household:
    """Create a household with `head` as its first member; the head must not be in another current household."""
    head = Person.objects.select_for_update().get(pk=head.pk)
    division = _check_division(acting_user, division if division is not None else head.division_id)
    _check_division(acting_user, head.division_id)
    if _current_membership(head) is not None:
        raise ValidationError({"head": _("This person already belongs to a household; move them instead.")})
    if Household.objects.filter(head=head).exists():
        raise ValidationError({"head": _("This person is already the head of a household.")})
    household = Household.objects.create(
        head=head,
        division=division,
        address=(address or head.address).strip(),
        hukou_type=hukou_type or head.hukou_type,
    )
    HouseholdMember.objects.create(
        household=household,
        person=head,
        relationship=Relationship.HEAD,
        joined_on=joined_on or timezone.localdate(),
        created_by=acting_user if acting_user.is_authenticated else None,
    )
    return household


@transaction.atomic
def household_for_head(
    *,
    acting_user,
    head: Person,
    division: Division | str | None = None,
    address: str = "",
    hukou_type: str | None = None,
    joined_on: dt.date | None = None,
) -> Household:
    """The household `head` belongs to now; else the one they head (rejoined as its head); else a new one with them
    as head (`household_create`). Idempotent: a second call with the same person returns the same household."""
    head = Person.objects.select_for_update().get(pk=head.pk)
    current = _current_membership(head)
    if current is not None:
        return current.household
    headed = Household.objects.select_for_update().filter(head=head).first()
    if headed is None:
        return household_create(
            acting_user=acting_user,
            head=head,
            division=division,
            address=address,
            hukou_type=hukou_type,
            joined_on=joined_on,
        )
    _check_division(acting_user, headed.division_id)
    HouseholdMember.objects.create(
        household=headed,
        person=head,
        relationship=Relationship.HEAD,
        joined_on=joined_on or timezone.localdate(),
        created_by=acting_user if acting_user.is_authenticated else None,
    )
    return headed


@transaction.atomic
def household_add_member(
    *,
    acting_user,
    household: Household,
    person: Person,
    relationship: str,
    joined_on: dt.date | None = None,
) -> HouseholdMember:
    household = Household.objects.select_for_update().get(pk=household.pk)
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_division(acting_user, household.division_id)
    _check_division(acting_user, person.division_id)
    if relationship not in Relationship.values or relationship == Relationship.HEAD:
        raise ValidationError({"relationship": _("Choose the relationship to the head of household.")})
    current = _current_membership(person)
    if current is not None:
        if current.household_id == household.pk:
            raise ValidationError({"person": _("This person is already a member of this household.")})
        raise ValidationError({"person": _("This person belongs to another household; record a move instead.")})
    return HouseholdMember.objects.create(
        household=household,
        person=person,
        relationship=relationship,
        joined_on=joined_on or timezone.localdate(),
        created_by=acting_user,
    )


@transaction.atomic
def household_ensure_member(
    *,
    acting_user,
    household: Household,
    person: Person,
    relationship: str,
    joined_on: dt.date | None = None,
) -> HouseholdMember:
    """`person`'s current membership of `household`, adding them (`household_add_member`) when they are in no
    household; refused when they belong to another one (a move is `household_member_move`)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    current = _current_membership(person)
    if current is None:
        return household_add_member(
            acting_user=acting_user, household=household, person=person, relationship=relationship, joined_on=joined_on
        )
    if current.household_id != household.pk:
        raise ValidationError(
            _("%(name)s already belongs to another household.") % {"name": person.name}, code="member"
        )
    return current


@transaction.atomic
def household_member_leave(*, acting_user, membership: HouseholdMember, left_on: dt.date | None = None) -> None:
    """Close a membership; it stays as history. The head cannot leave (dissolve or change the head first)."""
    membership = HouseholdMember.objects.select_for_update().select_related("household").get(pk=membership.pk)
    _check_division(acting_user, membership.household.division_id)
    if membership.left_on is not None:
        raise ValidationError(_("This membership has already ended."))
    if membership.relationship == Relationship.HEAD:
        raise ValidationError(_("The head of household cannot leave the household."))
    left_on = left_on or timezone.localdate()
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": _("The leaving date is before the joining date.")})
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])


@transaction.atomic
def household_member_move(
    *,
    acting_user,
    person: Person,
    to_household: Household,
    relationship: str,
    moved_on: dt.date | None = None,
) -> HouseholdMember:
    """Move a person from their current household (if any) into another, keeping the old membership as history."""
    moved_on = moved_on or timezone.localdate()
    person = Person.objects.select_for_update().get(pk=person.pk)
    current = _current_membership(person)
    if current is not None:
        if current.household_id == to_household.pk:
            raise ValidationError({"person": _("This person is already a member of this household.")})
        household_member_leave(acting_user=acting_user, membership=current, left_on=moved_on)
    return household_add_member(
        acting_user=acting_user, household=to_household, person=person, relationship=relationship, joined_on=moved_on
    )


# ---------------------------------------------------------------- the death hand-off

# Each app that pays or serves a person registers what a death means for it (assistance: stop the allowance and the
# subsidies; eldercare: end the residence and the services), in its AppConfig.ready(). A recorded death — from the
# funeral register, an eldercare home or an imported death list — reaches every app through `deaths_hand_off`, so
# no app writes another's tables.
DEATH_HANDLERS: list = []


def register_death_handler(handler) -> None:
    """`handler(*, acting_user, deaths: dict[person id, date of death]) -> int` (rows it changed); set-based and
    idempotent: a second call with the same deaths changes nothing."""
    if handler not in DEATH_HANDLERS:
        DEATH_HANDLERS.append(handler)


@transaction.atomic
def deaths_hand_off(*, acting_user, person_ids) -> dict[str, int]:
    """Tell every registered app about the recorded deaths of `person_ids` (persons not recorded as dead are
    skipped). Returns {handler name: rows it changed}."""
    deaths = dict(
        Person.objects.filter(pk__in=list(person_ids), is_deceased=True, died_on__isnull=False).values_list(
            "pk", "died_on"
        )
    )
    if not deaths:
        return {}
    return {f"{h.__module__}.{h.__name__}": h(acting_user=acting_user, deaths=deaths) for h in DEATH_HANDLERS}
