from django.conf import settings
from django.urls import URLPattern, URLResolver, path
from django.views.static import serve

from civility.comments import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("embed.js", views.embed_js, name="embed-js"),
    path("count.js", views.count_js, name="count-js"),
    path("embed/thread", views.embed_thread, name="embed-thread"),
    path("embed/i18n/<str:lang>.js", views.widget_catalog, name="widget-catalog"),
    path("demo/article/", views.demo_article, name="demo-article"),
    path("demo/article/<slug:slug>/", views.demo_article, name="demo-article-site"),
    # The widget's own script and styles, served by Django so one process is the whole product
    # (outside STATIC_URL, which collectstatic/static handlers may own).
    path(
        "embed/assets/<path:path>",
        serve,
        {"document_root": settings.BASE_DIR / "static" / "civility"},
    ),
]
