from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from dalian_minzheng.core import views as core_views
from dalian_minzheng.core.health import healthz

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/img/favicon.svg", permanent=True)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("dalian_minzheng.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("people/", include("dalian_minzheng.people.urls")),
    path("audit/", include("dalian_minzheng.audit.urls")),
    path("rules/", include("dalian_minzheng.core.urls")),
    path("spreadsheets/", include("dalian_minzheng.spreadsheets.urls")),
    path("assistance/", include("assistance.urls")),
    path("assistance/checks/", include("assistance.checks.urls")),
    path("assistance/raises/", include("assistance.raises.urls")),
    path("assistance/petitions/", include("assistance.petitions.urls")),
    path("gongshi/", include("assistance.public.urls")),
    path("eldercare/", include("eldercare.urls")),
    path("social-orgs/", include("social_orgs.urls")),
    path("funeral/", include("funeral.urls")),
]

handler403 = "dalian_minzheng.core.views.permission_denied"
handler404 = "dalian_minzheng.core.views.page_not_found"
handler500 = "dalian_minzheng.core.views.server_error"
