"""Django admin for site staff, word rules, notes (editable) and the audit log (read-only)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civility.moderation.models import AuditEntry, SiteMembership, UserNote, WordRule


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")
    search_fields = ("user__username", "site__name")


@admin.register(WordRule)
class WordRuleAdmin(admin.ModelAdmin):
    list_display = ("phrase", "action", "site", "created_at")
    list_filter = ("site", "action")
    search_fields = ("phrase",)


@admin.register(UserNote)
class UserNoteAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "author", "created_at")
    readonly_fields = ("created_at",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log is append-only: visible here, never editable or deletable."""

    list_display = (
        "created_at",
        "site",
        "actor",
        "action",
        "comment",
        "target_user",
        "before",
        "after",
    )
    list_filter = ("site", "action")
    search_fields = ("action", "reason", "actor__username", "target_user__username")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
