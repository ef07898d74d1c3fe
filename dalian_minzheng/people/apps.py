from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "dalian_minzheng.people"
    label = "people"
    verbose_name = _("Divisions, people and households")
