from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from civility.comments.models import Site

# The events a site's endpoints can subscribe to (an endpoint with no filter gets them all).
EVENT_TYPES = {
    "comment.created": "A comment was posted (whatever the automatic decision: see its status)",
    "comment.approved": "A comment was published by a moderator or by its late score",
    "comment.rejected": "A comment was rejected by a moderator or by its late score",
    "comment.reported": "A reader reported a comment",
    "user.banned": "A commenter was banned or suspended on the site",
    "user.deleted": "A commenter's account was erased (data rights)",
}


class WebhookEndpoint(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, blank=True)  # [] = every event
    # "whsec_" + base64 of random bytes (Standard Webhooks). After a rotation the old secret
    # signs too until previous_secret_until, so receivers can switch without losing events.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.url} ({self.site})"

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events

    def signing_secrets(self, now: Any = None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(models.Model):
    """One event for one endpoint, and its delivery log. Deliveries of one endpoint with the same
    ``order_key`` (one comment, one user) are sent in the order they were written."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        PARKED = "parked", "Failed every try"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(max_length=64, db_index=True)  # webhook-id: same on every retry
    event_type = models.CharField(max_length=40)
    payload = models.TextField()  # the exact body signed and sent
    order_key = models.CharField(max_length=64)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # whose data it is
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_duration_ms = models.IntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["endpoint", "order_key", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id} → {self.endpoint_id} ({self.status})"
