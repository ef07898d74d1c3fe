"""Demo data for `make run`: every app's demo.load(), accounts first. Refuses to run in production."""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create demo accounts (one per role) and a small demo data set. Only with DEMO_DATA=true."

    def handle(self, *args, **options):
        if not settings.DEMO_DATA:
            raise CommandError("DEMO_DATA is off: demo accounts are never created in production")
        from dalian_minzheng.accounts import demo as accounts_demo

        with transaction.atomic():
            lines = accounts_demo.load()
        for config in apps.get_app_configs():
            if config.name == "dalian_minzheng.accounts":
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                result = module.load()
            self.stdout.write(f"demo {config.label}: {result}")
        self.stdout.write(self.style.WARNING(f"Demo accounts (password: {accounts_demo.demo_password()}):"))
        for line in lines:
            self.stdout.write("  " + line)
