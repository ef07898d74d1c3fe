"""Load every app's reference data (divisions, programmes, standards …). Idempotent: safe on every start."""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load reference data of every app that has a reference.load() (idempotent)."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.reference")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.reference":
                    raise
                continue
            with transaction.atomic():
                result = module.load()
            self.stdout.write(f"{config.label}: {result}")
