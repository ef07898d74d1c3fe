from django.urls import path

from dalian_minzheng.core.views import home

app_name = "checks"
# Placeholder route so navigation resolves; the issue that builds this app replaces it.
urlpatterns = [path("", home, name="index")]
