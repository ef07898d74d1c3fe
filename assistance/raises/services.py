"""Writes for standard raises: create, edit, approve, apply, and the back-pay hook a payment roster calls.

Applying a raise is one transaction (`raise_apply`): lock the raise, insert the new Standard rows, lock the cases,
then one UPDATE … FROM statement for all its programmes that recomputes every receiving case, records old and new
amount (CaseAmountChange, reason=raise, source_ref="raise:<id>"), the back pay owed and the audit events, in the same
statement. A crash
anywhere rolls all of it back; a second run finds the raise applied (and the per-case source_ref) and does nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance.models import (
    AmountChangeReason,
    Case,
    CaseAmountChange,
    Programme,
    Standard,
    StandardBand,
)
from assistance.raises import outliers, planning, recompute

# back pay lives in its own module; re-exported so `services.back_pay_*` keeps working
from assistance.raises.back_pay import BACK_PAY_SQL, back_pay_apply_to_roster, back_pay_owed  # noqa: F401
from assistance.raises.models import (
    Component,
    Raise,
    RaiseBackPay,
    RaiseMethod,
    RaiseOutlierAck,
    RaiseStandard,
    RaiseStatus,
    Rounding,
    UnknownIncomeRule,
)
from dalian_minzheng.accounts.policy import CITY_ADMIN_ROLES
from dalian_minzheng.accounts.scope import require
from dalian_minzheng.audit.bulk import insert_events_sql
from dalian_minzheng.core import jobs
from dalian_minzheng.core.db import analyze
from dalian_minzheng.people.models import Division, DivisionLevel

# Test-only hook: seconds to sleep inside the apply transaction after the case updates, so a test can kill the
# worker mid-apply. Read from the worker's environment; unset (0) in every real deployment.


def _clean(
    *,
    title: str,
    programmes: list[Programme],
    districts: list[Division],
    components: list[str],
    method: str,
    value: Decimal,
    rounding: str,
    effective_from: dt.date,
    unknown_income_rule: str = UnknownIncomeRule.DELTA,
) -> dict:
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors.setdefault("title", []).append(_("Enter a title."))
    if not programmes:
        errors.setdefault("programmes", []).append(_("Choose at least one programme."))
    if any(d.level != DivisionLevel.DISTRICT for d in districts):
        errors.setdefault("districts", []).append(_("Choose districts, not streets or communities."))
    if not components or any(c not in Component.values for c in components):
        errors.setdefault("components", []).append(_("Choose at least one standard to raise."))
    if method not in RaiseMethod.values:
        errors.setdefault("method", []).append(_("Choose a method."))
    if unknown_income_rule not in UnknownIncomeRule.values:
        errors.setdefault("unknown_income_rule", []).append(_("Choose how cases with unknown income are raised."))
    if rounding not in Rounding.values:
        errors.setdefault("rounding", []).append(_("Choose a rounding rule."))
    if value is None or Decimal(value) <= 0:
        errors.setdefault("value", []).append(_("Enter a positive value."))
    elif method == RaiseMethod.INCREASE_PERCENT and Decimal(value) > 100:
        errors.setdefault("value", []).append(_("A raise of more than a hundred percent is not plausible."))
    if effective_from is None or effective_from.day != 1:
        errors.setdefault("effective_from", []).append(_("A standard takes effect on the first day of a month."))
    if errors:
        raise ValidationError(errors)
    return {
        "title": title.strip(),
        "components": list(dict.fromkeys(components)),
        "method": method,
        "value": Decimal(value),
        "rounding": rounding,
        "effective_from": effective_from,
        "unknown_income_rule": unknown_income_rule,
    }


@transaction.atomic
def raise_create(
    *,
    acting_user,
    title: str,
    programmes: list[Programme],
    districts: list[Division] | None = None,
    components: list[str] | None = None,
    method: str,
    value: Decimal,
    rounding: str = Rounding.UP_YUAN,
    effective_from: dt.date,
    unknown_income_rule: str = UnknownIncomeRule.DELTA,
    note: str = "",
) -> Raise:
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    districts = list(districts or [])
    fields = _clean(
        title=title,
        programmes=list(programmes),
        districts=districts,
        components=list(components or [Component.BASIC]),
        method=method,
        value=value,
        rounding=rounding,
        effective_from=effective_from,
        unknown_income_rule=unknown_income_rule,
    )
    raise_record = Raise.objects.create(**fields, note=note or "", created_by=acting_user)
    raise_record.programmes.set(programmes)
    raise_record.districts.set(districts)
    return raise_record


@transaction.atomic
def raise_update(
    *,
    acting_user,
    raise_record: Raise,
    title: str,
    programmes: list[Programme],
    districts: list[Division] | None = None,
    components: list[str] | None = None,
    method: str,
    value: Decimal,
    rounding: str,
    effective_from: dt.date,
    unknown_income_rule: str = UnknownIncomeRule.DELTA,
    note: str = "",
) -> Raise:
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    locked = Raise.objects.select_for_update().get(pk=raise_record.pk)
    if locked.status != RaiseStatus.DRAFT:
        raise ValidationError(_("Only a draft can be edited."))
    districts = list(districts or [])
    fields = _clean(
        title=title,
        programmes=list(programmes),
        districts=districts,
        components=list(components or [Component.BASIC]),
        method=method,
        value=value,
        rounding=rounding,
        effective_from=effective_from,
        unknown_income_rule=unknown_income_rule,
    )
    for name, val in fields.items():
        setattr(locked, name, val)
    # acknowledged outliers were of the raise as it was (their fingerprints would not match anyway)
    locked.outlier_acks.all().delete()
    locked.note = note or ""
    locked.save()
    locked.programmes.set(programmes)
    locked.districts.set(districts)
    return locked


@transaction.atomic
def raise_approve(*, acting_user, raise_record: Raise) -> Raise:
    """The city admin's approval: checks the plan and freezes it (RaiseStandard rows)."""
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    locked = Raise.objects.select_for_update().get(pk=raise_record.pk)
    if locked.status != RaiseStatus.DRAFT:
        raise ValidationError(_("Only a draft can be approved."))
    result = planning.plan(locked)
    if result.problems:
        raise ValidationError(result.problems)
    if not result.standards:
        raise ValidationError(_("This raise changes no standard."))
    pending = outliers.check(locked, result.standards).pending
    if pending:
        raise ValidationError(
            [_("Outliers not acknowledged by a second city administrator: %(groups)s.")
             % {"groups": "、".join(_group_label(g) for g in pending)}]
        )  # fmt: skip
    RaiseStandard.objects.bulk_create(
        [
            RaiseStandard(
                raise_record=locked,
                programme=p.programme,
                division_id=p.division_id,
                care_level=p.care_level,
                old_amount=p.old_amount,
                new_amount=p.new_amount,
                base_programme_id=p.base_programme_id,
                multiplier=p.multiplier,
                linked=p.linked,
                income_below=p.income_below,
            )
            for p in result.standards
        ]
    )
    locked.status = RaiseStatus.APPROVED
    locked.approved_by = acting_user
    locked.approved_at = timezone.now()
    locked.last_error = ""
    locked.save(update_fields=["status", "approved_by", "approved_at", "last_error"])
    return locked


def _group_label(group: outliers.Group) -> str:
    what = _("case changes") if group.kind == "cases" else _("district total")
    return f"{group.cell.district_name} · {group.cell.programme_name} · {what}"


def raise_acknowledge_outliers(*, acting_user, raise_record: Raise, group: str, note: str) -> RaiseOutlierAck:
    """A second city admin's explicit acknowledgement of one outlier group of a draft raise (issue 12). Not the admin
    who created the raise; the group must be in the preview as it stands now, and the acknowledgement holds for that
    content only (its fingerprint): an edit of the raise or a change of the cases needs a new one."""
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    note = (note or "").strip()
    with transaction.atomic():
        locked = Raise.objects.select_for_update().get(pk=raise_record.pk)
        if locked.status != RaiseStatus.DRAFT:
            raise ValidationError(_("Only the outliers of a draft can be acknowledged."))
        if locked.created_by_id == acting_user.pk:
            raise PermissionDenied(_("Outliers are acknowledged by a second city administrator, not by the one who "
                                     "created the raise."))  # fmt: skip
        if not note:
            raise ValidationError({"note": [_("Say why these figures are right.")]})
        found = {g.key: g for g in outliers.check(locked, planning.plan(locked).standards).groups}.get(group)
        if found is None:
            raise ValidationError(_("This outlier group is no longer in the preview; reload it."))
        summary = {"kind": found.kind, "programme": found.cell.programme_id, "district": found.cell.district,
                   "cases": found.cell.outlier_count, "change": str(found.cell.change),
                   "implied": str(found.cell.implied), "outlier_change": str(found.cell.outlier_change)}  # fmt: skip
        ack, _created = RaiseOutlierAck.objects.update_or_create(
            raise_record=locked,
            group=group,
            defaults={"fingerprint": found.fingerprint, "summary": summary, "note": note[:2000],
                      "acknowledged_by": acting_user},
        )  # fmt: skip
    return ack


@transaction.atomic
def raise_withdraw_approval(*, acting_user, raise_record: Raise) -> Raise:
    """Back to draft (to correct it) as long as it has not been applied."""
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    locked = Raise.objects.select_for_update().get(pk=raise_record.pk)
    if locked.status != RaiseStatus.APPROVED:
        raise ValidationError(_("Only an approved raise that is not applied yet can go back to draft."))
    locked.planned_standards.all().delete()
    locked.status = RaiseStatus.DRAFT
    locked.approved_by = None
    locked.approved_at = None
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


@transaction.atomic
def raise_set_notice(*, acting_user, raise_record: Raise, text: str) -> Raise:
    """The city admin's wording of the notice to the affected households; an empty text returns to the one
    generated from the raise's standards and figures."""
    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    locked = Raise.objects.select_for_update().get(pk=raise_record.pk)
    locked.notice_text = (text or "").replace("\r\n", "\n").strip()
    locked.save(update_fields=["notice_text"])
    return locked


# ---------------------------------------------------------------------------------------------------- apply


@dataclass
class ApplyResult:
    raise_id: int
    already_applied: bool = False
    cases_changed: int = 0
    total_before: Decimal = Decimal("0")
    total_after: Decimal = Decimal("0")
    back_pay_total: Decimal = Decimal("0")
    per_programme: dict[int, int] = field(default_factory=dict)


def progress_key(raise_id: int) -> str:
    return f"raises:progress:{raise_id}"


def _progress(raise_id: int, done: int, total: int, stage: str) -> None:
    # In Redis, not the database: the apply transaction's own writes are invisible until it commits.
    cache.set(progress_key(raise_id), {"done": done, "total": total, "stage": stage}, timeout=24 * 3600)


def raise_queue_apply(*, acting_user, raise_record: Raise) -> Raise:
    """Queue the apply of an approved raise whose effective date has come; the worker applies it after this
    transaction commits. No row lock here: a running apply holds it, and the apply itself re-checks the status."""
    from assistance.raises.tasks import apply_raise

    require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    if raise_record.status != RaiseStatus.APPROVED:
        raise ValidationError(_("Only an approved raise can be applied."))
    if raise_record.effective_from > timezone.localdate():
        when = {"date": raise_record.effective_from}
        raise ValidationError(_("This raise takes effect on %(date)s; it is applied on that day.") % when)
    mark_queued(raise_id=raise_record.pk)
    raise_id, user_id = raise_record.pk, acting_user.pk
    transaction.on_commit(lambda: apply_raise.delay(raise_id, user_id))
    return raise_record


def mark_queued(*, raise_id: int) -> None:
    _progress(raise_id, 0, 0, "queued")


def get_progress(raise_id: int) -> dict | None:
    return cache.get(progress_key(raise_id))


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


APPLY_SQL = """
WITH {computed},
later AS (
    -- a case whose amount already changed with effect after the raise's date (a review decided for next month)
    -- gets the raise from that date: its current household size and income are the ones from that change on
    SELECT ch.case_id, MAX(ch.effective_from) AS since
      FROM assistance_caseamountchange ch
     WHERE ch.effective_from > %(on)s AND ch.source_ref <> %(ref)s
     GROUP BY ch.case_id
),
upd AS (
    UPDATE assistance_case c
       SET monthly_amount = x.new_amount, updated_at = NOW(),
           amount_basis = CASE x.rule WHEN 'recompute' THEN 'standard' WHEN 'delta' THEN 'raised_delta'
                          ELSE c.amount_basis END
      FROM computed x LEFT JOIN later l ON l.case_id = x.id
     WHERE c.ctid = x.row_ctid
       AND x.new_amount <> x.old_amount
       -- exactly once per case, if this raise has rows from before this transaction (guard; see raise_apply); NOT IN
       -- over an uncorrelated subquery is a hashed subplan (one pass over the raise's rows). NOT EXISTS became an
       -- anti join whose estimate, from statistics taken before this transaction, was "no rows": for the second
       -- programme it rescanned the first one's 45,000 rows for every case (84 s).
       AND (NOT %(guard)s
            OR c.id NOT IN (SELECT ch.case_id FROM assistance_caseamountchange ch WHERE ch.source_ref = %(ref)s))
 RETURNING c.*, x.old_amount AS raise_old_amount, COALESCE(l.since, %(on)s) AS raise_from, x.rule AS raise_rule,
           x.standard AS raise_standard, x.old_standard AS raise_old_standard
),
chg AS (
    -- created_by stays empty: the raise (source_ref) is the author and its record says who approved and applied it
    -- (the audit context too); a user per row cost a foreign-key check per case, a third of the commit
    INSERT INTO assistance_caseamountchange
           (case_id, effective_from, old_amount, new_amount, reason, note, source_ref, created_at, basis)
    SELECT u.id, u.raise_from, u.raise_old_amount, u.monthly_amount, %(reason)s, %(note)s, %(ref)s, NOW(),
           jsonb_strip_nulls(jsonb_build_object(
               'rule', u.raise_rule, 'raise', %(raise_id)s::bigint, 'standard', u.raise_standard,
               'old_standard', u.raise_old_standard, 'income', u.monthly_income_per_capita,
               'size', u.household_size, 'care_level', NULLIF(u.care_level, '')))
      FROM upd u
    RETURNING *
),
{audit}
paid AS (
    -- months already paid at the old amount: the case's payments from the month the raise applies to it …
    SELECT p.case_id, COUNT(*) AS months, MIN(p.month) AS first_month, MAX(p.month) AS last_month
      FROM assistance_payment p JOIN upd u ON u.id = p.case_id
     WHERE p.month >= u.raise_from
     GROUP BY p.case_id
),
span AS (
    SELECT u.id, u.division_id, u.raise_old_amount AS old_amount, u.monthly_amount AS new_amount,
           CASE WHEN EXISTS (SELECT 1 FROM assistance_paymentroster r WHERE r.district_id = LEFT(u.division_id, 6))
                THEN COALESCE(pd.months, 0)
                -- … or, in a district whose payments are not made through the portal's rosters, every month from
                -- then to the month before the raise was applied
                ELSE GREATEST(0,
                       (EXTRACT(YEAR FROM LEAST(%(last_unpaid)s, COALESCE(u.last_payment_month, %(last_unpaid)s)))
                        - EXTRACT(YEAR FROM GREATEST(u.raise_from, u.first_payment_month))) * 12
                     + EXTRACT(MONTH FROM LEAST(%(last_unpaid)s, COALESCE(u.last_payment_month, %(last_unpaid)s)))
                     - EXTRACT(MONTH FROM GREATEST(u.raise_from, u.first_payment_month)) + 1)
           END::int AS months,
           COALESCE(pd.first_month, GREATEST(u.raise_from, DATE_TRUNC('month', u.first_payment_month)::date))
               AS from_month,
           COALESCE(pd.last_month, %(last_unpaid)s) AS to_month
      FROM upd u LEFT JOIN paid pd ON pd.case_id = u.id
),
bp AS (
    INSERT INTO raises_raisebackpay
           (raise_record_id, case_id, division_id, from_month, to_month, months, monthly_difference, amount)
    SELECT %(raise_id)s, s.id, s.division_id, s.from_month, s.to_month, s.months,
           s.new_amount - s.old_amount, (s.new_amount - s.old_amount) * s.months
      FROM span s
     WHERE s.months > 0 AND %(back_pay)s
    RETURNING *
){bp_audit}
SELECT (SELECT COUNT(*) FROM upd), (SELECT COALESCE(SUM(raise_old_amount), 0) FROM upd),
       (SELECT COALESCE(SUM(monthly_amount), 0) FROM upd), (SELECT COUNT(*) FROM chg),
       (SELECT COALESCE(SUM(amount), 0) FROM bp),
       (SELECT COALESCE(json_object_agg(programme_id, n), '{{}}')
          FROM (SELECT programme_id, COUNT(*) AS n FROM upd GROUP BY programme_id) per_programme)
"""


def _apply_sql(programmes: list[Programme], *, triggers_off: bool) -> tuple[str, dict]:
    audit = bp_audit = ""
    ctx = "(SELECT id FROM ctx)"
    if triggers_off:  # no trigger writes the events: the statement does (see recompute.ROW_TRIGGERS_OFF)
        audit = (
            "ctx AS MATERIALIZED (SELECT _pgh_attach_context() AS id),\n"
            f"case_events AS ({insert_events_sql(Case, source='upd', label='update', context=ctx)}),\n"
            f"change_events AS ({insert_events_sql(CaseAmountChange, source='chg', label='insert', context=ctx)}),\n"
        )
        bp_audit = f",\nbp_events AS ({insert_events_sql(RaiseBackPay, source='bp', label='insert', context=ctx)})"
    computed, args = recompute.computed_all_cte([(p.pk, p.calculation) for p in programmes])
    return APPLY_SQL.format(computed=computed, audit=audit, bp_audit=bp_audit), args


def _may_switch_triggers_off(cursor) -> bool:
    if not recompute.ROW_TRIGGERS_OFF:
        return False
    cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    return cursor.fetchone()[0]


def _recompute(
    *, raise_record: Raise, programmes: list[Programme], districts: list[str], today: dt.date, guard: bool
) -> tuple[int, Decimal, Decimal, Decimal, dict[int, int]]:
    """One statement for all the raise's programmes: one plan, one context row."""
    on = raise_record.effective_from
    args = recompute.params(
        programme_id=programmes[0].pk,
        on=on,
        districts=districts,
        unknown_income_rule=raise_record.unknown_income_rule,
    )
    # Last month that, without roster history, counts as paid at the old amount: the month before this one.
    last_unpaid = _first_of_month(_first_of_month(today) - dt.timedelta(days=1))
    args.update(
        ref=raise_record.source_ref,
        reason=AmountChangeReason.RAISE.value,
        note=raise_record.title[:300],
        raise_id=raise_record.pk,
        guard=guard,
        last_unpaid=last_unpaid,
        back_pay=on < _first_of_month(today),
    )
    with connection.cursor() as cursor:
        triggers_off = _may_switch_triggers_off(cursor)
        sql, programme_args = _apply_sql(programmes, triggers_off=triggers_off)
        args.update(programme_args)
        if triggers_off:
            # No trigger fires for this one statement (see recompute.ROW_TRIGGERS_OFF): it writes every audit event
            # itself and guarantees every foreign key it writes. Transaction-local: an error rolls it back too.
            cursor.execute("SET LOCAL session_replication_role = replica")
        # Otherwise the statement-level audit triggers of the three tables write the events from its transition
        # tables (one call per table) and the foreign keys are checked; their old/new join is a hash join whatever
        # the connection did before (audit.tracking.plan_statement_triggers_for_any_size).
        cursor.execute(sql, args)
        changed, before, after, recorded, back_pay, per_programme = cursor.fetchone()
        if triggers_off:
            cursor.execute("SET LOCAL session_replication_role = origin")
    if recorded != changed:  # cannot happen: both come from the same rows; guards a future edit of the SQL
        raise RuntimeError("amount changes do not match updated cases")
    per_programme = {int(pk): n for pk, n in (per_programme or {}).items()}
    return changed, Decimal(before), Decimal(after), Decimal(back_pay), per_programme


def raise_apply(*, raise_id: int, acting_user=None, today: dt.date | None = None, task_id: str = "") -> ApplyResult:
    """Apply an approved raise whose effective date has come. Idempotent; all or nothing."""
    if acting_user is not None:
        require(acting_user, roles=CITY_ADMIN_ROLES, message=_("Only the city administration manages standard raises."))
    today = today or timezone.localdate()
    with pghistory.context(raise_id=raise_id, cause="standard raise"), transaction.atomic():
        locked = Raise.objects.select_for_update().get(pk=raise_id)
        if locked.status == RaiseStatus.APPLIED:
            return ApplyResult(raise_id=raise_id, already_applied=True)
        if locked.status != RaiseStatus.APPROVED:
            raise ValidationError(_("Only an approved raise can be applied."))
        if locked.effective_from > today:
            raise ValidationError(
                _("This raise takes effect on %(date)s; it is applied on that day.") % {"date": locked.effective_from}
            )
        frozen = list(locked.planned_standards.select_related("programme"))
        fresh = planning.plan(locked)
        fresh_keys = {
            (p.programme.pk, p.division_id, p.care_level, p.old_amount, p.new_amount) for p in fresh.standards
        }
        frozen_keys = {(p.programme_id, p.division_id, p.care_level, p.old_amount, p.new_amount) for p in frozen}
        if fresh.problems or fresh_keys != frozen_keys:
            raise ValidationError(
                _("The standards changed since this raise was approved; withdraw the approval and approve it again.")
            )
        user_id = acting_user.pk if acting_user is not None else None
        for item in frozen:
            if item.income_below is not None:
                StandardBand.objects.create(
                    programme=item.programme,
                    division_id=item.division_id,
                    effective_from=locked.effective_from,
                    income_below=item.income_below,
                    amount=item.new_amount,
                    created_by_id=user_id,
                )
                continue
            item.standard = Standard.objects.create(
                programme=item.programme,
                division_id=item.division_id,
                care_level=item.care_level,
                amount=item.new_amount,
                effective_from=locked.effective_from,
                base_programme_id=item.base_programme_id,
                multiplier=item.multiplier,
                note=_("Raise: %(title)s") % {"title": locked.title[:150]},
                created_by_id=user_id,
            )
            item.save(update_fields=["standard"])

        districts = sorted(locked.districts.values_list("code", flat=True))
        programmes = sorted({item.programme for item in frozen}, key=lambda p: p.pk)
        # No other transaction may write a case until this one commits: a review or a new approval committing
        # between this statement's snapshot and its UPDATE would otherwise be computed from stale figures or miss
        # the raise. EXCLUSIVE blocks writers and row locks (SELECT … FOR UPDATE) but not plain reads, for the few
        # seconds the apply takes; it costs nothing per row, unlike locking 67,000 rows one by one.
        with connection.cursor() as cursor:
            # (the amount changes too: taken together and up front, so no writer can hold one and wait for the other)
            cursor.execute("LOCK TABLE assistance_case, assistance_caseamountchange IN EXCLUSIVE MODE")
            # The statements' row estimates come from statistics taken before this transaction wrote anything; a
            # wrong high estimate must not buy a JIT compilation (hundreds of ms) for a plan that runs in seconds.
            cursor.execute("SET LOCAL jit = off")
            # The statements keep the updated cases and the new amount changes (≈ 20 MB for 67,000 cases) for the
            # audit rows and back pay: in memory, not spilled to temporary files at the default 4 MB.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # The commit does not wait for its ~100 MB of WAL to reach the disk. A crash of the database server in
            # the fraction of a second after it can lose this transaction — all of it: the raise is then still
            # approved and not applied, and the daily task (or a click) applies it again.
            cursor.execute("SET LOCAL synchronous_commit = off")

        # The per-case once-only check matters only for amount changes of this raise that were there before this
        # transaction (an approved raise has none: the apply is all or nothing, and its status says applied).
        # Checked once here, so the statement skips it when there is nothing to find.
        guard = CaseAmountChange.objects.filter(source_ref=locked.source_ref).exists()
        result = ApplyResult(raise_id=raise_id)
        _progress(raise_id, 0, 1, "updating")
        (result.cases_changed, result.total_before, result.total_after, result.back_pay_total, per_programme) = (
            _recompute(raise_record=locked, programmes=programmes, districts=districts, today=today, guard=guard)
        )
        result.per_programme = {p.pk: per_programme.get(p.pk, 0) for p in programmes}
        # The first raise can take the amount changes from empty to 67,000 rows: the report's join over them must
        # not be planned from an "empty table" estimate until autovacuum looks (a nested loop ran for 44 minutes).
        analyze(CaseAmountChange, RaiseBackPay)
        _progress(raise_id, 1, 1, "updating")

        jobs.stage("updated")  # every UPDATE ran; the status and the commit follow

        locked.status = RaiseStatus.APPLIED
        locked.applied_at = timezone.now()
        locked.applied_by = acting_user
        locked.apply_task_id = task_id
        locked.last_error = ""
        locked.cases_changed = result.cases_changed
        locked.monthly_total_before = result.total_before
        locked.monthly_total_after = result.total_after
        locked.back_pay_total = result.back_pay_total
        locked.save()
        transaction.on_commit(lambda: _progress(raise_id, 1, 1, "applied"))
    return result


def raise_record_failure(*, raise_id: int, message: str) -> None:
    """Keep the reason an apply failed on the raise (in its own transaction, after the apply rolled back)."""
    Raise.objects.filter(pk=raise_id).exclude(status=RaiseStatus.APPLIED).update(last_error=message[:2000])
    _progress(raise_id, 0, 0, "failed")


def due_raise_ids(*, today: dt.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(
        Raise.objects.filter(status=RaiseStatus.APPROVED, effective_from__lte=today)
        .order_by("effective_from", "id")
        .values_list("id", flat=True)
    )
