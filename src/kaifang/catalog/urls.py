from django.urls import path

from kaifang.catalog import views

app_name = "catalog"
urlpatterns = [path("<path:relative>", views.distribution_file, name="distribution_file")]
