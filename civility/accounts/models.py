from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


def current_language() -> str:
    """The language of the request that creates an account (the widget's, when a reader signs
    up): their first e-mail is written in it. Outside a request, none ("": the default)."""
    from django.conf import settings
    from django.utils import translation

    language = translation.get_language() or ""
    return language if language in dict(settings.LANGUAGES) else ""


class User(AbstractUser):
    """A reader, moderator or admin. SSO users are keyed by (sso_site, sso_id)."""

    class Role(models.TextChoices):
        COMMENTER = "commenter", "Commenter"
        MODERATOR = "moderator", "Moderator"
        ADMIN = "admin", "Admin"

    display_name = models.CharField(max_length=80, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COMMENTER)
    # Site-wide ban and temporary suspension; checked by the decision pipeline on every post.
    banned = models.BooleanField(default=False)
    banned_reason = models.CharField(max_length=500, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    is_guest = models.BooleanField(default=False)
    sso_site = models.ForeignKey(
        "comments.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="sso_users"
    )
    sso_id = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(blank=True)
    badges = models.JSONField(default=list, blank=True)
    # When the reader proved the address is theirs (a link mailed to it); SSO addresses are the
    # publisher's word and count as verified. Notifications go only to verified addresses.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Notification e-mail is opt-in (civility.accounts.notifications), at most one message per
    # NOTIFY_EVERY_MINUTES: last_notified_at is when the last one went.
    notify_replies = models.BooleanField(default=False)
    notify_moderation = models.BooleanField(default=False)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    # The language the reader last used the widget in (civility.accounts.actions.
    # remember_language): e-mails to them are written in it. "" = the site's default.
    language = models.CharField(max_length=16, blank=True, default=current_language)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sso_site", "sso_id"],
                condition=~models.Q(sso_id=""),
                name="unique_sso_identity",
            )
        ]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    def is_suspended(self, now=None) -> bool:
        now = now or timezone.now()
        return self.suspended_until is not None and self.suspended_until > now


class UsedSsoToken(models.Model):
    """A publisher's sign-on token already used (by its ``jti``), kept until the token expires,
    so the same token cannot sign anyone in twice (civility.accounts.actions.sso_login)."""

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="+")
    jti_digest = models.CharField(max_length=64)  # SHA-256 of the jti: any length, fixed size
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "jti_digest"], name="unique_sso_jti")
        ]

    def __str__(self) -> str:
        return f"used sign-on token {self.jti_digest[:12]}"


class RevokedToken(models.Model):
    """A widget bearer token signed out before it expired (civility.accounts.tokens), by the
    SHA-256 of the token; kept until the token would have expired anyway."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"revoked token {self.digest[:12]}"


class Notification(models.Model):
    """Something to tell a reader who opted in, waiting for (or included in) their next e-mail."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        FEATURED = "featured", "Featured"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The reply (kind reply) or the reader's own comment (a moderator's decision).
    comment = models.ForeignKey("comments.Comment", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)  # a rejection's reason, as shown
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "sent_at"]), models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"{self.kind} notification for {self.user_id} ({self.comment_id})"
