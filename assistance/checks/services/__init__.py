"""Writes of the cross-department check. Keyword-only, permission and state checks inside, one transaction each.

Casework tables are never written here: the application's check status and a case review go through
`assistance.services.application_set_check_status` and `case_open_review` (and their set-based forms
`applications_set_check_status` and `cases_open_reviews`, used by the hand-off phase per chunk).

One module per subject; every public name is re-exported here, so `from assistance.checks import services` keeps
working.
"""

from assistance.checks.services.authorisations import authorisation_record
from assistance.checks.services.catalogue import hash_token, item_update, token_authenticate, token_create, token_revoke
from assistance.checks.services.common import (
    ACTIVE_CASE_STATUSES,
    CASEWORK_ROLES,
    CITY_CODE,
    LOCK_DEPARTMENT,
    LOCK_RUN,
)
from assistance.checks.services.deliveries import (
    MAX_ERRORS,
    CleanRecord,
    DeliveryError,
    clean_records,
    delivery_receive,
    parse_delivery_file,
    payload_digest,
    supersede,
)
from assistance.checks.services.findings import finding_resolve
from assistance.checks.services.runs import (
    HANDOFF_CHUNK,
    check_application,
    recheck_active_cases,
    resume_stalled_runs,
    run_execute,
    run_resume,
)

__all__ = [
    "ACTIVE_CASE_STATUSES",
    "CASEWORK_ROLES",
    "CITY_CODE",
    "HANDOFF_CHUNK",
    "LOCK_DEPARTMENT",
    "LOCK_RUN",
    "MAX_ERRORS",
    "CleanRecord",
    "DeliveryError",
    "authorisation_record",
    "check_application",
    "clean_records",
    "delivery_receive",
    "finding_resolve",
    "hash_token",
    "item_update",
    "parse_delivery_file",
    "payload_digest",
    "recheck_active_cases",
    "resume_stalled_runs",
    "run_execute",
    "run_resume",
    "supersede",
    "token_authenticate",
    "token_create",
    "token_revoke",
]
