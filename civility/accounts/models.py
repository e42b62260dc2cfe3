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
