from django.urls import path

from funeral import views

app_name = "funeral"
urlpatterns = [path("", views.index, name="index")]
