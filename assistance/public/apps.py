from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicNoticeConfig(AppConfig):
    name = "assistance.public"
    label = "public_notice"
    verbose_name = _("Public notices and online disclosure")
