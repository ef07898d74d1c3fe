from django.urls import path

from assistance import views

app_name = "assistance"
urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/overdue/", views.overdue, name="overdue"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/action/", views.application_action, name="application_action"),
    *(path(f"applications/<int:pk>/{step}/", view, name=f"application_{step}") for step, view in views.STEPS.items()),
    path("applications/<int:pk>/visit/", views.application_visit, name="application_visit"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("standards/", views.standard_list, name="standard_list"),
    path("workdays/", views.workday_list, name="workday_list"),
    path("rosters/", views.roster_list, name="roster_list"),
    path("rosters/reconciliation/", views.roster_reconciliation, name="roster_reconciliation"),
    path("rosters/reconciliation.xlsx", views.roster_reconciliation_export, name="roster_reconciliation_export"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster_detail"),
    path("rosters/<int:pk>/export/", views.roster_export, name="roster_export"),
]
