"""A site's settings and staff on the desk, for that site's admins only: thin views over
civility.moderation.site_settings and civility.moderation.members. Plain forms (each section
posts its own ``op``) that work without script; settings.js adds the thresholds' live preview
from the JSON endpoint below. Moderators get the "not allowed" page, staff of other sites too.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from civility.comments.models import Site
from civility.errors import Refused
from civility.moderation import members, second_factor, site_settings
from civility.moderation.actions import actor_name
from civility.moderation.model_check import LANGUAGE_POLICIES, unsupported_language_policy
from civility.moderation.models import AuditEntry, WordRule
from civility.moderation.views import _forbidden_page, staff_api, staff_page

# What each audited change is called on the pages' "Changes" lists.
CHANGE_WORDS = {
    "site.settings": "changed publishing rules or thresholds",
    "site.word_rule.added": "added word rules",
    "site.word_rule.changed": "changed a word rule",
    "site.word_rule.deleted": "deleted a word rule",
    "site.access": "changed embedding and sign-in",
    "site.sso_enabled": "turned single sign-on on",
    "site.sso_rotated": "rotated the SSO secret (the old one was revoked)",
    "site.sso_disabled": "turned single sign-on off",
    "site.member.added": "added",
    "site.member.invited": "invited",
    "site.member.role": "changed the role of",
    "site.member.removed": "removed",
}


def _changes(site: Site, prefix: str) -> list[dict[str, Any]]:
    rows = (
        AuditEntry.objects.filter(site=site, action__startswith=prefix)
        .select_related("actor", "target_user")
        .order_by("-created_at", "-id")[:50]
    )
    out = []
    for e in rows:
        rule = (e.data or {}).get("after") or (e.data or {}).get("before")
        rules = (e.data or {}).get("rules")
        detail = ""
        if e.action.startswith("site.word_rule") and isinstance(rule, list):
            detail = f"“{rule[0]}” ({rule[1]})"
        elif rules:
            detail = ", ".join(f"“{p}” ({a})" for p, a in rules)
        elif e.action.startswith("site.member"):
            who = e.target_user.get_username() if e.target_user else "an account"
            detail = f"{who} ({' → '.join(r for r in (e.before, e.after) if r)})"
        out.append(
            {
                "at": e.created_at,
                "actor": actor_name(e.actor),
                "what": CHANGE_WORDS.get(e.action, e.action),
                "detail": detail or e.reason,
            }
        )
    return out


def _admin_only(role: str, request: HttpRequest, what: str) -> HttpResponse | None:
    if role == "admin":
        return None
    return _forbidden_page(request, f"Only this site's admins can {what}.")


def _settings_post(request: HttpRequest, site: Site, context: dict[str, Any]) -> str:
    """Do what the posted section asks; returns what to tell the admin."""
    data, user = request.POST, request.user
    op = data.get("op", "")
    if op == "":  # one form with everything (the page before sections; scripts posting it)
        site_settings.update_settings(user, site, data)
        return "Saved."
    if op == "publishing":
        site_settings.update_publishing(user, site, data)
        return "Publishing rules saved."
    if op == "thresholds":
        site_settings.update_thresholds(user, site, data)
        return "Thresholds saved."
    if op == "thresholds_reset":
        site_settings.reset_thresholds(user, site)
        return "Thresholds reset to the model's defaults."
    if op == "rule_add":
        added = site_settings.add_word_rules(
            user, site, data.get("new_phrases", ""), data.get("new_action", "hold")
        )
        return f"{len(added)} word rule{'' if len(added) == 1 else 's'} added."
    if op == "rule_edit":
        rule = site_settings.edit_word_rule(
            user, site, data.get("rule"), data.get("phrase"), data.get("action")
        )
        return f"Word rule “{rule.phrase}” saved."
    if op == "rule_delete":
        site_settings.delete_word_rule(user, site, data.get("rule"))
        return "Word rule deleted."
    if op == "rule_test":
        context["sentence"] = site_settings.check_sentence(site, data.get("sentence", ""))
        return ""
    if op == "access":
        site_settings.update_access(user, site, data)
        return "Embedding and sign-in saved."
    if op == "sso_rotate":
        context["new_sso_secret"] = site_settings.rotate_sso_secret(user, site)
        return "New SSO secret made; the old one no longer signs anyone in."
    if op == "sso_disable":
        site_settings.disable_sso(user, site)
        return "Single sign-on is off."
    raise Refused("bad_op", "Unknown operation.")


@never_cache
@require_http_methods(["GET", "POST"])
@staff_page
def settings_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    refused = _admin_only(role, request, "change its rules")
    if refused is not None:
        return refused
    errors: list[str] = []
    notice = ""
    status = 200
    context: dict[str, Any] = {}
    if request.method == "POST":
        try:
            notice = _settings_post(request, site, context)
        except Refused as exc:
            errors.append(exc.message)
            status = exc.status if exc.status >= 400 else 400
        site.refresh_from_db()
    preview_url = reverse("moderation-api-settings-preview", args=[site.slug])
    return render(
        request,
        "moderation/settings.html",
        {
            **context,
            "site": site,
            "role": role,
            "errors": errors,
            "notice": notice,
            "saved": bool(notice) and not errors,
            "rules": WordRule.objects.filter(site=site).order_by("action", "phrase"),
            "rule_actions": WordRule.Action.choices,
            "thresholds": site_settings.threshold_rows(site),
            "require_staff_2fa": second_factor.site_requires(site),
            "premoderation_choices": Site.PreModeration.choices,
            "language_policies": LANGUAGE_POLICIES.items(),
            "unsupported_language": unsupported_language_policy(site),
            "origins_text": "\n".join(site.allowed_origins or []),
            "edit_window_minutes": site.edit_window_seconds // 60,
            "preview": {"url": preview_url, "size": site_settings.PREVIEW_SIZE},
            "changes": _changes(site, "site."),
        },
        status=status,
    )


@require_GET
@staff_api
def settings_preview(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    """What thresholds not saved yet would do to the site's newest scored comments."""
    if role != "admin":
        raise Refused("forbidden", "Only this site's admins can change its rules.", 403)
    raw = request.GET.get("size", str(site_settings.PREVIEW_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= site_settings.MAX_PREVIEW_SIZE:
        raise Refused("bad_size", f"size must be 1..{site_settings.MAX_PREVIEW_SIZE}.")
    given = site_settings.parse_thresholds(request.GET)
    result = site_settings.preview_thresholds(site, given, int(raw))
    for bucket in result["examples"].values():
        for example in bucket:
            example["url"] = reverse("moderation-comment", args=[site.slug, example["id"]])
    return JsonResponse(result)


def _members_post(request: HttpRequest, site: Site) -> str:
    data, user = request.POST, request.user
    op = data.get("op", "")
    if op == "add":
        membership, invited = members.invite_member(user, site, data.get("who"), data.get("role"))
        role = membership.get_role_display().lower()
        if invited:
            return f"Invitation mailed to {membership.user.email}: they join as a {role}."
        return f"{membership.user.get_username()} is now a {role}."
    if op == "resend":
        membership = members.resend_invitation(user, site, data.get("user"))
        return f"Invitation mailed again to {membership.user.email}."
    if op == "role":
        membership = members.change_role(user, site, data.get("user"), data.get("role"))
        return f"{membership.user.get_username()} is now a {membership.get_role_display().lower()}."
    if op == "remove":
        members.remove_member(user, site, data.get("user"))
        return "Removed from this site's staff."
    raise Refused("bad_op", "Unknown operation.")


@never_cache
@require_http_methods(["GET", "POST"])
@staff_page
def members_page(request: HttpRequest, site: Site, role: str) -> HttpResponse:
    refused = _admin_only(role, request, "manage its staff")
    if refused is not None:
        return refused
    errors: list[str] = []
    notice = ""
    status = 200
    if request.method == "POST":
        try:
            notice = _members_post(request, site)
        except Refused as exc:
            errors.append(exc.message)
            status = exc.status if exc.status >= 400 else 400
        else:
            from civility.moderation.permissions import can_admin

            if not can_admin(request.user, site):  # they removed or demoted themselves
                return HttpResponseRedirect(reverse("moderation-index"))
    staff = members.members(site)
    for m in staff:
        m.invited = members.invitation_pending(m.user)  # type: ignore[attr-defined]
    return render(
        request,
        "moderation/members.html",
        {
            "site": site,
            "role": role,
            "errors": errors,
            "notice": notice,
            "staff": staff,
            "admins": sum(m.role == "admin" for m in staff),
            "roles": members.ROLES.choices,
            "changes": _changes(site, "site.member."),
        },
        status=status,
    )
