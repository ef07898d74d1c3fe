from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Social assistance")

    def ready(self):
        # The raises sub-app's back pay belongs on every roster, including the ones the monthly task builds.
        from assistance import services

        try:
            from assistance.raises.services import back_pay_apply_to_roster
        except ImportError:
            return
        services.register_roster_hook(back_pay_apply_to_roster)
