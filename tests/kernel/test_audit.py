"""The audit trail: triggers capture ORM, raw SQL and Celery-task changes with their context; nobody can alter or
delete audit rows; the auditor searches and exports the trail."""

import csv
import io
from pathlib import Path

import pghistory
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dalian_minzheng.audit import selectors
from dalian_minzheng.audit.context import audit_context
from dalian_minzheng.audit.models import AccessEvent, AccessKind
from dalian_minzheng.audit.services import record_access
from dalian_minzheng.people.models import Person
from dalian_minzheng.spreadsheets.writers import csv_cell as neutralise
from tests.kernel.factories import make_household, make_person

STREET_ZS = "210202001"
PersonEvent = Person.pgh_event_model


@pytest.mark.django_db
def test_raw_sql_update_is_captured_with_its_context(caseworker):
    person = make_person(STREET_ZS, name="许文", phone="13800000000")
    with audit_context(task="nightly.fix_phones", task_id="t-1", user_id=caseworker.pk, batch=7):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE people_person SET phone = '13999999999' WHERE id = %s", [person.pk])
    event = PersonEvent.objects.filter(pgh_obj_id=person.pk, pgh_label="update").get()
    assert event.phone == "13999999999"
    assert event.pgh_context.metadata == {
        "task": "nightly.fix_phones",
        "task_id": "t-1",
        "user": caseworker.pk,
        "batch": 7,
    }
    # And the before/after is what the auditor sees.
    rows = selectors.search_events(selectors.EventFilter(table="people.Person", user_id=caseworker.pk))
    assert rows[0].diff["phone"] == ["13800000000", "13999999999"]
    assert rows[0].source == "nightly.fix_phones"


@pytest.mark.django_db
def test_set_based_update_of_many_rows_makes_one_event_each(divisions):
    people = [make_person(STREET_ZS, name=f"批量{i}") for i in range(5)]
    Person.objects.filter(pk__in=[p.pk for p in people]).update(hukou_type="rural")
    assert PersonEvent.objects.filter(pgh_label="update", pgh_obj_id__in=[p.pk for p in people]).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_audit_rows_cannot_be_altered_or_deleted(statement, divisions):
    make_person(STREET_ZS)
    record_access(user=None, kind=AccessKind.EXPORT)
    for table in (PersonEvent._meta.db_table, AccessEvent._meta.db_table):
        sql = statement.format(table=table)
        if table == AccessEvent._meta.db_table:
            sql = sql.replace("pgh_label", "kind")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert PersonEvent.objects.exists() and AccessEvent.objects.exists()


@pytest.mark.django_db
def test_request_context_names_user_and_url(client, caseworker):
    person = make_person(STREET_ZS, name="陈红")
    client.force_login(caseworker)
    response = client.post(
        reverse("people:person_edit", args=[person.pk]),
        {
            "id_number": person.id_number,
            "name": "陈红梅",
            "phone": "",
            "hukou_type": "urban",
            "address": "",
            "division": STREET_ZS,
        },
    )
    assert response.status_code == 302
    event = PersonEvent.objects.get(pgh_obj_id=person.pk, pgh_label="update")
    assert event.pgh_context.metadata["user"] == caseworker.pk
    assert event.pgh_context.metadata["url"] == reverse("people:person_edit", args=[person.pk])


@pytest.mark.django_db
def test_auditor_searches_by_person_user_table_and_date(client, auditor, caseworker):
    household = make_household(STREET_ZS, head_name="郑义")
    other = make_person(STREET_ZS, name="旁人")
    with pghistory.context(user=caseworker.pk, url="/test"):
        Person.objects.filter(pk=household.head_id).update(phone="13011112222")
    client.force_login(auditor)
    url = reverse("audit:event_list")
    html = client.get(url, {"person": household.head.id_number}).content.decode()
    assert "13011112222" in html  # the change to the head
    assert str(other.pk) not in [
        row.obj_id
        for row in selectors.search_events(
            selectors.EventFilter(person_ids=(household.head_id,), table="people.Person")
        )
    ]
    by_name = selectors.search_events(selectors.EventFilter(person_ids=selectors.persons_matching("郑义")))
    # Person insert + update, the household (head) and the head's membership all reference the person.
    assert {r.tracked_model._meta.label for r in by_name} == {
        "people.Person",
        "people.Household",
        "people.HouseholdMember",
    }
    by_user = client.get(url, {"user": caseworker.username}).content.decode()
    assert "13011112222" in by_user and "/test" in by_user
    assert client.get(url, {"user": "nobody-such"}).status_code == 200  # a form error, shown
    today = household.created_at.date().isoformat()
    assert client.get(url, {"date_from": today, "date_to": today, "table": "people.Household"}).status_code == 200
    rows = selectors.search_events(selectors.EventFilter(table="people.Household"))
    assert rows and all(r.tracked_model._meta.label == "people.Household" for r in rows)


@pytest.mark.django_db
def test_audit_export_streams_csv_neutralises_formulas_and_is_recorded(client, auditor, make_user):
    evil = make_user("evil", "caseworker", STREET_ZS)
    evil.full_name = '=HYPERLINK("http://x")'
    evil.save()
    person = make_person(STREET_ZS, name="导出")
    with pghistory.context(user=evil.pk, url="/x"):
        Person.objects.filter(pk=person.pk).update(phone="-1")
    client.force_login(auditor)
    response = client.get(reverse("audit:event_export"), {"table": "people.Person"})
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 3  # header, insert, update
    update = rows[1]
    assert update[2] == "update" and update[4] == '\'=HYPERLINK("http://x")'
    assert neutralise("=1+1") == "'=1+1" and neutralise("-3") == "'-3" and neutralise("@x") == "'@x"
    assert neutralise("\tx") == "'\tx" and neutralise("正常") == "正常"
    assert AccessEvent.objects.filter(kind=AccessKind.AUDIT_EXPORT, user=auditor).count() == 1


@pytest.mark.django_db
def test_caseworker_cannot_reach_the_audit_pages(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("audit:event_list")).status_code == 403
    assert client.get(reverse("audit:event_export")).status_code == 403


@pytest.mark.django_db
def test_admin_cannot_change_or_delete_audit_records(client, divisions):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "r@example.invalid", None)
    event = record_access(user=root, kind=AccessKind.EXPORT)
    client.force_login(root)
    change = reverse("admin:audit_accessevent_change", args=[event.pk])
    assert client.post(change, {"kind": "reveal_id"}).status_code == 403
    assert client.post(reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AccessEvent.objects.get(pk=event.pk).kind == AccessKind.EXPORT


@pytest.mark.django_db
def test_audit_page_query_count_is_constant(client, auditor):
    client.force_login(auditor)
    url = reverse("audit:event_list")
    for _ in range(5):
        make_person(STREET_ZS)
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"table": "people.Person"})
    for _ in range(45):
        make_person(STREET_ZS)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"table": "people.Person"})
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_celery_task_changes_carry_task_and_user(celery_worker_process, divisions, caseworker):
    from dalian_minzheng.people.tasks import person_mark_deceased

    person = make_person(STREET_ZS, name="林老")
    celery_worker_process()
    result = person_mark_deceased.delay(person.pk, acting_user_id=caseworker.pk)
    assert result.get(timeout=60) is True
    event = PersonEvent.objects.get(pgh_obj_id=person.pk, pgh_label="update")
    assert event.is_deceased is True
    meta = event.pgh_context.metadata
    assert meta["task"] == "people.person_mark_deceased"
    assert meta["task_id"] == result.id
    assert meta["user"] == caseworker.pk
    # Idempotent: a second run changes nothing.
    assert person_mark_deceased.delay(person.pk, acting_user_id=caseworker.pk).get(timeout=60) is False
    assert PersonEvent.objects.filter(pgh_obj_id=person.pk, pgh_label="update").count() == 1


@pytest.mark.django_db
def test_every_event_column_the_person_search_filters_on_is_indexed():
    """The auditor's "every event of this person" filters each event table on its columns pointing at a person;
    event tables otherwise index only pgh_obj and pgh_context, so these must have their own index."""
    from django.db import connection

    from dalian_minzheng.audit.selectors import _person_columns, event_models

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"
        )
        leading = set(cursor.fetchall())
    searched = {(m._meta.db_table, c) for m in event_models().values() for c in _person_columns(m)}
    assert len(searched) >= 7  # person, household head, member, applicant, income item, authorisation, petitioner
    assert searched <= leading, searched - leading


@pytest.mark.django_db
def test_statement_trigger_joins_old_and_new_rows_by_hash_even_after_a_one_row_update(divisions):
    """A statement-level UPDATE trigger is planned once per connection; planned after a one-row update, its old/new
    join used to be a nested loop that compared every row with every row on the next bulk update (46 s for 10,000
    persons). The plan of the trigger's query on the bulk update is read with auto_explain."""
    if not _auto_explain_available():
        pytest.skip(
            "this PostgreSQL has no auto_explain (the embedded pgserver build); the trigger functions' "
            "settings are checked by the next test"
        )

    people = [make_person("210202001", name=f"批量{i}") for i in range(300)]
    Person.objects.filter(pk=people[0].pk).update(name="单独")  # the first call of the trigger: one row
    plans: list[str] = []
    raw = connection.connection
    raw.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        for setting, value in [
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_level", "notice"),
            ("client_min_messages", "notice"),
        ]:
            cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
        cursor.execute("UPDATE people_person SET phone = '13900000000' WHERE id = ANY(%s)", [[p.pk for p in people]])
    trigger_plans = [p for p in plans if "people_personevent" in p and "old_values" in p]
    assert trigger_plans, plans
    assert "Hash Join" in trigger_plans[-1] and "Nested Loop Join Filter" not in trigger_plans[-1], trigger_plans[-1]
    assert Person.objects.filter(phone="13900000000").count() == 300


def _auto_explain_available() -> bool:
    """auto_explain is a loadable module, not an extension: look for its library (the server runs on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
        libdir = cursor.fetchone()[0]
    return any(Path(libdir, f"auto_explain{suffix}").exists() for suffix in (".so", ".dylib"))


@pytest.mark.django_db
def test_statement_update_triggers_plan_without_nested_loops():
    """The setting behind the hash join above: every statement-level UPDATE trigger function turns nested loops (and
    JIT) off for its own queries."""
    from dalian_minzheng.audit.tracking import statement_update_trigger_functions

    functions = statement_update_trigger_functions()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, proconfig FROM pg_proc WHERE proname = ANY(%s)", [functions])
        settings = dict(cursor.fetchall())
    assert len(settings) == len(functions) >= 6  # person, household, member, case …
    assert all(set(config) >= {"enable_nestloop=off", "jit=off"} for config in settings.values()), settings
