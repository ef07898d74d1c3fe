from django.urls import path

from eldercare import views

app_name = "eldercare"
urlpatterns = [
    path("", views.index, name="index"),
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/new/", views.facility_create, name="facility_create"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility_detail"),
    path("facilities/<int:pk>/edit/", views.facility_edit, name="facility_edit"),
    path("facilities/<int:pk>/file/", views.facility_file, name="facility_file"),
    path("facilities/<int:pk>/inspect/", views.inspection_create, name="inspection_create"),
    path("facilities/<int:pk>/rating/", views.rating_apply, name="rating_apply"),
    path("facilities/<int:pk>/admit/", views.resident_admit, name="resident_admit"),
    path("facilities/<int:pk>/services/", views.service_create, name="service_create"),
    path("facilities/<int:pk>/renovations/", views.renovation_create, name="renovation_create"),
    path("facilities/<int:pk>/construction-subsidy/", views.construction_subsidy_create, name="construction_subsidy"),
    path("facilities/<int:pk>/renovations/advance/", views.renovation_advance, name="renovation_advance"),
    path("services/", views.service_volumes, name="service_volumes"),
    path("planning/", views.planning, name="planning"),
    path("hazards/", views.hazard_list, name="hazard_list"),
    path("hazards/<int:pk>/rectify/", views.hazard_rectify, name="hazard_rectify"),
    path("hazards/<int:pk>/reinspect/", views.hazard_reinspect, name="hazard_reinspect"),
    path("hazards/<int:pk>/evidence/<str:which>/", views.hazard_evidence, name="hazard_evidence"),
    path("ratings/", views.rating_list, name="rating_list"),
    path("ratings/<int:pk>/", views.rating_detail, name="rating_detail"),
    path("ratings/<int:pk>/scores/", views.rating_scores, name="rating_scores"),
    path("ratings/<int:pk>/committee/", views.rating_committee, name="rating_committee"),
    path("ratings/<int:pk>/objection/", views.rating_objection, name="rating_objection"),
    path("ratings/<int:pk>/finalize/", views.rating_finalize, name="rating_finalize"),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/assess/", views.resident_assess, name="resident_assess"),
    path("residents/<int:pk>/leave/", views.resident_leave, name="resident_leave"),
    path("subsidies/", views.subsidy_list_index, name="subsidy_lists"),
    path("subsidies/<int:pk>/", views.subsidy_list_detail, name="subsidy_list_detail"),
    path("subsidies/<int:pk>/xlsx/", views.subsidy_list_xlsx, name="subsidy_list_xlsx"),
]
