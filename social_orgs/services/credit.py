"""Credit lists: a proposal is entered (or not) by the authority; removal by the rules; the abnormal list escalates
to the serious list after the rule's years, city-wide in one statement."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dalian_minzheng.core.dates import add_years
from social_orgs.models import (
    Listing,
    ListingGround,
    ListingRule,
    ListingSource,
    ListingStatus,
    ListKind,
    Organisation,
    OrganisationTimelineEntry,
    OrgEventKind,
)
from social_orgs.services.common import (
    SOCIAL_ORG_DECISION_ROLES,
    SOCIAL_ORG_STAFF_ROLES,
    guard,
    list_entry,
    rule,
    timeline,
)


def _locked_listing(listing_id: int) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=listing_id)


@transaction.atomic
def listing_propose(*, acting_user, org_id: int, ground: str, found_on: dt.date, reference: str = "") -> Listing:
    organisation = Organisation.objects.get(pk=org_id)
    guard(acting_user, organisation, roles=SOCIAL_ORG_STAFF_ROLES)
    if found_on > timezone.localdate():
        raise ValidationError({"found_on": _("The date cannot be in the future.")})
    listing = list_entry(
        organisation, ground, found_on=found_on, source=ListingSource.MANUAL, reference=reference, actor=acting_user
    )
    if listing is None:
        raise ValidationError(_("The organisation is already on the list for this ground."))
    return listing


@transaction.atomic
def listing_confirm(*, acting_user, listing_id: int, listed_on: dt.date) -> Listing:
    """列入: the authority enters a proposal on the list (due within the rule's working days of the ground)."""
    listing = _locked_listing(listing_id)
    guard(acting_user, listing.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if listing.status != ListingStatus.PROPOSED:
        raise ValidationError(_("This entry is %(s)s, not a proposal.") % {"s": listing.get_status_display()})
    if listed_on < listing.found_on or listed_on > timezone.localdate():
        raise ValidationError({"listed_on": _("The listing date falls between the ground and today.")})
    listing.status = ListingStatus.LISTED
    listing.listed_on = listed_on
    listing.decided_by = acting_user
    listing.save(update_fields=["status", "listed_on", "decided_by"])
    late = listed_on > listing.due_on
    text = f"{_('Listed')} · {listing.get_list_kind_display()} · {listing.ground_text}"
    if late:
        text += " · " + _("entered after the deadline (%(day)s)") % {"day": listing.due_on}
    timeline(listing.organisation, OrgEventKind.LISTING, text, acting_user)
    return listing


@transaction.atomic
def listing_dismiss(*, acting_user, listing_id: int, reason: str) -> Listing:
    listing = _locked_listing(listing_id)
    guard(acting_user, listing.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if listing.status != ListingStatus.PROPOSED:
        raise ValidationError(_("This entry is %(s)s, not a proposal.") % {"s": listing.get_status_display()})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the organisation is not listed.")})
    listing.status = ListingStatus.DISMISSED
    listing.ended_on = timezone.localdate()
    listing.end_reason = reason.strip()
    listing.decided_by = acting_user
    listing.save(update_fields=["status", "ended_on", "end_reason", "decided_by"])
    timeline(listing.organisation, OrgEventKind.LISTING, f"{_('Not listed')} · {listing.ground_text}", acting_user)
    return listing


def serious_removal_day(listing: Listing) -> dt.date:
    years = rule(ListingRule, on=listing.listed_on).serious_clean_years
    return add_years(listing.listed_on, years)


@transaction.atomic
def listing_remove(*, acting_user, listing_id: int, removed_on: dt.date, reason: str) -> Listing:
    """移出: the abnormal list once the cause is rectified; the serious list after the rule's clean years with no
    new listing since. A later listing is a new entry (its own clock)."""
    listing = _locked_listing(listing_id)
    guard(acting_user, listing.organisation, roles=SOCIAL_ORG_DECISION_ROLES)
    if listing.status != ListingStatus.LISTED:
        raise ValidationError(_("This entry is %(s)s, not on the list.") % {"s": listing.get_status_display()})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the entry is removed (what was rectified).")})
    if removed_on < listing.listed_on or removed_on > timezone.localdate():
        raise ValidationError({"removed_on": _("The removal date falls between the listing and today.")})
    if listing.list_kind == ListKind.SERIOUS:
        earliest = serious_removal_day(listing)
        if removed_on < earliest:
            raise ValidationError(
                _("An entry on the serious-violation list is removed after two clean years, from %(day)s.")
                % {"day": earliest}
            )
        newer = (
            Listing.objects.filter(organisation=listing.organisation_id, found_on__gt=listing.listed_on)
            .exclude(pk=listing.pk)
            .exclude(status=ListingStatus.DISMISSED)
        )
        if newer.exists():
            raise ValidationError(_("The organisation was listed again since; its years are not clean."))
    listing.status = ListingStatus.REMOVED
    listing.ended_on = removed_on
    listing.end_reason = reason.strip()
    listing.decided_by = acting_user
    listing.save(update_fields=["status", "ended_on", "end_reason", "decided_by"])
    timeline(
        listing.organisation, OrgEventKind.LISTING,
        f"{_('Removed')} · {listing.get_list_kind_display()} · {reason.strip()}", acting_user,
    )  # fmt: skip
    return listing


def listings_escalate(*, on: dt.date | None = None) -> int:
    """Every abnormal-activity entry listed for the rule's years moves to the serious-violation list, city-wide, in
    one statement (the beat runs it nightly; re-running it escalates nothing twice)."""
    on = on or timezone.localdate()
    listing_rule = rule(ListingRule, on=on)
    ground = rule(ListingGround, on=on, code="abnormal_two_years")
    due = on  # a rule's own consequence is entered the day it falls due
    cutoff = add_years(on, -listing_rule.escalate_after_years)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH old AS (
                UPDATE social_orgs_listing SET status = 'escalated', ended_on = %(on)s, end_reason = %(text)s
                WHERE status = 'listed' AND list_kind = 'abnormal' AND listed_on <= %(cutoff)s
                RETURNING id, organisation_id, reference
            ),
            new AS (
                INSERT INTO social_orgs_listing (organisation_id, list_kind, ground, ground_text, source, status,
                    found_on, due_on, listed_on, ended_on, end_reason, escalated_from_id, reference, decided_by_id)
                SELECT organisation_id, 'serious', %(ground)s, %(text)s, 'escalation', 'listed', %(on)s, %(due)s,
                       %(on)s, NULL, '', id, reference, NULL
                FROM old
                ON CONFLICT (organisation_id, list_kind, ground) WHERE status IN ('proposed', 'listed') DO NOTHING
                RETURNING organisation_id
            ),
            logged AS (
                INSERT INTO social_orgs_organisationtimelineentry (organisation_id, kind, text, actor_id, at)
                SELECT organisation_id, 'listing', %(log)s, NULL, now() FROM old
            )
            SELECT (SELECT count(*) FROM old), (SELECT count(*) FROM new)""",
            {
                "on": on, "cutoff": cutoff, "ground": ground.code, "text": ground.text, "due": due,
                "log": f"{_('Moved to the serious-violation list')} · {ground.text}",
            },
        )  # fmt: skip
        escalated, _entered = cursor.fetchone()
    return escalated


def escalate_per_organisation(*, on: dt.date | None = None) -> int:
    """The same escalation one organisation at a time through the ORM, to the same end state (the entries, the
    serious-list rows and the timeline): the benchmark's side-by-side baseline."""
    on = on or timezone.localdate()
    listing_rule = rule(ListingRule, on=on)
    ground = rule(ListingGround, on=on, code="abnormal_two_years")
    cutoff = add_years(on, -listing_rule.escalate_after_years)
    n = 0
    for listing in Listing.objects.filter(
        status=ListingStatus.LISTED, list_kind=ListKind.ABNORMAL, listed_on__lte=cutoff
    ):
        with transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(
                status=ListingStatus.ESCALATED, ended_on=on, end_reason=ground.text
            )
            if not Listing.objects.filter(
                organisation_id=listing.organisation_id, list_kind=ListKind.SERIOUS, ground=ground.code,
                status__in=(ListingStatus.PROPOSED, ListingStatus.LISTED),
            ).exists():  # fmt: skip
                Listing.objects.create(
                    organisation_id=listing.organisation_id, list_kind=ListKind.SERIOUS, ground=ground.code,
                    ground_text=ground.text, source=ListingSource.ESCALATION, status=ListingStatus.LISTED,
                    found_on=on, due_on=on, listed_on=on, escalated_from=listing, reference=listing.reference,
                )  # fmt: skip
            OrganisationTimelineEntry.objects.create(
                organisation_id=listing.organisation_id, kind=OrgEventKind.LISTING,
                text=f"{_('Moved to the serious-violation list')} · {ground.text}",
            )  # fmt: skip
            n += 1
    return n
