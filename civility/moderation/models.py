from django.conf import settings
from django.db import models


class SiteMembership(models.Model):
    """Per-site staff role: a moderator of site A sees and touches nothing of site B."""

    class Role(models.TextChoices):
        MODERATOR = "moderator", "Moderator"
        ADMIN = "admin", "Admin"

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MODERATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "user"], name="unique_site_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} of {self.site})"


class WordRule(models.Model):
    """A banned (reject) or suspect (hold) word or phrase for one site."""

    class Action(models.TextChoices):
        REJECT = "reject", "Banned: reject"
        HOLD = "hold", "Suspect: hold for review"

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="word_rules")
    phrase = models.CharField(max_length=200)
    action = models.CharField(max_length=8, choices=Action.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "phrase"], name="unique_word_rule")]

    def __str__(self) -> str:
        return f"{self.phrase} ({self.action})"


class AuditEntry(models.Model):
    """Append-only record of every state change: who, what, when, before/after, why."""

    site = models.ForeignKey(
        "comments.Site", null=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_actions",
    )  # None = the system (decision pipeline)
    # Not indexed: every query on it also names the comment, the site or the user (indexed,
    # and far more selective), and a prefix match (`startswith`) cannot use a plain index on
    # PostgreSQL; an index is pages written on every post (its entry is one of a post's rows).
    action = models.CharField(max_length=40)
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_subject",
    )
    before = models.CharField(max_length=40, blank=True)
    after = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class UserNote(models.Model):
    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"note on {self.user}"


class SiteBan(models.Model):
    """A ban (until is None) or suspension (until set) of one user on one site.

    Site moderators ban here, so a ban on site A never touches site B. User.banned and
    User.suspended_until remain the platform-wide switches, for platform admins only.
    """

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_bans"
    )
    until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "user"], name="unique_site_ban")]

    def __str__(self) -> str:
        return f"{'ban' if self.until is None else 'suspension'} of user {self.user_id}"


class RescoreRun(models.Model):
    """One `civility rescore`: a site's comments (or every site's, or those since a date) scored
    again with the model of the time. It changes no comment; moderators read what it found."""

    site = models.ForeignKey(
        "comments.Site", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(null=True, blank=True)
    model_version = models.CharField(max_length=100, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"re-score {self.pk} ({self.model_version})"


class CommentRescore(models.Model):
    """A comment's scores before and after one re-score, with both model versions, and whether
    the new model would hold it. Unscored (scored_at empty) until its task has run."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="results")
    comment = models.ForeignKey("comments.Comment", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10)  # the comment's status when the run started
    old_version = models.CharField(max_length=100, blank=True)
    old_scores = models.JSONField(default=dict, blank=True)
    new_version = models.CharField(max_length=100, blank=True)
    new_scores = models.JSONField(default=dict, blank=True)
    would_hold = models.BooleanField(default=False)
    reasons = models.JSONField(default=list, blank=True)  # the votes the new model would cast
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "comment"], name="unique_rescore_comment")
        ]
        indexes = [models.Index(fields=["run", "would_hold", "status"])]

    def __str__(self) -> str:
        return f"comment {self.comment_id} in re-score {self.run_id}"


class Statement(models.Model):
    """A statement of reasons (EU DSA Art. 17): written, in the same transaction, for every
    rejection, every ban or suspension, and every hold that outlasts the site's hold time.
    Stored as it was said: a later change of the site's guidelines does not rewrite it."""

    class Decision(models.TextChoices):
        REMOVAL = "removal", "Removal of the comment"
        VISIBILITY = "visibility_restriction", "Restriction of visibility (held for review)"
        SUSPENSION = "account_suspension", "Suspension of the account"

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="statements")
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statements",
    )
    # Whom the decision is about (the author, or the banned account).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="statements"
    )
    decision = models.CharField(max_length=24, choices=Decision.choices)
    # For an account: until when (None with an account decision: indefinitely, a ban).
    until = models.DateTimeField(null=True, blank=True)
    # The facts: the text as it stood and the spans that were flagged ({start, end, label}).
    text = models.TextField(blank=True)
    spans = models.JSONField(default=list, blank=True)
    facts = models.TextField(blank=True)  # what happened, in a sentence
    ground = models.CharField(max_length=40)  # a code of civility.verdicts.GROUND_GUIDELINES
    guideline = models.TextField()  # the site's sentence for that code, when decided
    explanation = models.TextField(blank=True)  # the moderator's own words, if any
    automated_detection = models.BooleanField()
    automated_decision = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )  # None: the automatic moderation
    redress = models.TextField()
    appeal_until = models.DateTimeField(null=True, blank=True)  # None: not open to appeal
    # When the content was posted (or the account acted on): for the time to decision.
    subject_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set when the moderator undid the decision (the desk's undo): it was never in force, so it
    # is not appealable, not mailed and not counted in the transparency report.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["site", "created_at"])]
        constraints = [
            # The hold sweep writes a comment's visibility statement once.
            models.UniqueConstraint(
                fields=["comment"],
                condition=models.Q(decision="visibility_restriction"),
                name="one_hold_statement_per_comment",
            )
        ]

    def __str__(self) -> str:
        return f"statement {self.pk} ({self.decision}, {self.ground})"


class Appeal(models.Model):
    """An author's complaint against a decision (EU DSA Art. 20), decided by a person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Decision upheld"
        REVERSED = "reversed", "Decision reversed"

    statement = models.OneToOneField(Statement, on_delete=models.CASCADE, related_name="appeal")
    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="appeals")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="appeals"
    )
    text = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["site", "status", "created_at"])]

    def __str__(self) -> str:
        return f"appeal {self.pk} ({self.status})"
