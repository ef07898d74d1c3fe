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
        from assistance.selectors import PROGRAMME_CHOICES_KEY, cache_key, division_options_keys_of
        from dalian_minzheng.people.models import Division

        # The list filters cache the programme names; an edit in the admin clears them.
        def forget_programme_choices(**kwargs):
            cache.delete(cache_key(PROGRAMME_CHOICES_KEY))

        post_save.connect(forget_programme_choices, sender=Programme, weak=False)
        post_delete.connect(forget_programme_choices, sender=Programme, weak=False)

        # … and the division suggestions of the scopes a changed division appears in.
        def forget_division_options(instance, **kwargs):
            cache.delete_many(division_options_keys_of(instance.code))

        post_save.connect(forget_division_options, sender=Division, weak=False)
        post_delete.connect(forget_division_options, sender=Division, weak=False)

        # A death recorded anywhere (funeral register, eldercare, an imported death list) stops the person's benefits.
        from dalian_minzheng.people.services import register_death_handler

        register_death_handler(services.cases_stop_for_deaths)

        # The raises sub-app's back pay belongs on every roster, including the ones the monthly task builds.
        try:
            from assistance.raises.services import back_pay_apply_to_roster
        except ImportError:
            return
        services.register_roster_hook(back_pay_apply_to_roster)
