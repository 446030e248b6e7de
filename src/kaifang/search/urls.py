from django.urls import path

from kaifang.search import views

app_name = "search"
urlpatterns = [
    path("search/suggest/", views.suggest, name="suggest"),
    path("graph/", views.graph, name="graph"),
    path("staff/search/", views.manage, name="manage"),
    path("staff/search/ranking/", views.ranking, name="ranking"),
]
