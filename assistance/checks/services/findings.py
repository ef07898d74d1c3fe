"""The findings workflow: resolving a finding and refreshing the application's check status."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.checks.models import (
    Finding,
    FindingAction,
    FindingActionKind,
    Resolution,
    RunKind,
)
from assistance.checks.services.common import (
    CASEWORK_ROLES,
    _casework,
)
from assistance.checks.services.runs import check_application
from assistance.models import CheckStatus
from dalian_minzheng.accounts.scope import require


def _refresh_application(application_id: int) -> str:
    """Recount the open findings of an application and hand the resulting status to casework."""
    from assistance.checks.models import RESOLVED, ApplicationCheck

    summary = ApplicationCheck.objects.select_for_update().filter(application_id=application_id).first()
    if summary is None:
        return CheckStatus.NOT_STARTED
    summary.open_findings = (
        Finding.objects.filter(application_id=application_id).exclude(resolution__in=RESOLVED).count()
    )
    if summary.members_checked < summary.members_total:
        status = CheckStatus.NOT_STARTED
    elif summary.open_findings:
        status = CheckStatus.FINDINGS_OPEN
    else:
        status = CheckStatus.CLEAR
    if summary.handoff_status:
        summary.handoff_status = status  # a hand-off still pending must not restore an older status
    summary.save(update_fields=["open_findings", "handoff_status"])
    _casework().application_set_check_status(application_id=application_id, status=status)
    return status


@transaction.atomic
def finding_resolve(*, acting_user, finding: Finding, kind: str, note: str, evidence=None) -> FindingAction:
    """confirm: the department's data is right; explain: the household's explanation is accepted; dispute: the
    household contests the data, with evidence, and the application is checked again."""
    require(acting_user, roles=CASEWORK_ROLES, division=finding.division_id)
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if kind not in FindingActionKind.values:
        raise ValidationError({"kind": _("Choose an action.")})
    if finding.resolution in (Resolution.NOT_REQUIRED, Resolution.WITHDRAWN):
        raise ValidationError(_("This finding needs no resolution."))
    if not note.strip():
        raise ValidationError({"note": _("Write down the reason.")})
    if kind == FindingActionKind.DISPUTE and not evidence:
        raise ValidationError({"evidence": _("A dispute needs the household's evidence.")})
    action = FindingAction.objects.create(
        finding=finding, division_id=finding.division_id, kind=kind, note=note.strip(), acting_user=acting_user
    )
    if evidence:
        action.evidence.save(evidence.name, evidence, save=True)
    finding.resolution = {
        FindingActionKind.CONFIRM: Resolution.CONFIRMED,
        FindingActionKind.EXPLAIN: Resolution.EXPLAINED,
        FindingActionKind.DISPUTE: Resolution.DISPUTED,
    }[kind]
    finding.resolved_by = acting_user
    finding.resolved_at = timezone.now()
    finding.note = note.strip()
    finding.save(update_fields=["resolution", "resolved_by", "resolved_at", "note"])
    _refresh_application(finding.application_id)
    if kind == FindingActionKind.DISPUTE:
        from assistance.models import Application

        check_application(
            acting_user=acting_user,
            application=Application.objects.get(pk=finding.application_id),
            kind=RunKind.RECHECK,
        )
    return action
