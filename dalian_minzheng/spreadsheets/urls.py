from django.urls import path

from dalian_minzheng.spreadsheets import views

app_name = "spreadsheets"
urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors_xlsx, name="import_errors_xlsx"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
    path("templates/<str:kind>.xlsx", views.import_template, name="import_template"),
    path("export/", views.export, name="export"),
    path("exports/", views.export_jobs, name="export_jobs"),
    path("exports/download/", views.export_download, name="export_download"),
]
