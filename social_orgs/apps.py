from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_rules(sender, **kwargs) -> None:
    # The defaults come with migration 0002; seeding again after every migrate (and after a test flush, which
    # emits post_migrate) keeps a rule table from ever being empty. Idempotent: a rule with a version is left alone.
    from social_orgs import reference

    reference.load()


class SocialOrgsConfig(AppConfig):
    name = "social_orgs"
    verbose_name = _("Social organisations")

    def ready(self) -> None:
        post_migrate.connect(_seed_rules, sender=self, dispatch_uid="social_orgs_seed_rules")
