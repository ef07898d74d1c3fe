"""Create the runtime database role and grant it what the portal needs (idempotent; bin/migrate runs it)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand

from dalian_minzheng.core import db_roles


class Command(BaseCommand):
    help = (
        "As the owner role: create the runtime role (settings.DB_RUNTIME_ROLE; password from DB_RUNTIME_PASSWORD if "
        "set) and grant it SELECT/INSERT/UPDATE/DELETE, but only SELECT/INSERT on the event tables (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        result = db_roles.setup(
            runtime_role=settings.DB_RUNTIME_ROLE,
            password=os.environ.get("DB_RUNTIME_PASSWORD") or None,
            using=options["database"],
        )
        self.stdout.write(
            "runtime role {runtime} in {database} (owner {owner}): {event_tables} append-only event tables".format(
                **result
            )
        )
