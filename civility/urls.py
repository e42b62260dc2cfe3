from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # First: the widget's requests are most of the traffic, and Django tries patterns in order
    # (each include that fails to match costs a walk through its patterns).
    path("", include("civility.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("civility.accounts.urls")),
    path("", include("civility.comments.urls")),
    path("", include("civility.moderation.urls")),
    path("", include("civility.moderation.dsa_urls")),  # appeals, transparency, guidelines
    path("", include("civility.perspective.urls")),
    path("", include("civility.imports.urls")),
    path("", include("civility.ops.urls")),  # /healthz, /readyz, /metrics
]

# JSON errors under the API paths, Django's pages elsewhere (civility/errors.py).
handler400 = "civility.errors.bad_request"
handler403 = "civility.errors.permission_denied"
handler404 = "civility.errors.not_found"
handler500 = "civility.errors.server_error"
