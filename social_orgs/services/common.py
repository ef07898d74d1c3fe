"""What every social-organisation service shares: the guard on an organisation, its timeline, a listing's entry."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from dalian_minzheng.accounts.policy import SOCIAL_ORG_DECISION_ROLES, SOCIAL_ORG_STAFF_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.core import workdays
from dalian_minzheng.core.rules import rule_in_force as rule
from social_orgs.models import (
    Listing,
    ListingGround,
    ListingRule,
    ListingSource,
    ListingStatus,
    Organisation,
    OrganisationTimelineEntry,
    OrgEventKind,
)

__all__ = [
    "SOCIAL_ORG_DECISION_ROLES",
    "SOCIAL_ORG_STAFF_ROLES",
    "guard",
    "list_entry",
    "locked_org",
    "rule",
    "timeline",
]


def guard(user, organisation: Organisation, *, roles=SOCIAL_ORG_STAFF_ROLES) -> None:
    require(user, roles=roles, division=organisation.division_id)


def locked_org(org_id: int) -> Organisation:
    return Organisation.objects.select_for_update(of=("self",)).get(pk=org_id)


def timeline(organisation: Organisation, kind: str, text: str, actor=None) -> OrganisationTimelineEntry:
    actor = actor if actor is not None and actor.is_authenticated else None
    return OrganisationTimelineEntry.objects.create(organisation=organisation, kind=kind, text=text, actor=actor)


def list_entry(
    organisation: Organisation,
    ground_code: str,
    *,
    found_on: dt.date,
    source: str = ListingSource.MANUAL,
    listed: bool = False,
    reference: str = "",
    actor=None,
) -> Listing | None:
    """Propose (or, where the ground is itself a decision, enter) one credit listing; None when the organisation is
    already on that list for that ground (the open entry stands: re-running a step lists nothing twice)."""
    ground = rule(ListingGround, on=found_on, code=ground_code)
    due = workdays.add_workdays(found_on, rule(ListingRule, on=found_on).entry_workdays)
    listing = Listing(
        organisation=organisation,
        list_kind=ground.list_kind,
        ground=ground.code,
        ground_text=ground.text,
        source=source,
        status=ListingStatus.LISTED if listed else ListingStatus.PROPOSED,
        found_on=found_on,
        due_on=due,
        listed_on=found_on if listed else None,
        reference=reference,
        decided_by=actor if listed and actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            listing.save()
    except IntegrityError:
        return None
    timeline(
        organisation,
        OrgEventKind.LISTING,
        f"{listing.get_status_display()} · {listing.get_list_kind_display()} · {ground.text}",
        actor,
    )
    return listing
