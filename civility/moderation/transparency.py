"""The transparency report (EU Digital Services Act, Art. 15 and 24) of one site for a period:
what was decided, on which ground, whether automated means detected it and decided it, the
readers' reports received, the appeals received and reversed, and the median time to decision.

Counted from the stored statements of reasons and appeals (each written in the same
transaction as the audit entry of its decision, so the two agree: tests/moderation/
test_dsa.py checks it). Decisions undone from the desk (their statements withdrawn in the
undo's transaction) are not counted. Exported as JSON and CSV from the desk.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from civility.comments.models import Report, Site
from civility.errors import Refused
from civility.moderation.models import Appeal, Statement
from civility.verdicts import GROUND_LABELS

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


def period(start: str | None, end: str | None) -> tuple[date, date]:
    """The report's days, first and last included: ?from=YYYY-MM-DD&to=YYYY-MM-DD, by default
    the last DEFAULT_DAYS days up to today."""
    today = timezone.localdate()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise Refused("bad_date", "Dates are YYYY-MM-DD.") from None
    if first > last:
        raise Refused("bad_period", "The period starts after it ends.")
    if (last - first).days >= MAX_DAYS:
        raise Refused("bad_period", f"A report covers at most {MAX_DAYS} days.")
    return first, last


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def _median_hours(deltas: list[timedelta]) -> float | None:
    if not deltas:
        return None
    return round(statistics.median(d.total_seconds() for d in deltas) / 3600, 3)


def _who(automated: bool) -> str:
    return "automated" if automated else "person"


def report(site: Site, first: date, last: date) -> dict[str, Any]:
    start, end = bounds(first, last)
    # A decision the moderator undid (the desk's undo) never took effect: not counted.
    statements = Statement.objects.filter(
        site=site, created_at__gte=start, created_at__lt=end, withdrawn_at__isnull=True
    )
    by_decision = {d: 0 for d in Statement.Decision.values}
    by_ground: dict[str, dict[str, int]] = {}
    by_automation: dict[str, int] = {
        f"detected_{d}_decided_{c}": 0
        for d in ("automated", "person")
        for c in ("automated", "person")
    }
    waits: dict[str, list[timedelta]] = {"automated": [], "person": []}
    rows = statements.values_list(
        "decision",
        "ground",
        "automated_detection",
        "automated_decision",
        "subject_at",
        "created_at",
    )
    for decision, ground, auto_detect, auto_decide, subject_at, created_at in rows:
        by_decision[decision] += 1
        cell = by_ground.setdefault(ground, {d: 0 for d in Statement.Decision.values})
        cell[decision] += 1
        by_automation[f"detected_{_who(auto_detect)}_decided_{_who(auto_decide)}"] += 1
        # Time to decision: from posting to removal (a hold's statement is written after a set
        # time by design, and an account has no posting time).
        if decision == Statement.Decision.REMOVAL and subject_at is not None:
            waits[_who(auto_decide)].append(max(created_at - subject_at, timedelta(0)))
    received = Appeal.objects.filter(site=site, created_at__gte=start, created_at__lt=end)
    decided = Appeal.objects.filter(site=site, decided_at__gte=start, decided_at__lt=end)
    decided_counts = dict(decided.values_list("status").annotate(n=Count("id")))
    appeal_waits = [
        decided_at - created_at
        for created_at, decided_at in decided.values_list("created_at", "decided_at")
        if decided_at is not None
    ]
    reports = Report.objects.filter(
        comment__story__site=site, created_at__gte=start, created_at__lt=end
    )
    return {
        "site": site.slug,
        "site_name": site.name,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "generated_at": timezone.now().isoformat(),
        "decisions": {"total": sum(by_decision.values()), **by_decision},
        "by_ground": [
            {
                "ground": ground,
                "label": GROUND_LABELS.get(ground, ground),
                **counts,
                "total": sum(counts.values()),
            }
            for ground, counts in sorted(by_ground.items(), key=lambda kv: -sum(kv[1].values()))
        ],
        "by_automation": by_automation,
        "median_hours_to_decision": {
            "removal_automated": _median_hours(waits["automated"]),
            "removal_person": _median_hours(waits["person"]),
            "appeal": _median_hours(appeal_waits),
        },
        "reader_reports": reports.count(),
        # Notices (Art. 15(1)(b)): readers' reports by the reason they gave.
        "reader_reports_by_reason": {
            reason: n
            for reason, n in reports.values_list("reason")
            .annotate(n=Count("id"))
            .order_by("reason")
        },
        "appeals": {
            "received": received.count(),
            "decided": sum(decided_counts.values()),
            "upheld": decided_counts.get(Appeal.Status.UPHELD, 0),
            "reversed": decided_counts.get(Appeal.Status.REVERSED, 0),
            "open_now": Appeal.objects.filter(site=site, status=Appeal.Status.OPEN).count(),
        },
    }


def as_csv(data: dict[str, Any]) -> str:
    """The report as CSV: one row per figure (section, category, measure, value)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["site", data["site"], "from", data["from"], "to", data["to"]])
    w.writerow(["section", "category", "measure", "value"])
    for key, value in data["decisions"].items():
        w.writerow(["decisions", key, "count", value])
    for row in data["by_ground"]:
        for key in (*Statement.Decision.values, "total"):
            w.writerow(["by_ground", row["ground"], key, row[key]])
    for key, value in data["by_automation"].items():
        w.writerow(["by_automation", key, "count", value])
    for key, value in data["median_hours_to_decision"].items():
        w.writerow(["median_hours_to_decision", key, "hours", "" if value is None else value])
    w.writerow(["reader_reports", "all", "count", data["reader_reports"]])
    for key, value in data["reader_reports_by_reason"].items():
        w.writerow(["reader_reports", key, "count", value])
    for key, value in data["appeals"].items():
        w.writerow(["appeals", key, "count", value])
    return out.getvalue()
