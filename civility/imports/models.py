from __future__ import annotations

from django.db import models


class ImportRun(models.Model):
    """One `civility import` of one file into one site, and how far it got.

    Each batch of comments is committed together with this row's ``position``, so a run that
    stops (Ctrl-C, a crash, a reboot) resumes where its last batch ended when the same command
    is run again on the same file (recognised by ``fingerprint``)."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        INTERRUPTED = "interrupted", "Interrupted"
        FINISHED = "finished", "Finished"

    site = models.ForeignKey("comments.Site", on_delete=models.CASCADE, related_name="imports")
    source = models.CharField(max_length=16)  # disqus, wordpress, isso, coral, civility
    file_name = models.CharField(max_length=500)
    # SHA-256 over the file's size and its first and last MiB: the same file, not a newer export.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    # Comment records (in file order) all written or skipped: a resumed run starts here.
    position = models.PositiveBigIntegerField(default=0)
    # Comment records read so far (some may wait for a parent further on).
    seen = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)  # the first ones, for the summary
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "source", "fingerprint", "state"])]

    def __str__(self) -> str:
        return f"{self.source} import #{self.pk} into site {self.site_id} ({self.state})"
