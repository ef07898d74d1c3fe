from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpreadsheetsConfig(AppConfig):
    name = "dalian_minzheng.spreadsheets"
    label = "spreadsheets"
    verbose_name = _("Spreadsheet imports and exports")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from dalian_minzheng.spreadsheets import exports, kinds  # noqa: F401  (register the built-in kinds)

        # Other apps register their import kinds in `<app>/spreadsheet_kinds.py` and export kinds in
        # `<app>/spreadsheet_exports.py` (see registry.py and exports.py).
        autodiscover_modules("spreadsheet_kinds")
        autodiscover_modules("spreadsheet_exports")
