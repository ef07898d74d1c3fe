"""Print every table's row count and money sums as JSON (compare before a backup and after its restore)."""

import json

from django.core.management.base import BaseCommand
from django.db import connection

from dalian_minzheng.core.totals import database_totals


class Command(BaseCommand):
    help = "Row counts and sums of the numeric (money) columns of every table, as JSON: diff before/after a restore."

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            self.stdout.write(json.dumps(database_totals(cursor), indent=1, sort_keys=True, ensure_ascii=False))
