from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Site(models.Model):
    """A publisher's site: where the embed may run and how its comments are moderated."""

    class PreModeration(models.TextChoices):
        ALL = "all", "Hold every comment"
        NEW = "new", "Hold new commenters' first comments"
        NONE = "none", "Publish unless a rule or the model objects"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # Origins allowed to embed the thread, e.g. ["https://news.example"]; "*" allows any.
    allowed_origins = models.JSONField(default=list, blank=True)
    sso_secret = models.CharField(max_length=200, blank=True)
    allow_guests = models.BooleanField(default=False)
    allow_local_accounts = models.BooleanField(default=True)
    premoderation = models.CharField(
        max_length=8, choices=PreModeration.choices, default=PreModeration.NEW
    )
    new_commenter_threshold = models.PositiveIntegerField(default=1)
    max_comment_length = models.PositiveIntegerField(default=5000)
    max_links = models.PositiveIntegerField(default=2)
    edit_window_seconds = models.PositiveIntegerField(default=15 * 60)
    rate_limit_per_minute = models.PositiveIntegerField(default=5)  # per reader
    # Per client address, larger: many readers share one behind NAT or a proxy.
    ip_rate_limit_per_minute = models.PositiveIntegerField(default=60)
    # Free-form settings that do not need a column (model thresholds, etc.).
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Story(models.Model):
    """An article page; created the first time the embed loads on its canonical URL."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="stories")
    url = models.URLField(max_length=1000)
    title = models.CharField(max_length=500, blank=True)
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "url"], name="unique_story_url")]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title or self.url


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        DELETED = "deleted", "Deleted"

    # No index of its own on story or author: the composite indexes below start with each, and
    # every index is pages written per post (a post wrote ~80 KB of WAL with both).
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    # RESTRICT, not CASCADE: deleting a comment or a user must never take other people's replies
    # with it. Readers leave through civility.accounts.data_rights (the account is anonymized and
    # their comments become "[deleted]" placeholders); a story or site still deletes its thread.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.RESTRICT, related_name="comments", db_index=False
    )
    body = models.TextField()  # as written by the reader
    # Indexed digest of the body, so the duplicate check finds an identical earlier comment with
    # one index probe instead of comparing every recent comment of the author (set in save()).
    body_digest = models.CharField(max_length=16, blank=True, default="", editable=False)
    html = models.TextField()  # sanitized rendering, computed once at write time
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    edited = models.BooleanField(default=False)
    featured = models.BooleanField(default=False)
    ip_hash = models.CharField(max_length=64, blank=True)
    # Why the decision pipeline decided what it did: [{"code": ..., "message": ..., ...}].
    moderation_reasons = models.JSONField(default=list, blank=True)
    # Model output: {"version": ..., "scores": {ATTR: p},
    #                "spans": [{start, end, attribute, score}]}.
    scores = models.JSONField(default=dict, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    reaction_count = models.PositiveIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    # Imported comments only: "<site id>:<source>:<the source's own id>" (e.g. "3:disqus:4127"),
    # so a re-run of an import finds what an earlier one wrote (civility.imports). Unique, so
    # one comment of the source is one row per site; NULL for comments written here.
    source_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["story", "status", "created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["author", "story", "body_digest"]),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_digest = body_digest(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_digest"}
        super().save(*args, **kwargs)


def body_digest(body: str) -> str:
    """A short digest of a comment body as stored (stripped), for the duplicate check."""
    return hashlib.blake2b(body.strip().encode(), digest_size=8).hexdigest()


class Reaction(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=16, default="like")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user", "kind"], name="unique_reaction")
        ]

    def __str__(self) -> str:
        return f"{self.kind} on comment {self.comment_id}"


class Report(models.Model):
    class Reason(models.TextChoices):
        ABUSIVE = "abusive", _("Abusive or insulting")
        HATE = "hate", _("Hate speech")
        THREAT = "threat", _("Threat or incitement")
        SPAM = "spam", _("Spam")
        OFF_TOPIC = "off_topic", _("Off topic")
        OTHER = "other", _("Other")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    message = models.CharField(max_length=500, blank=True)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="unique_report")
        ]

    def __str__(self) -> str:
        return f"{self.reason} report on comment {self.comment_id}"
