from django.urls import path

from kaifang.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("progress/", views.progress, name="progress"),
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/<str:slug>/", views.dataset_detail, name="dataset"),
    path("organizations/<str:uscc>/", views.organization, name="organization"),
    path("regions/<str:code>/", views.region, name="region"),
    path("services/", views.services_catalog, name="services"),
    path("services/<str:slug>/", views.service_detail, name="service"),
    path("developer/", views.section, {"name": "developer"}, name="developer"),
    path("index/", views.section, {"name": "index"}, name="index"),
    path("interaction/", views.section, {"name": "interaction"}, name="interaction"),
    path("staff/", views.staff_dashboard, name="staff"),
    path("staff/datasets/new/", views.dataset_new, name="dataset_new"),
    path("staff/datasets/validate/", views.dataset_validate, name="dataset_validate"),
    path("staff/datasets/<str:slug>/edit/", views.dataset_edit, name="dataset_edit"),
    path("staff/datasets/<str:slug>/<str:action>/", views.dataset_action, name="dataset_action"),
    path("staff/review/", views.review_queue, name="review"),
    path("staff/duplicates/<int:pk>/settle/", views.duplicate_settle, name="duplicate_settle"),
    path("staff/responsibilities/", views.responsibilities, name="responsibilities"),
    path(
        "staff/responsibilities/<int:pk>/delete/", views.responsibility_delete, name="responsibility_delete"
    ),
    path("staff/import/", views.catalog_import, name="import"),
]
