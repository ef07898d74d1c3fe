from django.urls import path, re_path

from assistance.public import views

app_name = "public_notice"
urlpatterns = [
    path("", views.disclosure_index, name="index"),
    re_path(r"^(?P<code>\d{12})/$", views.community_notice, name="community"),
]
