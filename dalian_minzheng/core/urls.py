from django.urls import path

from dalian_minzheng.core import rules_views

app_name = "core"

urlpatterns = [
    path("", rules_views.rule_list, name="rule_list"),
    path("<str:label>/", rules_views.rule_table, name="rule_table"),
]
