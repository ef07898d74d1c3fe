from django.urls import path

from social_orgs import views

app_name = "social_orgs"
urlpatterns = [path("", views.index, name="index")]
