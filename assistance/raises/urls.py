from django.urls import path

from assistance.raises import views

app_name = "raises"
urlpatterns = [
    path("", views.raise_list, name="index"),
    path("new/", views.raise_create, name="create"),
    path("<int:pk>/", views.raise_detail, name="detail"),
    path("<int:pk>/edit/", views.raise_edit, name="edit"),
    path("<int:pk>/approve/", views.raise_approve, name="approve"),
    path("<int:pk>/withdraw/", views.raise_withdraw, name="withdraw"),
    path("<int:pk>/apply/", views.raise_apply, name="apply"),
    path("<int:pk>/progress/", views.raise_progress, name="progress"),
    path("<int:pk>/preview/", views.raise_preview, name="preview"),
    path("<int:pk>/preview/acknowledge/", views.raise_acknowledge, name="acknowledge"),
    path("<int:pk>/preview.xlsx", views.raise_preview_export, name="preview_export"),
    path("<int:pk>/report/", views.raise_report, name="report"),
    path("<int:pk>/report.xlsx", views.raise_report_export, name="report_export"),
    path("<int:pk>/notice/", views.raise_notice, name="notice"),
]
