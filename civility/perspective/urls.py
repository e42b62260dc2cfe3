from django.urls import URLPattern, URLResolver, path, re_path

from civility.perspective import coral, discovery, views

# Any base path works: Coral appends "/comments:analyze" to an admin-set base URL.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^(?:.*/)?comments:analyze/?$", views.analyze, name="perspective-analyze"),
    re_path(r"^(?:.*/)?comments:suggestscore/?$", views.suggestscore, name="perspective-suggest"),
    # The discovery document official clients build themselves from (Google's path, and an alias).
    re_path(r"^\$discovery/rest/?$", discovery.rest, name="perspective-discovery"),
    path(
        "discovery/v1/apis/commentanalyzer/<str:version>/rest",
        discovery.by_path,
        name="perspective-discovery-path",
    ),
    path("coral/moderate/<slug:site_slug>", coral.moderate, name="coral-moderate"),
]
