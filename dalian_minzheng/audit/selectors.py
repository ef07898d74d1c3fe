"""Reading the audit trail: pghistory's per-table event tables, searched together.

pghistory's aggregate `Events` model computes every row's diff (a correlated sub-select per event) before it can
sort, which is seconds on a table with 300,000 events. So the search here is two-phase:
  1. one UNION ALL over the event tables selecting only light columns, each branch filtered (person, user, date)
     and cut at `offset + limit` by its primary key, then sorted by time;
  2. for the rows on the page only: the row data and the previous version (for the diff), one query per event
     table present on the page, plus one for the contexts and one for the users.
So a page costs a constant number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache

import pghistory.models
from django.apps import apps
from django.db import connection
from django.db.models import QuerySet

from dalian_minzheng.audit.models import AccessEvent


@dataclass
class AuditRow:
    event_label: str  # the event model, e.g. "people.PersonEvent"
    pgh_id: int
    created_at: dt.datetime
    action: str  # insert / update / delete
    obj_id: str | None
    context_id: str | None
    context: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    diff: dict = field(default_factory=dict)  # field -> [old, new]
    user_label: str = ""

    @property
    def tracked_model(self):
        return event_models()[self.event_label].pgh_tracked_model

    @property
    def table_label(self) -> str:
        return str(self.tracked_model._meta.verbose_name)

    @property
    def action_label(self) -> str:
        from django.utils.translation import gettext as _

        return {"insert": _("created"), "update": _("changed"), "delete": _("deleted")}.get(self.action, self.action)

    @property
    def source(self) -> str:
        """The request URL or the task that made the change."""
        return self.context.get("url") or self.context.get("task") or ""

    @property
    def user_id(self):
        return self.context.get("user")


@cache
def event_models() -> dict[str, type]:
    """Every pghistory event model of the project, by label (other apps' models are picked up automatically)."""
    found = {}
    for model in apps.get_models():
        if issubclass(model, pghistory.models.Event) and getattr(model, "pgh_tracked_model", None) is not None:
            found[model._meta.label] = model
    return dict(sorted(found.items()))


def table_choices() -> list[tuple[str, str]]:
    """(tracked model label, its verbose name) for the search form's table filter."""
    return sorted(
        (
            (m.pgh_tracked_model._meta.label, str(m.pgh_tracked_model._meta.verbose_name))
            for m in event_models().values()
        ),
        key=lambda c: c[0],
    )


def _person_columns(event_model) -> list[str]:
    from dalian_minzheng.people.models import Person

    columns = []
    for f in event_model._meta.fields:
        if f.is_relation and f.related_model is Person:
            columns.append(f.column)
    return columns


@dataclass(frozen=True)
class EventFilter:
    person_ids: tuple[int, ...] | None = None  # None: no person filter; (): a person filter that matched nobody
    user_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    table: str | None = None  # tracked model label, e.g. "people.Person"


def _contexts_of_user(user_id: int) -> list[str]:
    """The contexts (requests, tasks) of one user, looked up once rather than in every branch."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text FROM pghistory_context WHERE metadata->>'user' = %s", [str(user_id)])
        return [r[0] for r in cursor.fetchall()]


def _branches(flt: EventFilter, cut: int) -> tuple[list[str], list]:
    sqls, params = [], []
    user_contexts = _contexts_of_user(flt.user_id) if flt.user_id is not None else None
    for label, model in event_models().items():
        if flt.table and model.pgh_tracked_model._meta.label != flt.table:
            continue
        where, branch_params = [], []
        if flt.person_ids is not None:
            cols = _person_columns(model)
            if not cols or not flt.person_ids:
                continue
            where.append("(" + " OR ".join(f'e."{c}" = ANY(%s)' for c in cols) + ")")
            branch_params += [list(flt.person_ids)] * len(cols)
        if user_contexts is not None:
            if not user_contexts or not hasattr(model, "pgh_context_id"):
                continue
            where.append("e.pgh_context_id = ANY(%s::uuid[])")
            branch_params.append(user_contexts)
        if flt.date_from:
            where.append("e.pgh_created_at >= %s")
            branch_params.append(dt.datetime.combine(flt.date_from, dt.time.min, tzinfo=_tz()))
        if flt.date_to:
            where.append("e.pgh_created_at < %s")
            branch_params.append(dt.datetime.combine(flt.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=_tz()))
        # With a selective filter (person, user) the index on that column must drive the branch; `pgh_id + 0`
        # stops the planner from walking the primary key backwards through the whole table instead.
        order = "e.pgh_id + 0" if (flt.person_ids is not None or user_contexts is not None) else "e.pgh_id"
        has_obj = hasattr(model, "pgh_obj_id")
        has_ctx = hasattr(model, "pgh_context_id")
        sqls.append(
            f"(SELECT %s AS event_label, e.pgh_id, e.pgh_created_at, e.pgh_label, "
            f"{'e.pgh_obj_id::text' if has_obj else 'NULL::text'} AS obj_id, "
            f"{'e.pgh_context_id' if has_ctx else 'NULL::uuid'} AS context_id "
            f'FROM "{model._meta.db_table}" e '
            f"{'WHERE ' + ' AND '.join(where) if where else ''} "
            f"ORDER BY {order} DESC LIMIT {int(cut)})"
        )
        params += [label, *branch_params]
    return sqls, params


def _json(value):
    # Django makes psycopg return json/jsonb as text (so JSONField can decode it); raw cursors must decode it here.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _tz():
    from django.utils import timezone

    return timezone.get_current_timezone()


def search_events(flt: EventFilter, *, offset: int = 0, limit: int = 50, with_details: bool = True) -> list[AuditRow]:
    """Events matching the filter, newest first; `limit + 1` rows are not fetched — callers ask for one more."""
    sqls, params = _branches(flt, offset + limit)
    if not sqls:
        return []
    sql = (
        "SELECT event_label, pgh_id, pgh_created_at, pgh_label, obj_id, context_id FROM ("
        + " UNION ALL ".join(sqls)
        + ") u ORDER BY pgh_created_at DESC, pgh_id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = [
            AuditRow(
                event_label=r[0],
                pgh_id=r[1],
                created_at=r[2],
                action=r[3],
                obj_id=r[4],
                context_id=str(r[5]) if r[5] else None,
            )
            for r in cursor.fetchall()
        ]
    if with_details:
        attach_details(rows)
    return rows


def attach_details(rows: list[AuditRow]) -> None:
    """Fill data, diff, context and user name: one query per event table on the page, one for contexts, one for
    users."""
    by_model: dict[str, list[AuditRow]] = {}
    for row in rows:
        by_model.setdefault(row.event_label, []).append(row)
    models = event_models()
    with connection.cursor() as cursor:
        for label, group in by_model.items():
            model = models[label]
            table = model._meta.db_table
            prev = (
                # `pgh_id + 0` keeps PostgreSQL from walking the primary key backwards through every event of
                # the table (seconds at 300,000 rows); it uses the pgh_obj_id index and sorts the object's few rows.
                f'(SELECT row_to_json(p)::jsonb FROM "{table}" p WHERE p.pgh_obj_id = e.pgh_obj_id '
                "AND p.pgh_id < e.pgh_id ORDER BY p.pgh_id + 0 DESC LIMIT 1)"
                if hasattr(model, "pgh_obj_id")
                else "NULL::jsonb"
            )
            cursor.execute(
                f'SELECT e.pgh_id, row_to_json(e)::jsonb, {prev} FROM "{table}" e WHERE e.pgh_id = ANY(%s)',
                [[r.pgh_id for r in group]],
            )
            found = {pgh_id: (_json(curr), _json(before)) for pgh_id, curr, before in cursor.fetchall()}
            for row in group:
                curr, before = found.get(row.pgh_id, ({}, None))
                row.data = {k: v for k, v in curr.items() if not k.startswith("pgh_")}
                if before and row.action != "insert":
                    row.diff = {
                        k: [before.get(k), v]
                        for k, v in row.data.items()
                        if k in before and before.get(k) != v and k != "updated_at"
                    }
        context_ids = sorted({r.context_id for r in rows if r.context_id})
        contexts: dict[str, dict] = {}
        if context_ids:
            cursor.execute("SELECT id::text, metadata FROM pghistory_context WHERE id = ANY(%s::uuid[])", [context_ids])
            contexts = {cid: _json(meta) or {} for cid, meta in cursor.fetchall()}
    for row in rows:
        row.context = contexts.get(row.context_id, {}) if row.context_id else {}
    user_ids = {r.context.get("user") for r in rows if r.context.get("user") is not None}
    names: dict = {}
    if user_ids:
        from django.contrib.auth import get_user_model

        names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
    for row in rows:
        uid = row.context.get("user")
        if uid is not None:
            row.user_label = names.get(uid, f"#{uid}")
        elif row.context.get("task"):
            row.user_label = f"[{row.context['task']}]"


def recent_events(*, limit: int = 10) -> list[AuditRow]:
    return search_events(EventFilter(), limit=limit)


def recent_access(*, limit: int = 10) -> QuerySet[AccessEvent]:
    return AccessEvent.objects.select_related("user").order_by("-at")[:limit]


def access_events(
    *, user_id: int | None = None, date_from=None, date_to=None, person_ids=None
) -> QuerySet[AccessEvent]:
    qs = AccessEvent.objects.select_related("user").order_by("-at", "-id")
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    if person_ids is not None:
        qs = qs.filter(object_type="people.Person", object_id__in=[str(i) for i in person_ids])
    return qs


def persons_matching(text: str) -> tuple[int, ...]:
    """Person ids for the auditor's "person" filter: a full ID number, else an exact name. Auditors see the whole
    city, so this is deliberately unscoped (only auditors and the city admin reach the audit pages)."""
    from dalian_minzheng.people import idnumbers
    from dalian_minzheng.people.models import Person

    number = idnumbers.normalize(text)
    qs = Person.objects.filter(id_number=number) if len(number) == 18 else Person.objects.filter(name=text.strip())
    return tuple(qs.values_list("id", flat=True)[:1000])
