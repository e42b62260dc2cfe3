"""Django admin for publishers' sites and their stories. Comments are moderated on the desk
(/moderate/), so here they are read-only: every state change must go through an action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from civility.comments.models import Comment, Site, Story


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "premoderation", "allow_guests", "allow_local_accounts")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("title", "url", "site", "closed", "created_at")
    list_filter = ("site", "closed")
    search_fields = ("title", "url")
    readonly_fields = ("closed",)  # closing goes through the moderation desk's audited action


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "story", "author", "status", "created_at")
    list_filter = ("status", "story__site")
    search_fields = ("body",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
