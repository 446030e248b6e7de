from django.contrib import admin
from django.urls import include, path

from kaifang.config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("kaifang.accounts.urls")),
    path("files/", include("kaifang.catalog.urls")),
    path("tabular/", include("kaifang.tabular.urls")),
    path("feeds/", include("kaifang.feeds.urls")),
    path("access/", include("kaifang.access.urls")),
    path("privacy/", include("kaifang.privacy.urls")),
    path("inbox/", include("kaifang.notifications.urls")),
    path("workorders/", include("kaifang.operations.urls")),
    path("", include("kaifang.interaction.urls")),
    path("", include("kaifang.search.urls")),
    path("", include("kaifang.scenarios.urls")),
    path("", include("kaifang.portal.urls")),
]

handler400 = "kaifang.portal.views.bad_request"
handler404 = "kaifang.portal.views.not_found"
handler403 = "kaifang.portal.views.forbidden"
