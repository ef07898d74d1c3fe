"""Writes for social assistance casework, one module per subject; every public name is importable from here
(`from assistance import services; services.application_approve(...)`), so callers need not know the modules.

Every step checks who may act and locks the row it changes, so a double submit or two admins approving at once
gives exactly one state change. Services take ids (`application_id=`, `case_id=` …), keyword-only, with
`acting_user` first among the writer's arguments.

Other apps call: `application_set_check_status` / `applications_set_check_status` (checks), `case_open_review` /
`cases_open_reviews` (checks; the plural forms are the set-based implementation, the single-row forms call them),
`build_roster` (raises extends it through `register_roster_hook`), `case_change_amount`.

Modules: common (limits, role sets, guard, lock, timeline event), applications (intake, visit, first review),
notices (公示), decisions (approve, refuse), cases (amount, stop), reviews (动态管理), handoff (the set-based
interface of the checks), standards (standards, bands, working-day overrides), rosters (payments, bank file).
"""

from assistance.services.applications import (
    REQUIRED_DOCUMENTS,
    application_extend,
    application_first_review,
    application_record_visit,
    application_register,
    application_update_documents,
    application_withdraw,
    asset_warnings,
    household_for_applicant,
    missing_documents_for,
    missing_documents_notice,
    split_staff_names,
)
from assistance.services.cases import case_change_amount, case_stop
from assistance.services.common import (
    CASEWORK_ROLES,
    DAYS_CHECK_START,
    DAYS_DECISION,
    DAYS_REFUSAL_NOTICE,
    DAYS_TOTAL,
    DAYS_TOTAL_EXTENDED,
    DECISION_ROLES,
    NOTICE_DAYS,
    OPEN_STATUSES,
    STANDARD_ROLES,
    add_months,
    calculate_amount,
    current_household_size,
    month_start,
    next_review_due,
)
from assistance.services.deaths import cases_stop_for_deaths, payments_after_death
from assistance.services.decisions import application_approve, application_issue_refusal_notice, application_refuse
from assistance.services.handoff import (
    application_set_check_status,
    applications_set_check_status,
    case_open_review,
    cases_open_reviews,
)
from assistance.services.notices import application_submit, notice_record_objection, notice_start, objection_resolve
from assistance.services.reviews import case_decide_review, reviews_open_due
from assistance.services.rosters import (
    ROSTER_EXPORT_SQL,
    ROSTER_HOOKS,
    ROSTER_INSERT_SQL,
    build_roster,
    district_codes,
    register_roster_hook,
    write_roster_xlsx,
)
from assistance.services.standards import band_create, standard_create, workday_override_set
from dalian_minzheng.spreadsheets.cells import FORMULA_PREFIXES, neutralise  # the one rule, re-exported

__all__ = [
    "cases_stop_for_deaths",
    "payments_after_death",
    "CASEWORK_ROLES",
    "DAYS_CHECK_START",
    "DAYS_DECISION",
    "DAYS_REFUSAL_NOTICE",
    "DAYS_TOTAL",
    "DAYS_TOTAL_EXTENDED",
    "DECISION_ROLES",
    "FORMULA_PREFIXES",
    "NOTICE_DAYS",
    "OPEN_STATUSES",
    "REQUIRED_DOCUMENTS",
    "ROSTER_EXPORT_SQL",
    "ROSTER_HOOKS",
    "ROSTER_INSERT_SQL",
    "STANDARD_ROLES",
    "add_months",
    "application_approve",
    "application_extend",
    "application_first_review",
    "application_issue_refusal_notice",
    "application_record_visit",
    "application_refuse",
    "application_register",
    "application_set_check_status",
    "application_submit",
    "application_update_documents",
    "application_withdraw",
    "applications_set_check_status",
    "asset_warnings",
    "band_create",
    "build_roster",
    "calculate_amount",
    "case_change_amount",
    "case_decide_review",
    "case_open_review",
    "case_stop",
    "cases_open_reviews",
    "current_household_size",
    "district_codes",
    "household_for_applicant",
    "missing_documents_for",
    "missing_documents_notice",
    "month_start",
    "neutralise",
    "next_review_due",
    "notice_record_objection",
    "notice_start",
    "objection_resolve",
    "register_roster_hook",
    "reviews_open_due",
    "split_staff_names",
    "standard_create",
    "workday_override_set",
    "write_roster_xlsx",
]
