from django.urls import path

from assistance.petitions import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("dashboard/", views.petition_dashboard, name="dashboard"),
    path("new/", views.petition_create, name="create"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/assign/", views.petition_assign, name="assign"),
    path("<int:pk>/start/", views.petition_start, name="start"),
    path("<int:pk>/resolve/", views.petition_resolve, name="resolve"),
    path("<int:pk>/close/", views.petition_close, name="close"),
]
