from django.urls import path

from kaifang.portal import cdo, views
from kaifang.portal.workbench import QUEUES

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("progress/", views.progress, name="progress"),
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/<str:slug>/", views.dataset_detail, name="dataset"),
    path("organizations/<str:uscc>/", views.organization, name="organization"),
    path("cdo-pilots/", cdo.cdo_pilots, name="cdo_pilots"),
    path("staff/organizations/<str:uscc>/cdo/", cdo.cdo_maintain, name="cdo_maintain"),
    path("regions/<str:code>/", views.region, name="region"),
    path("services/", views.services_catalog, name="services"),
    path("services/<str:slug>/", views.service_detail, name="service"),
    path("developer/", views.section, {"name": "developer"}, name="developer"),
    path("index/", views.section, {"name": "index"}, name="index"),
    path("me/", views.me, name="me"),
    path("workbench/", views.after_login, name="workbench"),
    path("staff/", views.staff_dashboard, name="staff"),
    path("staff/audit/", views.audit, name="audit"),
    path("staff/audit/timeline/", views.audit_timeline, name="audit_timeline"),
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
# Each queue's full list at its own literal address (no path parameter to validate).
urlpatterns += [
    path(
        f"{'me' if spec.section == 'me' else 'staff'}/queues/{name.replace('_', '-')}/",
        views.workbench_queue,
        {"queue": name},
        name=f"queue_{name}",
    )
    for name, spec in QUEUES.items()
]
