from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


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
