"""The matching engine: set-based SQL over one chunk of applications.

For the chunk's applications it takes the current household members who have a current authorisation, joins them
by ID number to the current department records, applies each item's rule (data in checks_dataitem) and upserts one
Finding per (application, member, item). Everything is deterministic in the data, so a chunk re-run after a crash,
or a whole run repeated, writes the same rows; an unchanged finding is not even rewritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection

from assistance.amounts import in_force_sql
from assistance.checks.models import RESOLVED
from assistance.models import CaseStatus, CheckStatus

_RESOLVED_SQL = "(" + ", ".join(f"'{r}'" for r in RESOLVED) + ")"

_STANDARD_IN_FORCE = in_force_sql(
    source="assistance_standard", programme="a.programme_id", district="left(a.division_id, 6)", on="%(today)s"
)

RESULTS_SQL = f"""
CREATE TEMP TABLE checks_chunk_results ON COMMIT DROP AS
WITH apps AS MATERIALIZED (
    SELECT a.id AS application_id, a.household_id, a.division_id,
           GREATEST((SELECT count(*) FROM people_householdmember hm
                     WHERE hm.household_id = a.household_id AND hm.left_on IS NULL), 1) AS household_size,
           std.amount AS standard
    FROM assistance_application a
    -- the programme's basic standard in force today: the district's own, else the city-wide one
    LEFT JOIN LATERAL {_STANDARD_IN_FORCE} std ON TRUE
    WHERE a.id = ANY(%(ids)s::bigint[])
),
members AS (
    -- no check runs for a member without a current signed authorisation
    SELECT ap.application_id, ap.division_id, ap.household_size, ap.standard, m.person_id, p.id_number
    FROM apps ap
    JOIN people_householdmember m ON m.household_id = ap.household_id AND m.left_on IS NULL
    JOIN people_person p ON p.id = m.person_id
    JOIN checks_authorisation au
      ON au.person_id = m.person_id AND au.household_id = ap.household_id AND au.revoked_on IS NULL
),
hits AS (
    SELECT mb.application_id, mb.person_id, mb.division_id, mb.household_size, mb.standard,
           r.id AS record_id, r.item_id, r.value, r.attributes, r.as_of,
           i.rule, i.threshold, i.threshold_months, i.outcome_on_hit, i.exempt_attribute, i.department_id,
           i.counts_as_income, i.marks_employed,
           sum(coalesce(r.value, 0)) OVER (PARTITION BY mb.application_id, r.item_id) AS household_total
    FROM members mb
    JOIN checks_departmentrecord r ON r.id_number = mb.id_number AND r.is_current
    JOIN checks_dataitem i ON i.id = r.item_id AND i.is_active
),
judged AS (
    SELECT h.*,
           CASE WHEN h.rule = 'above' THEN h.threshold
                WHEN h.rule = 'household_months'
                THEN round(h.threshold_months * coalesce(h.standard, h.threshold) * h.household_size, 2)
           END AS limit_applied,
           (h.exempt_attribute <> '' AND h.attributes @> jsonb_build_object(h.exempt_attribute, true)) AS exempt
    FROM hits h
)
SELECT application_id, person_id, item_id, department_id, division_id, record_id, value, as_of, limit_applied,
       CASE WHEN rule = 'household_months' THEN household_total END AS household_total,
       CASE
           WHEN rule = 'info' OR exempt THEN 'compliant'
           WHEN rule = 'any' AND coalesce(value, 1) > 0 THEN outcome_on_hit
           WHEN rule = 'above' AND value > limit_applied THEN outcome_on_hit
           WHEN rule = 'household_months' AND household_total > limit_applied THEN outcome_on_hit
           ELSE 'compliant'
       END AS outcome,
       CASE WHEN counts_as_income AND NOT exempt AND (rule <> 'above' OR value > limit_applied) THEN value
       END AS income_counted,
       (marks_employed AND coalesce(value, 1) > 0) AS employed
FROM judged
"""

UPSERT_SQL = """
WITH up AS (
    INSERT INTO checks_finding AS f (
        application_id, person_id, item_id, department_id, division_id, record_id, outcome, value, household_total,
        limit_applied, income_counted, employed, as_of, resolution, first_run_id, changed_run_id, note, updated_at)
    SELECT application_id, person_id, item_id, department_id, division_id, record_id, outcome, value,
           household_total, limit_applied, income_counted, employed, as_of,
           CASE WHEN outcome = 'compliant' THEN 'not_required' ELSE 'open' END,
           %(run)s, %(run)s, '', now()
    FROM checks_chunk_results
    ORDER BY application_id, person_id, item_id
    ON CONFLICT (application_id, person_id, item_id) DO UPDATE SET
        department_id = EXCLUDED.department_id,
        division_id = EXCLUDED.division_id,
        record_id = EXCLUDED.record_id,
        outcome = EXCLUDED.outcome,
        value = EXCLUDED.value,
        household_total = EXCLUDED.household_total,
        limit_applied = EXCLUDED.limit_applied,
        income_counted = EXCLUDED.income_counted,
        employed = EXCLUDED.employed,
        as_of = EXCLUDED.as_of,
        -- the same evidence keeps the caseworker's resolution; new evidence must be looked at again
        resolution = CASE
            WHEN EXCLUDED.outcome = 'compliant' THEN 'not_required'
            WHEN f.resolution <> 'withdrawn' AND f.outcome = EXCLUDED.outcome AND f.record_id = EXCLUDED.record_id
            THEN f.resolution
            ELSE 'open' END,
        changed_run_id = EXCLUDED.changed_run_id,
        updated_at = now()
    -- an identical result is not rewritten, so a re-run changes nothing
    WHERE (f.record_id, f.outcome, f.value, f.household_total, f.limit_applied, f.income_counted, f.employed,
           f.division_id, f.resolution = 'withdrawn')
          IS DISTINCT FROM
          (EXCLUDED.record_id, EXCLUDED.outcome, EXCLUDED.value, EXCLUDED.household_total, EXCLUDED.limit_applied,
           EXCLUDED.income_counted, EXCLUDED.employed, EXCLUDED.division_id, false)
    RETURNING f.application_id, f.resolution
)
SELECT DISTINCT application_id FROM up WHERE resolution = 'open'
"""

WITHDRAW_SQL = """
UPDATE checks_finding f SET resolution = 'withdrawn', changed_run_id = %(run)s, updated_at = now()
WHERE f.application_id = ANY(%(ids)s::bigint[]) AND f.resolution <> 'withdrawn'
  AND NOT EXISTS (SELECT 1 FROM checks_chunk_results r
                  WHERE r.application_id = f.application_id AND r.person_id = f.person_id AND r.item_id = f.item_id)
"""

COUNTS_SQL = """
SELECT count(*) FILTER (WHERE outcome = 'compliant'),
       count(*) FILTER (WHERE outcome = 'noncompliant'),
       count(*) FILTER (WHERE outcome = 'suspect')
FROM checks_chunk_results
"""

SUMMARY_SQL = f"""
WITH mem AS (
    SELECT a.id, a.division_id, count(m.id) AS total, count(au.id) AS checked,
           coalesce(jsonb_agg(m.person_id ORDER BY m.person_id) FILTER (WHERE au.id IS NULL), '[]'::jsonb) AS missing
    FROM assistance_application a
    JOIN people_householdmember m ON m.household_id = a.household_id AND m.left_on IS NULL
    LEFT JOIN checks_authorisation au
      ON au.person_id = m.person_id AND au.household_id = a.household_id AND au.revoked_on IS NULL
    WHERE a.id = ANY(%(ids)s::bigint[])
    GROUP BY a.id, a.division_id
), unresolved AS (
    SELECT application_id, count(*) AS n FROM checks_finding
    WHERE application_id = ANY(%(ids)s::bigint[]) AND resolution NOT IN {_RESOLVED_SQL}
    GROUP BY application_id
)
INSERT INTO checks_applicationcheck AS c (
    application_id, division_id, last_run_id, members_total, members_checked, missing_person_ids, open_findings,
    checked_at, handoff_status)
SELECT mem.id, mem.division_id, %(run)s, mem.total, mem.checked, mem.missing, coalesce(u.n, 0), now(), ''
FROM mem LEFT JOIN unresolved u ON u.application_id = mem.id
ON CONFLICT (application_id) DO UPDATE SET
    division_id = EXCLUDED.division_id, last_run_id = EXCLUDED.last_run_id,
    members_total = EXCLUDED.members_total, members_checked = EXCLUDED.members_checked,
    missing_person_ids = EXCLUDED.missing_person_ids, open_findings = EXCLUDED.open_findings,
    checked_at = EXCLUDED.checked_at
RETURNING application_id, members_total, members_checked, open_findings
"""

# Which applications casework must hear about: a status that differs from the one it has (read only: casework
# writes it), or new findings on an active case (a review). Marked here, handed over after matching (services).
# The statuses the hand-off derives and the cases it opens reviews for, from the models (no bare strings in SQL).
HANDOFF_STATUSES = {
    "not_started": CheckStatus.NOT_STARTED.value,
    "findings_open": CheckStatus.FINDINGS_OPEN.value,
    "clear": CheckStatus.CLEAR.value,
    "reviewable": [str(s) for s in CaseStatus.REVIEWABLE],
}
HANDOFF_SQL = """
UPDATE checks_applicationcheck c
SET handoff_status = d.handoff_status, review_run_id = d.review_run_id
FROM (
    SELECT a.id,
           CASE WHEN x.derived <> a.check_status OR x.review OR c2.review_run_id IS NOT NULL THEN x.derived ELSE ''
           END AS handoff_status,
           CASE WHEN x.review THEN %(run)s ELSE c2.review_run_id END AS review_run_id
    FROM assistance_application a
    JOIN checks_applicationcheck c2 ON c2.application_id = a.id
    LEFT JOIN assistance_case cs ON cs.application_id = a.id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c2.members_checked < c2.members_total THEN %(not_started)s
                    WHEN c2.open_findings > 0 THEN %(findings_open)s
                    ELSE %(clear)s END AS derived,
               coalesce(a.id = ANY(%(new_open)s::bigint[]) AND cs.status = ANY(%(reviewable)s), false) AS review
    ) x
    WHERE a.id = ANY(%(ids)s::bigint[])
) d
WHERE c.application_id = d.id
  AND (c.handoff_status, c.review_run_id) IS DISTINCT FROM (d.handoff_status, d.review_run_id)
"""


@dataclass
class ChunkResult:
    compliant: int = 0
    noncompliant: int = 0
    suspect: int = 0
    members_checked: int = 0
    members_missing: int = 0
    # application ids whose findings to resolve appeared or re-opened in this chunk
    new_open: set[int] = field(default_factory=set)


def check_chunk(*, run_id: int, application_ids: list[int], today: dt.date) -> ChunkResult:
    """Match one chunk inside the caller's transaction; mark what casework must be told. Returns counts."""
    result = ChunkResult()
    params = {"ids": application_ids, "run": run_id, "today": today}
    with connection.cursor() as cur:
        cur.execute(RESULTS_SQL, params)
        cur.execute(COUNTS_SQL)
        result.compliant, result.noncompliant, result.suspect = cur.fetchone()
        cur.execute(UPSERT_SQL, params)
        result.new_open = {row[0] for row in cur.fetchall()}
        cur.execute(WITHDRAW_SQL, params)
        cur.execute(SUMMARY_SQL, params)
        for _app, total, checked, _open in cur.fetchall():
            result.members_checked += checked
            result.members_missing += total - checked
        cur.execute(HANDOFF_SQL, {**params, **HANDOFF_STATUSES, "new_open": sorted(result.new_open)})
        cur.execute("DROP TABLE checks_chunk_results")
    return result
