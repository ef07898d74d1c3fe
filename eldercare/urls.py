from django.urls import path

from eldercare import views

app_name = "eldercare"
urlpatterns = [path("", views.index, name="index")]
