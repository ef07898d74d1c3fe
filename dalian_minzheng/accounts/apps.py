from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dalian_minzheng.accounts"
    label = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        from dalian_minzheng.accounts import signals  # noqa: F401 - connects the login, failure and logout events

        post_migrate.connect(_sync_city_admin_group, dispatch_uid="accounts.sync_city_admin_group")


def _sync_city_admin_group(sender, using="default", **kwargs):
    """After every migrate, an existing city-admin group gets exactly CITY_ADMIN_PERMISSIONS, so a permission added
    to that list in a release (e.g. editing notice texts) reaches the city admins of an existing installation
    without anyone re-saving their users. post_migrate comes once per app and each app's permissions are created
    by then only for the apps before it, so this runs each time (a few queries) and the last call sees them all."""
    from django.contrib.auth.models import Group

    from dalian_minzheng.accounts.services import CITY_ADMIN_GROUP, city_admin_group

    if Group.objects.using(using).filter(name=CITY_ADMIN_GROUP).exists():
        city_admin_group()
