from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RaisesConfig(AppConfig):
    name = "assistance.raises"
    label = "raises"
    verbose_name = _("Standard raises")
