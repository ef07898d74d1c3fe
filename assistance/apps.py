from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "assistance"
    verbose_name = _("Social assistance")

    def ready(self):
        from django.core.cache import cache
        from django.db.models.signals import post_delete, post_save

        from assistance import services
        from assistance.models import Programme
        from assistance.selectors import PROGRAMME_CHOICES_KEY, cache_key

        # The list filters cache the programme names; an edit in the admin clears them.
        def forget_programme_choices(**kwargs):
            cache.delete(cache_key(PROGRAMME_CHOICES_KEY))

        post_save.connect(forget_programme_choices, sender=Programme, weak=False)
        post_delete.connect(forget_programme_choices, sender=Programme, weak=False)

        # The raises sub-app's back pay belongs on every roster, including the ones the monthly task builds.
        try:
            from assistance.raises.services import back_pay_apply_to_roster
        except ImportError:
            return
        services.register_roster_hook(back_pay_apply_to_roster)
