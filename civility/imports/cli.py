"""`civility import {disqus,wordpress,isso,coral,civility} FILE --site SLUG`: bring comments
over from another platform's export, or from Civility's own (`civility export`).

The file is checked whole first (a broken, truncated or hostile file is refused in one line,
exit status 2, nothing written), then imported in short batches while the site keeps serving.
Re-running the command is safe: it resumes an interrupted run, and on a newer export updates
what changed. Progress goes to stderr (a bar on a terminal), the summary to stdout."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import IO, Any

from civility.cli import setup_django

FORMATS = ("disqus", "wordpress", "isso", "coral", "civility")
MAX_SHOWN_WARNINGS = 20


class TerminalProgress:
    """A progress bar on a terminal; a line every 10% otherwise (logs)."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self.drawn = 0.0
        self.next_step = 10
        self.shown = 0
        self.label = ""
        self.open_line = False

    def scanned(self, result: Any, threads: int) -> None:
        self.started = time.monotonic()
        line = f"{self.label}: {result.total:,} comments in {threads:,} threads"
        if result.resumed_from:
            line += f"; resuming import #{result.run_id} at comment {result.resumed_from:,}"
        print(line, file=self.out, flush=True)

    def advanced(self, result: Any) -> None:
        now = time.monotonic()
        total = max(result.total, 1)
        done = min(result.position, result.total)
        percent = 100 * done // total
        rate = (done - result.resumed_from) / max(now - self.started, 1e-6)
        if self.tty:
            if now - self.drawn < 0.2 and done < result.total:
                return
            self.drawn = now
            left = (result.total - done) / rate if rate > 0 else 0
            bar = "#" * (percent * 30 // 100)
            self.out.write(
                f"\r[{bar:<30}] {percent:3d}%  {done:,}/{result.total:,}  {rate:,.0f}/s"
                f"  ETA {int(left) // 60}m{int(left) % 60:02d}s "
            )
            self.out.flush()
            self.open_line = True
        elif percent >= self.next_step:
            self.next_step = (percent // 10 + 1) * 10
            print(f"{percent}%: {done:,} of {result.total:,} comments, {rate:,.0f}/s",
                  file=self.out, flush=True)  # fmt: skip

    def warn(self, message: str) -> None:
        self.shown += 1
        if self.shown > MAX_SHOWN_WARNINGS:
            return
        self.end_line()
        if self.shown == MAX_SHOWN_WARNINGS:
            message += " (further warnings: see the summary and the run's record)"
        print(f"warning: {message}", file=self.out, flush=True)

    def end_line(self) -> None:
        if self.open_line:
            self.out.write("\n")
            self.open_line = False


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in sorted(counter.items(), key=lambda i: -i[1]))


def summary(result: Any, label: str) -> str:
    lines = [
        f"imported {result.created:,} comments into {result.stories_created:,} new stories"
        f" ({result.users_created:,} new authors); updated {result.updated:,},"
        f" unchanged {result.unchanged:,}, skipped {result.comments_skipped:,}"
    ]
    if result.changes:
        lines.append(f"  updated: {_counts(result.changes)}")
    if result.skipped:
        lines.append(f"  skipped: {_counts(result.skipped)}")
    if result.top_level:
        lines.append(f"  replies stored at the top level: {_counts(result.top_level)}")
    if result.not_in_file:
        lines.append(
            f"  {result.not_in_file:,} comments imported earlier from {label} are not in this"
            " file (left as they are)"
        )
    if result.batches:
        lines.append(
            f"  {result.batches:,} batches; the longest write transaction took"
            f" {result.longest_write:.2f} s"
        )
    shown = result.warnings[:MAX_SHOWN_WARNINGS]
    if len(result.warnings) > len(shown):
        lines.append(f"  {len(result.warnings)} warnings; the first {len(shown)}:")
    lines += [f"  warning: {w}" for w in shown]
    return "\n".join(lines)


def import_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="civility import", description=__doc__)
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument(
        "file",
        help="the export: Disqus or WordPress XML (.gz too), Isso's comments.db, a folder or"
        " .zip of Coral's stories/comments/users (.csv or .json), Civility's .jsonl(.gz)",
    )
    parser.add_argument("--site", required=True, help="slug of the site to import into")
    parser.add_argument(
        "--base-url",
        default="",
        help="Isso: the site's address, for threads Isso names by path (default: the site's"
        " one allowed origin)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="comments per transaction")
    parser.add_argument(
        "--restart", action="store_true", help="start over instead of resuming an interrupted run"
    )
    args = parser.parse_args(argv)

    setup_django()
    from civility.comments.models import Site
    from civility.imports.actions import (
        BATCH_SIZE,
        ImportInterrupted,
        ImportRefused,
        import_comments,
    )
    from civility.imports.civility_jsonl import CivilitySource
    from civility.imports.coral import CoralSource
    from civility.imports.isso import IssoSource
    from civility.imports.parsers import DisqusSource, ImportFormatError, Source, WordPressSource

    def fail(message: str) -> int:
        print(f"civility import: {message}", file=sys.stderr)
        return 2

    site = Site.objects.filter(slug=args.site).first()
    if site is None:
        return fail(f"no site with slug {args.site!r}")
    progress = TerminalProgress()
    source: Source | None = None

    def terminated(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # a service manager's stop: end like Ctrl-C, resumable

    signal.signal(signal.SIGTERM, terminated)
    try:
        if args.format == "isso":
            base = args.base_url
            origins = [o for o in site.allowed_origins or [] if o != "*"]
            if not base and len(origins) == 1:
                base = origins[0]
            source = IssoSource(args.file, base)
        else:
            classes: dict[str, type[Source]] = {
                "disqus": DisqusSource,
                "wordpress": WordPressSource,
                "coral": CoralSource,
                "civility": CivilitySource,
            }
            source = classes[args.format](args.file)
        progress.label = f"{source.label} export {args.file}"
        result = import_comments(
            site=site,
            source=source,
            batch_size=args.batch_size or BATCH_SIZE,
            progress=progress,
            restart=args.restart,
        )
    except ImportInterrupted as stop:
        progress.end_line()
        r = stop.result
        print(
            f"civility import: interrupted after {r.position:,} of {r.total:,} comments"
            f" (import #{r.run_id}); run the same command again to resume",
            file=sys.stderr,
        )
        print(summary(r, source.label if source else args.format))
        return 130
    except KeyboardInterrupt:  # before the first batch
        progress.end_line()
        print("civility import: interrupted; nothing was imported", file=sys.stderr)
        return 130
    except ImportRefused as exc:
        progress.end_line()
        return fail(f"{args.file}: {exc}")
    except ImportFormatError as exc:
        progress.end_line()
        if getattr(exc, "partial", False):
            return fail(f"{args.file}: {exc}")
        return fail(f"{args.file}: {exc}; nothing was imported")
    progress.end_line()
    print(summary(result, source.label))
    return 0
