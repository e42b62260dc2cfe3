from django.urls import URLPattern, URLResolver, path, re_path

from civility.perspective import coral, views

# Any base path works: Coral appends "/comments:analyze" to an admin-set base URL.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^(?:.*/)?comments:analyze/?$", views.analyze, name="perspective-analyze"),
    re_path(r"^(?:.*/)?comments:suggestscore/?$", views.suggestscore, name="perspective-suggest"),
    path("coral/moderate/<slug:site_slug>", coral.moderate, name="coral-moderate"),
]
