from django.contrib.auth import views as auth_views
from django.urls import path

from kaifang.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.login_otp, name="login_otp"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("security/", views.security, name="security"),
    path("keys/", views.api_keys, name="api_keys"),
]
