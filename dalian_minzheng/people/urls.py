from django.urls import path

from dalian_minzheng.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/id-number/", views.person_reveal_id, name="person_reveal_id"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/members/add/", views.household_add_member, name="household_add_member"),
    path("members/<int:pk>/leave/", views.household_member_leave, name="household_member_leave"),
]
