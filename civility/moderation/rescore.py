"""`civility rescore`: score a site's comments again with the current model, as background tasks.

After a model upgrade a publisher wants to know what the new model thinks of what is already
published. A run records, for every comment it covers, the old scores and model version, the new
ones, and whether the new model would hold the comment (the votes it would cast with the site's
thresholds). It changes no comment: moderators read the list of *published* comments the new
model would hold (`civility rescore --list`, or the desk's "Re-score" page) and decide.

The work is split into tasks of BATCH comments (one model batch each); a task skips comments
already scored in the run, so running one twice is harmless, and the worker's sweep queues
again the part of a run whose tasks were lost.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from civility.comments.models import Comment, Site
from civility.moderation.models import CommentRescore, RescoreRun
from civility.tasks.base import backlog, durable, enqueue_on_commit
from civility.verdicts import APPROVE

BATCH = 32


def current_model_version() -> str:
    from civility.moderation import scoring

    return str(getattr(scoring.get_scorer(), "version", ""))


def start(
    *, site: Site | None = None, since: datetime | None = None, requested_by: str = ""
) -> RescoreRun:
    """Create a run for the comments chosen and queue its tasks (on commit)."""
    comments = Comment.objects.exclude(status=Comment.Status.DELETED).order_by("id")
    if site is not None:
        comments = comments.filter(story__site=site)
    if since is not None:
        comments = comments.filter(created_at__gte=since)
    with transaction.atomic():
        run = RescoreRun.objects.create(
            site=site, since=since, model_version=current_model_version(), requested_by=requested_by
        )
        rows = [
            CommentRescore(
                run=run,
                comment_id=c.pk,
                status=c.status,
                old_version=str((c.scores or {}).get("version", "")),
                old_scores=(c.scores or {}).get("scores", {}),
            )
            for c in comments.only("id", "status", "scores").iterator(chunk_size=2000)
            # A comment in a language the model does not read was never scored: nor is it now.
            if not (c.scores or {}).get("unscored")
        ]
        CommentRescore.objects.bulk_create(rows, batch_size=1000)
        run.total = len(rows)
        run.save(update_fields=["total"])
        _queue(run)
    return run


def _queue(run: RescoreRun) -> int:
    """Queue a task for every BATCH unscored comments of ``run``; returns how many tasks."""
    ids = list(
        CommentRescore.objects.filter(run=run, scored_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for i in range(0, len(ids), BATCH):
        enqueue_on_commit(rescore_batch, ids[i : i + BATCH])
    return (len(ids) + BATCH - 1) // BATCH


@durable(queue="scoring")
def rescore_batch(rescore_ids: list[int]) -> int:
    """Score these comments with the current model and record what it would decide."""
    from civility.moderation import scoring
    from civility.moderation.model_check import model_votes

    rows = list(
        CommentRescore.objects.filter(pk__in=rescore_ids, scored_at__isnull=True)
        .select_related("comment__story__site")
        .order_by("id")
    )
    if not rows:
        return 0
    scorer = scoring.get_scorer()
    results = scorer.score([r.comment.body for r in rows])
    now = timezone.now()
    for row, result in zip(rows, results, strict=True):
        scored = scoring.as_scored(scorer, result)
        votes = model_votes(row.comment.story.site, scored, row.comment.body)
        row.new_version = scored["version"]
        row.new_scores = scored["scores"]
        row.reasons = [v.as_reason() for v in votes]
        row.would_hold = any(v.action != APPROVE for v in votes)
        row.scored_at = now
    with transaction.atomic():
        CommentRescore.objects.bulk_update(
            rows, ["new_version", "new_scores", "reasons", "would_hold", "scored_at"]
        )
    return len(rows)


_last_sweep: dict[int, Any] = {}


def sweep() -> int:
    """Queue again the unscored part of runs whose tasks should have run long ago."""
    from django.conf import settings

    if backlog("scoring"):
        return 0  # the workers are behind: batches in the queue are not lost
    late = timezone.now() - timedelta(seconds=10 * float(settings.WORKER_LEASE_SECONDS))
    queued = 0
    open_runs = RescoreRun.objects.filter(
        created_at__lt=late, results__scored_at__isnull=True
    ).distinct()
    for run in open_runs[:20]:
        last = _last_sweep.get(run.pk)
        if last is not None and last > late:
            continue
        _last_sweep[run.pk] = timezone.now()
        queued += _queue(run)
    return queued


def would_hold(run: RescoreRun) -> QuerySet[CommentRescore]:
    """The run's comments that are published now and that the new model would hold."""
    return (
        CommentRescore.objects.filter(
            run=run, would_hold=True, comment__status=Comment.Status.APPROVED
        )
        .select_related("comment__story", "comment__author")
        .order_by("comment_id")
    )


def progress(run: RescoreRun) -> tuple[int, int]:
    done = CommentRescore.objects.filter(run=run, scored_at__isnull=False).count()
    return done, run.total


def latest_run(site: Site) -> RescoreRun | None:
    """The newest run covering ``site`` (its own, or one over every site)."""
    from django.db.models import Q

    return RescoreRun.objects.filter(Q(site=site) | Q(site__isnull=True)).first()


def _parse_date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _print_list(run: RescoreRun, out: Any) -> None:
    done, total = progress(run)
    where = run.site.slug if run.site else "every site"
    print(
        f"re-score {run.pk} of {where} with model {run.model_version or '?'}:"
        f" {done} of {total} comments scored",
        file=out,
    )
    rows = list(would_hold(run))
    print(f"{len(rows)} published comment(s) the new model would hold:", file=out)
    for row in rows:
        c = row.comment
        why = "; ".join(
            f"{r.get('attribute', r.get('code'))} {r.get('score', '')}" for r in row.reasons
        )
        text = " ".join(c.body.split())[:80]
        print(f"  comment {c.pk} on story {c.story_id}: {why} | {text}", file=out)


def rescore_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="civility rescore",
        description="Score comments again with the current model (as background tasks run by"
        " `civility worker`), record old and new scores, and list the published comments the"
        " new model would hold. Changes no comment.",
    )
    parser.add_argument("--site", help="the site's slug (default: every site)")
    parser.add_argument("--since", type=_parse_date, help="only comments from this date on")
    parser.add_argument(
        "--list",
        action="store_true",
        help="do not start a run: list what the latest run (or --run) found",
    )
    parser.add_argument("--run", type=int, help="with --list: this run instead of the latest")
    parser.add_argument(
        "--wait", action="store_true", help="run the tasks in this process, then list"
    )
    args = parser.parse_args(argv)  # Django is set up: `civility rescore` (civility/cli.py)
    site = None
    if args.site:
        site = Site.objects.filter(slug=args.site).first()
        if site is None:
            print(f"civility rescore: no site {args.site!r}", file=sys.stderr)
            return 2
    if args.list:
        if args.run:
            run = RescoreRun.objects.filter(pk=args.run).first()
        else:
            run = latest_run(site) if site else RescoreRun.objects.first()
        if run is None:
            print("civility rescore: no re-score run yet", file=sys.stderr)
            return 1
        _print_list(run, sys.stdout)
        return 0
    try:
        who = getpass.getuser()
    except Exception:  # no user name in a container
        who = "cli"
    run = start(site=site, since=args.since, requested_by=f"{who} (command line)")
    tasks = (run.total + BATCH - 1) // BATCH
    print(
        f"re-score {run.pk}: {run.total} comments in {tasks} tasks, model {run.model_version};"
        f" `civility rescore --list --run {run.pk}` shows what it finds",
        flush=True,
    )
    if args.wait:
        from civility.tasks.worker import run_worker

        run_worker(["scoring"], batch=True, handle_signals=False)
        _print_list(run, sys.stdout)
    return 0
