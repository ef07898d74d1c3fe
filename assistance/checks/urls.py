from django.urls import path

from assistance.checks import views

app_name = "checks"
urlpatterns = [
    path("", views.index, name="index"),
    path("application/<int:pk>/", views.application_check, name="application"),
    path("application/<int:pk>/run/", views.application_run, name="application_run"),
    path("authorisation/<int:pk>/scan/", views.authorisation_scan, name="authorisation_scan"),
    path("finding/<int:pk>/", views.finding_detail, name="finding"),
    path("run/<int:pk>/", views.run_detail, name="run"),
    path("run/<int:pk>/resume/", views.run_resume, name="run_resume"),
    path("recheck/", views.recheck_start, name="recheck"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/item/<int:pk>/", views.item_edit, name="item_edit"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("report/", views.report, name="report"),
    path("report/export/", views.report_export, name="report_export"),
    path("api/deliveries/", views.api_deliveries, name="api_deliveries"),
]
