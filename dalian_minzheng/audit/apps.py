from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "dalian_minzheng.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        post_migrate.connect(_after_migrate, dispatch_uid="audit.plan_statement_triggers")


def _after_migrate(sender, using="default", **kwargs):
    from dalian_minzheng.audit.tracking import plan_statement_triggers_for_any_size

    plan_statement_triggers_for_any_size(using)
