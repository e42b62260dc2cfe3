"""API keys, their daily usage counts, and moderators' score suggestions.

Analyze requests store no text: only a per-key, per-day, per-method counter is kept.
"""

from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    """A Perspective-compatible API key. Only its SHA-256 is stored; the key is shown once."""

    name = models.CharField(max_length=100, unique=True)
    # First characters of the key ("civ_AbCd"), shown in `civility apikey list` to tell keys apart.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    qps = models.PositiveIntegerField(default=1)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ApiKeyUsage(models.Model):
    """How many requests one key made on one (UTC) day, per method; nothing else is kept."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    method = models.CharField(max_length=16)  # "analyze" | "suggestscore"
    requests = models.PositiveIntegerField(default=0)
    over_quota = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "day", "method"], name="unique_key_day_method")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.day} {self.method}: {self.requests}"


class ScoreSuggestion(models.Model):
    """A `comments:suggestscore` call: a moderator's (or platform's) verdict on one text.

    This is labeled data for the next model, so the text is kept (suggestscore has no doNotStore).
    """

    key = models.ForeignKey(
        ApiKey, null=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    text = models.TextField()
    # {ATTR: {"summaryScore": {"value": v, "type": "PROBABILITY"}, "spanScores": [...]}}
    attribute_scores = models.JSONField(default=dict)
    context = models.JSONField(default=dict, blank=True)
    languages = models.JSONField(default=list, blank=True)
    community_id = models.CharField(max_length=500, blank=True)
    client_token = models.CharField(max_length=500, blank=True)
    session_id = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"suggestion {self.pk} ({', '.join(self.attribute_scores)})"
