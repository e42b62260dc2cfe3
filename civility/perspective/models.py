"""API keys, their daily usage counts, moderators' score suggestions, per-site calibrations and
the log mode's stored Perspective answers.

Analyze requests store no text: only a per-key, per-day, per-method counter is kept. The one
exception is log mode (`civility perspective log`, off by default), which keeps the text and
Perspective's scores of the requests it forwards, for the publisher's retention period.
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
    # The site whose Perspective calibration (SiteCalibration) this key's analyze answers use.
    site = models.ForeignKey(
        "comments.Site",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_keys",
    )
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


class SiteCalibration(models.Model):
    """A site's own Perspective calibration, fitted on Perspective scores the publisher logged
    (`civility perspective calibrate --from FILE --install`). Used by comments:analyze for keys
    of that site, for attributes where it agreed at least as well as the global calibration."""

    site = models.OneToOneField(
        "comments.Site", on_delete=models.CASCADE, related_name="perspective_calibration"
    )
    model_version = models.CharField(max_length=100)  # the model whose scores it maps
    # {ATTR: {"x": [our score...], "y": [Perspective's score...]}}: the attributes it serves.
    knots = models.JSONField(default=dict)
    thresholds = models.JSONField(default=dict)  # {ATTR: the publisher's threshold}
    report = models.JSONField(default=dict)  # the held-out figures (no comment text)
    source = models.CharField(max_length=500, blank=True)  # file name and sha256
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"calibration of site {self.site_id} ({', '.join(self.knots) or 'global only'})"


class LoggedScore(models.Model):
    """One comments:analyze answer Perspective gave through log mode: text and summary scores,
    kept for the site's calibration and purged after settings.PERSPECTIVE_LOG_RETENTION_DAYS."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The Civility key the request came with (when log mode substitutes the upstream key).
    key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="logged")
    text = models.TextField()
    languages = models.JSONField(default=list, blank=True)  # requested, else detected
    scores = models.JSONField(default=dict)  # {ATTRIBUTE: summaryScore.value}

    def __str__(self) -> str:
        return f"logged score {self.pk} ({', '.join(self.scores)})"
