from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("civility.accounts.urls")),
    path("", include("civility.comments.urls")),
    path("", include("civility.moderation.urls")),
    path("", include("civility.api.urls")),
    path("", include("civility.perspective.urls")),
    path("", include("civility.imports.urls")),
]
