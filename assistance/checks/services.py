"""Writes of the cross-department check. Keyword-only, permission and state checks inside, one transaction each.

Casework tables are never written here: the application's check status and a case review go through
`assistance.services.application_set_check_status` and `case_open_review` (and their set-based forms
`applications_set_check_status` and `cases_open_reviews`, used by the hand-off phase per chunk).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.checks import engine
from assistance.checks.models import (
    Authorisation,
    CheckRun,
    CheckRunSubject,
    DataItem,
    Delivery,
    Department,
    DepartmentToken,
    Finding,
    FindingAction,
    FindingActionKind,
    Resolution,
    RunKind,
    RunStatus,
)
from dalian_minzheng.accounts.models import Role
from dalian_minzheng.accounts.scope import can_see_division, require_write
from dalian_minzheng.people import idnumbers

log = logging.getLogger(__name__)

CITY_CODE = "210200"
# advisory-lock namespaces (first key of pg_advisory_lock(int, int))
LOCK_RUN = 60601
LOCK_DEPARTMENT = 60602
ACTIVE_CASE_STATUSES = ("active", "under_review", "phase_out")
CASEWORK_ROLES = {Role.CASEWORKER, Role.DISTRICT_ADMIN, Role.CITY_ADMIN}


def _require(user, roles: set[str], division_code: str | None = None) -> None:
    require_write(user)
    if not user.is_superuser and user.role not in roles:
        raise PermissionDenied(_("Your role may not do this."))
    if division_code is not None and not can_see_division(user, division_code):
        raise PermissionDenied(_("This record is outside your area."))


def _casework():
    # imported late: casework imports nothing from checks, and checks must not load it at import time
    from assistance import services

    return services


# ---------------------------------------------------------------- catalogue


@transaction.atomic
def item_update(*, acting_user, item: DataItem, data: dict) -> DataItem:
    """The city admin edits an item's rule and thresholds (the catalogue is data)."""
    _require(acting_user, {Role.CITY_ADMIN})
    item = DataItem.objects.select_for_update().get(pk=item.pk)
    for name in (
        "name",
        "rule",
        "threshold",
        "threshold_months",
        "outcome_on_hit",
        "exempt_attribute",
        "counts_as_income",
        "marks_employed",
        "description",
        "unit",
        "is_active",
    ):
        if name in data:
            setattr(item, name, data[name])
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def token_create(*, acting_user, department: Department, name: str) -> tuple[DepartmentToken, str]:
    """Returns the token row and the plain token, which is shown once and never stored."""
    _require(acting_user, {Role.CITY_ADMIN})
    plain = f"dep_{department.code[:6]}_{secrets.token_urlsafe(32)}"
    token = DepartmentToken.objects.create(
        department=department, name=name, token_hash=hash_token(plain), prefix=plain[:8], created_by=acting_user
    )
    return token, plain


@transaction.atomic
def token_revoke(*, acting_user, token: DepartmentToken) -> None:
    _require(acting_user, {Role.CITY_ADMIN})
    DepartmentToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def token_authenticate(plain: str) -> DepartmentToken | None:
    if not plain:
        return None
    token = (
        DepartmentToken.objects.select_related("department")
        .filter(token_hash=hash_token(plain), revoked_at__isnull=True, department__is_active=True)
        .first()
    )
    if token is not None:
        DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


# ---------------------------------------------------------------- authorisations


@transaction.atomic
def authorisation_record(*, acting_user, application, person_id: int, signed_on: dt.date, scan) -> Authorisation:
    """Record a member's signed authorisation for the application's household."""
    from dalian_minzheng.people.models import HouseholdMember

    _require(acting_user, CASEWORK_ROLES, application.division_id)
    if not HouseholdMember.objects.filter(
        household_id=application.household_id, person_id=person_id, left_on__isnull=True
    ).exists():
        raise ValidationError({"person": _("This person is not a current member of the household.")})
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    if not scan:
        raise ValidationError({"scan": _("Upload the scan of the signed authorisation.")})
    # a new signature replaces the previous one (kept as history, revoked today)
    Authorisation.objects.select_for_update().filter(
        person_id=person_id, household_id=application.household_id, revoked_on__isnull=True
    ).update(revoked_on=timezone.localdate())
    return Authorisation.objects.create(
        person_id=person_id,
        household_id=application.household_id,
        division_id=application.division_id,
        signed_on=signed_on,
        scan=scan,
        recorded_by=acting_user,
    )


# ---------------------------------------------------------------- deliveries


class DeliveryError(Exception):
    """A delivery refused as a whole; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


@dataclass
class CleanRecord:
    id_number: str
    item_id: int
    value: Decimal | None
    attributes: dict


MAX_ERRORS = 50


def clean_records(*, department: Department, rows: list, first_row: int = 1) -> list[CleanRecord]:
    """Schema check of delivered rows; raises DeliveryError(403) for another department's item, (422) for the rest.
    Nothing is stored unless every row is valid: a department re-sends a corrected delivery."""
    items = {i.code: i for i in DataItem.objects.filter(is_active=True).select_related("department")}
    errors: list[dict] = []
    foreign: set[str] = set()
    seen: set[tuple[str, int]] = set()
    out: list[CleanRecord] = []
    for number, row in enumerate(rows, start=first_row):
        if len(errors) >= MAX_ERRORS:
            break
        if not isinstance(row, dict):
            errors.append({"row": number, "error": _("Each record must be an object.")})
            continue
        unknown = set(row) - {"id_number", "item", "value", "attributes"}
        if unknown:
            errors.append({"row": number, "error": _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}})
            continue
        code = row.get("item")
        item = items.get(code) if isinstance(code, str) else None
        if item is None:
            errors.append({"row": number, "field": "item", "error": _("Unknown data item %(c)r.") % {"c": code}})
            continue
        if item.department_id != department.pk:
            foreign.add(code)
            continue
        try:
            id_number = idnumbers.parse(row.get("id_number")).number
        except ValidationError as exc:
            errors.append({"row": number, "field": "id_number", "error": " ".join(exc.messages)})
            continue
        raw = row.get("value")
        value = None
        if raw is not None:
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                errors.append({"row": number, "field": "value", "error": _("The value must be a number.")})
                continue
            try:
                value = Decimal(str(raw).strip())
            except InvalidOperation:
                errors.append({"row": number, "field": "value", "error": _("The value must be a number.")})
                continue
            if not value.is_finite() or abs(value) >= Decimal("1e14"):
                errors.append({"row": number, "field": "value", "error": _("The value is out of range.")})
                continue
            value = value.quantize(Decimal("0.01"))
        attributes = row.get("attributes") or {}
        if not isinstance(attributes, dict):
            errors.append({"row": number, "field": "attributes", "error": _("Attributes must be an object.")})
            continue
        key = (id_number, item.pk)
        if key in seen:
            errors.append({"row": number, "error": _("The same ID number and item appear twice in this delivery.")})
            continue
        seen.add(key)
        out.append(CleanRecord(id_number, item.pk, value, attributes))
    if foreign:
        raise DeliveryError(
            403,
            _("These data items belong to another department: %(items)s. Nothing was stored.")
            % {"items": ", ".join(sorted(foreign))},
        )
    if errors:
        raise DeliveryError(422, _("The delivery has invalid records. Nothing was stored."), errors)
    return out


def payload_digest(as_of: dt.date, records: list[CleanRecord]) -> str:
    canonical = json.dumps(
        [as_of.isoformat()]
        + sorted([r.id_number, r.item_id, str(r.value), json.dumps(r.attributes, sort_keys=True)] for r in records),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def delivery_receive(
    *,
    department: Department,
    delivery_ref: str,
    as_of: dt.date,
    records: list[CleanRecord],
    source: str,
    token: DepartmentToken | None = None,
    acting_user=None,
    file=None,
) -> tuple[Delivery, bool]:
    """Store a delivery and make its records current where they are the newest. Idempotent by delivery id:
    the same delivery again returns the stored one (False); a different payload under the same id is refused."""
    if acting_user is not None:
        _require(acting_user, {Role.CITY_ADMIN})
    if not delivery_ref or len(delivery_ref) > 64:
        raise DeliveryError(422, _("delivery_id must be a text of 1 to 64 characters."))
    if as_of > timezone.localdate():
        raise DeliveryError(422, _("as_of cannot be in the future."))
    digest = payload_digest(as_of, records)
    # one delivery of a department at a time: supersession compares with what is current
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_DEPARTMENT, department.pk])
    existing = Delivery.objects.filter(department=department, delivery_ref=delivery_ref).first()
    if existing is not None:
        if existing.payload_sha256 != digest:
            raise DeliveryError(
                409, _("Delivery %(ref)s was already received with different content.") % {"ref": delivery_ref}
            )
        return existing, False
    delivery = Delivery.objects.create(
        department=department,
        delivery_ref=delivery_ref,
        as_of=as_of,
        source=source,
        payload_sha256=digest,
        record_count=len(records),
        token=token,
        received_by=acting_user,
    )
    if file is not None:
        delivery.file.save(file.name, file, save=True)
    with connection.cursor() as cur:
        with cur.copy(
            "COPY checks_departmentrecord (delivery_id, item_id, id_number, value, attributes, as_of, is_current) "
            "FROM STDIN"
        ) as copy:
            for r in records:
                copy.write_row(
                    (
                        delivery.pk,
                        r.item_id,
                        r.id_number,
                        r.value,
                        json.dumps(r.attributes, ensure_ascii=False),
                        as_of,
                        False,
                    )
                )
        current = supersede(cur, delivery.pk)
    delivery.current_count = current
    delivery.save(update_fields=["current_count"])
    return delivery, True


def supersede(cur, delivery_id: int) -> int:
    """A record replaces the current one of its ID number and item when its (as-of date, delivery) is newer; an
    older delivery arriving late stays history. Returns how many of this delivery's records became current."""
    cur.execute(
        """
        UPDATE checks_departmentrecord cur SET is_current = false
        FROM checks_departmentrecord new
        WHERE new.delivery_id = %(d)s AND cur.is_current
          AND cur.id_number = new.id_number AND cur.item_id = new.item_id
          AND (new.as_of, new.delivery_id) > (cur.as_of, cur.delivery_id)
        """,
        {"d": delivery_id},
    )
    cur.execute(
        """
        UPDATE checks_departmentrecord new SET is_current = true
        WHERE new.delivery_id = %(d)s
          AND NOT EXISTS (SELECT 1 FROM checks_departmentrecord cur
                          WHERE cur.is_current AND cur.id_number = new.id_number AND cur.item_id = new.item_id)
        """,
        {"d": delivery_id},
    )
    return cur.rowcount


def parse_delivery_file(*, department: Department, upload) -> list[CleanRecord]:
    """A department's csv or xlsx: columns id_number (身份证号), item (数据项), value (值), attributes (JSON, optional).
    Cells are read as text so an ID number never turns into a float."""
    name = (upload.name or "").lower()
    rows: list[dict] = []
    if name.endswith(".csv"):
        import csv

        raw = upload.read()
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        text = str(best) if best is not None else raw.decode("utf-8", errors="replace")
        table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    elif name.endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(upload.read()))
        table = book.get_sheet_by_index(0).to_python()
    else:
        raise DeliveryError(422, _("Upload a .csv or .xlsx file."))
    if not table:
        raise DeliveryError(422, _("The file is empty."))
    aliases = {
        "id_number": "id_number",
        "身份证号": "id_number",
        "公民身份号码": "id_number",
        "item": "item",
        "数据项": "item",
        "value": "value",
        "值": "value",
        "数值": "value",
        "attributes": "attributes",
        "属性": "attributes",
    }
    header = [aliases.get(str(h).strip().lower() if h is not None else "", None) for h in table[0]]
    if "id_number" not in header or "item" not in header:
        raise DeliveryError(422, _("The first row must name the columns id_number (身份证号) and item (数据项)."))
    for line in table[1:]:
        row: dict = {}
        for key, cell in zip(header, line, strict=False):
            if key is None or cell in (None, ""):
                continue
            if key == "id_number" and isinstance(cell, float):
                row[key] = "E+number"  # Excel turned the ID into a number: let the ID parser explain it
                continue
            if key == "attributes":
                try:
                    row[key] = json.loads(str(cell))
                except ValueError:
                    row[key] = str(cell)
                continue
            row[key] = cell if key == "value" and isinstance(cell, int | float) else str(cell).strip()
        if row:
            rows.append(row)
    return clean_records(department=department, rows=rows, first_row=2)


# ---------------------------------------------------------------- runs


def _queue(run: CheckRun) -> None:
    from assistance.checks import tasks

    run_id = run.pk
    transaction.on_commit(lambda: tasks.execute_run.delay(run_id))


@transaction.atomic
def check_application(*, acting_user, application, kind: str = RunKind.APPLICATION) -> CheckRun:
    """Queue a check of one application (on demand, or a re-check after a dispute)."""
    _require(acting_user, CASEWORK_ROLES, application.division_id)
    run = CheckRun.objects.create(
        kind=kind, division_id=application.division_id, total=1, requested_by=acting_user, chunk_size=1
    )
    CheckRunSubject.objects.create(run=run, application_id=application.pk)
    _casework().application_set_check_status(application_id=application.pk, status="pending")
    _queue(run)
    return run


@transaction.atomic
def recheck_active_cases(*, acting_user=None, chunk_size: int = 2000, division_prefix: str = "") -> CheckRun:
    """A run over the applications of every active case (scheduled nightly, or started by the city admin)."""
    if acting_user is not None:
        _require(acting_user, {Role.CITY_ADMIN})
    run = CheckRun.objects.create(
        kind=RunKind.SCHEDULED, division_id=CITY_CODE, requested_by=acting_user, chunk_size=chunk_size
    )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO checks_checkrunsubject (run_id, application_id)
            SELECT %s, c.application_id FROM assistance_case c
            WHERE c.status = ANY(%s) AND c.division_id LIKE %s
            ORDER BY c.application_id
            ON CONFLICT DO NOTHING
            """,
            [run.pk, list(ACTIVE_CASE_STATUSES), division_prefix + "%"],
        )
        run.total = cur.rowcount
    run.save(update_fields=["total"])
    _queue(run)
    return run


@transaction.atomic
def run_resume(*, acting_user=None, run: CheckRun) -> CheckRun:
    """Queue a run again (after its worker died): it continues after its cursor."""
    if acting_user is not None:
        _require(acting_user, {Role.DISTRICT_ADMIN, Role.CITY_ADMIN}, run.division_id)
    run = CheckRun.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.DONE:
        raise ValidationError(_("This run has finished."))
    run.status = RunStatus.QUEUED
    run.error = ""
    run.save(update_fields=["status", "error"])
    _queue(run)
    return run


def resume_stalled_runs(*, stale_after: dt.timedelta = dt.timedelta(minutes=15)) -> int:
    """Re-queue runs whose worker stopped sending heartbeats (a crash); the advisory lock keeps one executor."""
    cutoff = timezone.now() - stale_after
    stalled = CheckRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    for run in stalled:
        run_resume(run=run)
        count += 1
    return count


def _pause() -> float:
    # Throttle between chunks (seconds) so a long run leaves the database to interactive users; 0 by default.
    try:
        return float(os.environ.get("CHECKS_CHUNK_PAUSE_SECONDS", "0"))
    except ValueError:
        return 0.0


def run_execute(*, run_id: int) -> CheckRun | None:
    """Work through a run in two resumable phases.

    1. Matching, chunk by chunk: each chunk commits its findings, the applications' summaries, the marks of what
       casework must be told and the run's progress together, so a crash loses at most the chunk in flight.
    2. Hand-off: for each marked application, the new check status (and a review for an active case with new
       findings) through the casework services, clearing the mark in the same transaction.
    A second executor of the same run (a re-delivered task) finds the advisory lock taken and leaves."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_RUN, run_id])
        if not cur.fetchone()[0]:
            log.info("check run %s is being executed elsewhere", run_id)
            return None
    try:
        with transaction.atomic():
            run = CheckRun.objects.select_for_update().get(pk=run_id)
            if run.status == RunStatus.DONE:
                return run
            run.status = RunStatus.RUNNING
            run.started_at = run.started_at or timezone.now()
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["status", "started_at", "heartbeat_at"])
        pause = _pause()
        while True:
            with transaction.atomic():
                run = CheckRun.objects.select_for_update().get(pk=run_id)
                if run.matched_at is None:
                    finished = _match_next_chunk(run)
                else:
                    finished = _handoff_next_chunk(run)
                if finished and run.status == RunStatus.DONE:
                    return run
            if pause:
                time.sleep(pause)
    except Exception as exc:
        log.exception("check run %s failed", run_id)
        CheckRun.objects.filter(pk=run_id).update(status=RunStatus.FAILED, error=str(exc)[:2000])
        raise
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_RUN, run_id])


def _pending_handoff(run: CheckRun):
    from assistance.checks.models import ApplicationCheck

    subjects = CheckRunSubject.objects.filter(run_id=run.pk).values("application_id")
    return ApplicationCheck.objects.exclude(handoff_status="").filter(application_id__in=subjects)


def _match_next_chunk(run: CheckRun) -> bool:
    """Match the next chunk; True when there was none left (matching is then marked finished)."""
    ids = list(
        CheckRunSubject.objects.filter(run_id=run.pk, application_id__gt=run.cursor)
        .order_by("application_id")
        .values_list("application_id", flat=True)[: run.chunk_size]
    )
    if not ids:
        run.matched_at = timezone.now()
        run.handoff_total = _pending_handoff(run).count()
        run.heartbeat_at = run.matched_at
        run.save(update_fields=["matched_at", "handoff_total", "heartbeat_at"])
        return False
    result = engine.check_chunk(run_id=run.pk, application_ids=ids, today=timezone.localdate())
    run.cursor = ids[-1]
    run.done += len(ids)
    run.members_checked += result.members_checked
    run.members_missing_authorisation += result.members_missing
    run.compliant += result.compliant
    run.noncompliant += result.noncompliant
    run.suspect += result.suspect
    run.new_findings += len(result.new_open)
    run.heartbeat_at = timezone.now()
    run.save()
    return False


HANDOFF_CHUNK = 200


def _handoff_next_chunk(run: CheckRun) -> bool:
    """Tell casework about the next marked applications; True (and the run DONE) when none are left."""
    from assistance.models import Case

    casework = _casework()
    pending = list(
        _pending_handoff(run)
        .select_for_update(skip_locked=True)
        .order_by("application_id")
        .values_list("application_id", "handoff_status", "review_run_id")[:HANDOFF_CHUNK]
    )
    if not pending:
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.save(update_fields=["status", "finished_at", "heartbeat_at"])
        return True
    # set-based: one call per chunk for the statuses and one for the reviews (same effects as the per-row services)
    casework.applications_set_check_status(statuses={app_id: status for app_id, status, _run in pending})
    # applications first, then their cases (the casework lock order); locked so a case cannot stop in between
    cases = dict(
        Case.objects.select_for_update()
        .filter(application_id__in=[p[0] for p in pending if p[2]], status__in=("active", "phase_out"))
        .order_by("pk")
        .values_list("application_id", "id")
    )
    case_reasons = {
        cases[app_id]: _("Cross-department check #%(run)s found new findings to resolve.") % {"run": review_run_id}
        for app_id, _status, review_run_id in pending
        if review_run_id and app_id in cases
    }
    casework.cases_open_reviews(case_reasons=case_reasons)
    reviews = len(case_reasons)
    from assistance.checks.models import ApplicationCheck

    ApplicationCheck.objects.filter(application_id__in=[p[0] for p in pending]).update(
        handoff_status="", review_run=None
    )
    run.handoff_done += len(pending)
    run.reviews_opened += reviews
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["handoff_done", "reviews_opened", "heartbeat_at"])
    return False


# ---------------------------------------------------------------- findings workflow


def _refresh_application(application_id: int) -> str:
    """Recount the open findings of an application and hand the resulting status to casework."""
    from assistance.checks.models import RESOLVED, ApplicationCheck

    summary = ApplicationCheck.objects.select_for_update().filter(application_id=application_id).first()
    if summary is None:
        return "not_started"
    summary.open_findings = (
        Finding.objects.filter(application_id=application_id).exclude(resolution__in=RESOLVED).count()
    )
    if summary.members_checked < summary.members_total:
        status = "not_started"
    elif summary.open_findings:
        status = "findings_open"
    else:
        status = "clear"
    if summary.handoff_status:
        summary.handoff_status = status  # a hand-off still pending must not restore an older status
    summary.save(update_fields=["open_findings", "handoff_status"])
    _casework().application_set_check_status(application_id=application_id, status=status)
    return status


@transaction.atomic
def finding_resolve(*, acting_user, finding: Finding, kind: str, note: str, evidence=None) -> FindingAction:
    """confirm: the department's data is right; explain: the household's explanation is accepted; dispute: the
    household contests the data, with evidence, and the application is checked again."""
    _require(acting_user, CASEWORK_ROLES, finding.division_id)
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
