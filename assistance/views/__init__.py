"""Thin views: parse the request, call a selector or a service, render. Every view declares its policy (`@access`).

Modules: common (shared helpers), applications (dashboard, list, intake, detail, visit, overdue), actions (one POST
view per workflow step), cases (cases and reviews), standards (standards, bands, working days), rosters.
"""

from assistance.views.actions import (
    STEPS,
    application_action,
    application_approve,
    application_documents,
    application_extend,
    application_first_review,
    application_notice,
    application_objection,
    application_refusal_notice,
    application_refuse,
    application_resolve,
    application_submit,
    application_withdraw,
)
from assistance.views.applications import (
    application_create,
    application_detail,
    application_list,
    application_visit,
    index,
    overdue,
)
from assistance.views.cases import case_detail, case_list, review_detail, review_list
from assistance.views.common import DeferredJoinPaginator
from assistance.views.rosters import (
    roster_detail,
    roster_export,
    roster_list,
    roster_reconciliation,
    roster_reconciliation_export,
)
from assistance.views.standards import standard_list, workday_list

__all__ = [
    "STEPS",
    "DeferredJoinPaginator",
    "application_action",
    "application_approve",
    "application_create",
    "application_detail",
    "application_documents",
    "application_extend",
    "application_first_review",
    "application_list",
    "application_notice",
    "application_objection",
    "application_refusal_notice",
    "application_refuse",
    "application_resolve",
    "application_submit",
    "application_visit",
    "application_withdraw",
    "case_detail",
    "case_list",
    "index",
    "overdue",
    "review_detail",
    "review_list",
    "roster_detail",
    "roster_export",
    "roster_list",
    "roster_reconciliation",
    "roster_reconciliation_export",
    "standard_list",
    "workday_list",
]
