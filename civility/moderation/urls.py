from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.static import serve

from civility.moderation import data_rights_views, ops_views, settings_views, signin, views

api = "moderate/<slug:slug>/api/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("moderate/", views.index, name="moderation-index"),
    # The desk's own script and styles (no build step), served by Django like the widget's.
    re_path(
        r"^moderate/assets/(?P<path>(?:moderation|settings)\.(?:js|css))$",
        serve,
        {"document_root": settings.BASE_DIR / "static" / "civility"},
        name="moderation-assets",
    ),
    path("moderate/login/", signin.DeskLoginView.as_view(), name="moderation-login"),
    path("moderate/verify/", signin.verify, name="moderation-verify"),
    path("moderate/2fa/", signin.enrol, name="moderation-enrol"),
    path(
        "moderate/logout/",
        auth_views.LogoutView.as_view(next_page="moderation-login"),
        name="moderation-logout",
    ),
    path("moderate/<slug:slug>/", views.queue_page, name="moderation-queue"),
    path(
        "moderate/<slug:slug>/settings/",
        settings_views.settings_page,
        name="moderation-settings",
    ),
    path("moderate/<slug:slug>/members/", settings_views.members_page, name="moderation-members"),
    path(
        "moderate/<slug:slug>/settings/webhooks/",
        ops_views.webhooks_page,
        name="moderation-webhooks",
    ),
    path("moderate/<slug:slug>/rescore/", ops_views.rescore_page, name="moderation-rescore"),
    path(
        "moderate/<slug:slug>/comments/<int:comment_id>/",
        views.comment_page,
        name="moderation-comment",
    ),
    path("moderate/<slug:slug>/users/<int:user_id>/", views.user_page, name="moderation-user"),
    path(
        "moderate/<slug:slug>/users/<int:user_id>/export/",
        data_rights_views.user_export,
        name="moderation-user-export",
    ),
    path(
        "moderate/<slug:slug>/users/<int:user_id>/erase/",
        data_rights_views.user_erase,
        name="moderation-user-erase",
    ),
    path(api + "queue", views.queue_api, name="moderation-api-queue"),
    path(
        api + "settings/preview",
        settings_views.settings_preview,
        name="moderation-api-settings-preview",
    ),
    path(api + "events", views.queue_events, name="moderation-api-events"),
    path(api + "bulk", views.bulk_action, name="moderation-api-bulk"),
    path(api + "undo", views.undo_action, name="moderation-api-undo"),
    path(
        api + "comments/<int:comment_id>/audit",
        views.comment_audit,
        name="moderation-api-comment-audit",
    ),
    path(
        api + "comments/<int:comment_id>/<str:action>",
        views.comment_action,
        name="moderation-api-comment",
    ),
    path(api + "users/<int:user_id>/audit", views.user_audit, name="moderation-api-user-audit"),
    path(api + "users/<int:user_id>/<str:action>", views.user_action, name="moderation-api-user"),
    path(
        api + "stories/<int:story_id>/<str:action>",
        views.story_action,
        name="moderation-api-story",
    ),
]
