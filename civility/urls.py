from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("civility.accounts.urls")),
    path("", include("civility.comments.urls")),
    path("", include("civility.moderation.urls")),
    path("", include("civility.moderation.dsa_urls")),  # appeals, transparency, guidelines
    path("", include("civility.api.urls")),
    path("", include("civility.perspective.urls")),
    path("", include("civility.imports.urls")),
    path("", include("civility.ops.urls")),  # /healthz, /readyz, /metrics
]

# JSON errors under the API paths, Django's pages elsewhere (civility/errors.py).
handler400 = "civility.errors.bad_request"
handler403 = "civility.errors.permission_denied"
handler404 = "civility.errors.not_found"
handler500 = "civility.errors.server_error"
