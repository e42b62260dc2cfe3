"""The desk's EU Digital Services Act pages (civility/moderation/dsa_views.py) and their assets."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.static import serve

from civility.moderation import dsa_views

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^moderate/assets/(?P<path>dsa\.css)$",
        serve,
        {"document_root": settings.BASE_DIR / "static" / "civility"},
        name="moderation-dsa-assets",
    ),
    path("moderate/<slug:slug>/appeals/", dsa_views.appeals_page, name="moderation-appeals"),
    path(
        "moderate/<slug:slug>/transparency/",
        dsa_views.transparency_page,
        name="moderation-transparency",
    ),
    re_path(
        r"^moderate/(?P<slug>[-a-zA-Z0-9_]+)/statements\.(?P<fmt>json|csv)$",
        dsa_views.statements_export,
        name="moderation-statements",
    ),
    path(
        "moderate/<slug:slug>/guidelines/", dsa_views.guidelines_page, name="moderation-guidelines"
    ),
    path(
        "moderate/<slug:slug>/api/campaigns",
        dsa_views.campaigns_api,
        name="moderation-api-campaigns",
    ),
]
