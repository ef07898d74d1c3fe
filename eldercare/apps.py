from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EldercareConfig(AppConfig):
    name = "eldercare"
    verbose_name = _("Eldercare services")

    def ready(self) -> None:
        from dalian_minzheng.people.services import register_death_handler
        from eldercare.services import residents_end_for_deaths

        # a death recorded anywhere (funeral register, an imported death list, an eldercare home) ends the residence
        register_death_handler(residents_end_for_deaths)
