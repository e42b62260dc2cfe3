"""`civility demo`: a ready-to-try install in ./civility-data (SQLite, WAL), served on :8000.

Creates (once; re-runs reuse the data) a demo site, a war report with a 31-comment discussion (the
kind of thread Civility exists for: blunt but fine comments next to threats, dehumanization, group
smears, insults and spam), every comment decided by the real pipeline, and a moderator account;
then serves the app.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import secrets
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

HOST, PORT = "127.0.0.1", 8000
URL_FILE = "demo-url"  # in the data folder: the demo's address, for `civility manage createsite`


def seed(base_url: str) -> dict[str, Any]:
    """Create the demo data if missing; return the URLs and the moderator's login."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from civility.comments.actions import STATUS_FOR, configure_site, store_comment
    from civility.comments.models import Comment, Site, Story
    from civility.moderation.models import SiteMembership, WordRule
    from civility.moderation.pipeline import Submission, decide

    data = json.loads((Path(__file__).parent / "thread.json").read_text())
    User = get_user_model()
    cred_path = Path(settings.DATA_DIR) / "demo-moderator.txt"
    site = Site.objects.filter(slug=data["site"]["slug"]).first()
    if site is None:
        with transaction.atomic():
            site = Site.objects.create(
                name=data["site"]["name"],
                slug=data["site"]["slug"],
                allowed_origins=[
                    base_url,
                    f"http://localhost:{PORT}",
                    f"http://127.0.0.1:{PORT}",
                ],
                allow_guests=True,
                premoderation=Site.PreModeration.NONE,
            )
            for phrase, action in data["word_rules"]:
                WordRule.objects.create(site=site, phrase=phrase, action=action)
            password = secrets.token_urlsafe(9)
            mod = User.objects.create_user(
                username="moderator",
                email="moderator@demo.invalid",
                password=password,
                display_name="Demo Moderator",
                role="moderator",
                is_staff=True,
            )
            SiteMembership.objects.create(site=site, user=mod, role="admin")
            cred_path.write_text(f"moderator\n{password}\n")
            cred_path.chmod(0o600)
            story = Story.objects.create(
                site=site, url=base_url + data["story"]["path"], title=data["story"]["title"]
            )
            users = {}
            for name, key in data["users"]:
                users[key] = User.objects.create_user(
                    username=f"demo-{key}", email=f"{key}@demo.invalid", display_name=name
                )
            by_key: dict[str, Comment] = {}
            start = timezone.now() - timedelta(hours=30)
            for i, item in enumerate(data["comments"]):
                parent = by_key.get(item.get("parent", ""))
                author = users[item["by"]]
                # Every comment goes through the real decision pipeline (word rules and the
                # model), as a reader's post would: the demo shows what the engine really does.
                # The demo seed is not subject to rate limits: a dry run of the content checks.
                decision = decide(
                    Submission(site, item["body"], story, author, parent), dry_run=True
                )
                status = STATUS_FOR.get(decision.action, Comment.Status.REJECTED)
                c = store_comment(
                    story=story,
                    parent=parent,
                    author=author,
                    body=item["body"],
                    status=status,
                    reasons=decision.reasons,
                    scores=decision.scores,
                    created_at=start + timedelta(minutes=50 * i),
                    audit_data={"decision": str(decision.action), "reasons": decision.reasons},
                )
                if status == Comment.Status.APPROVED:
                    Comment.objects.filter(pk=c.pk).update(
                        reaction_count=(len(item["body"]) * 7 + i) % 13
                    )
                by_key[item["key"]] = c
    if base_url not in (site.allowed_origins or []):
        # The demo moved (another --port or --url): its own article page must still embed it.
        configure_site(slug=site.slug, origins=[*(site.allowed_origins or []), base_url])
    first = Story.objects.filter(site=site).order_by("id").first()
    login = cred_path.read_text().split() if cred_path.exists() else ["moderator", "(see admin)"]
    return {
        "article": f"{base_url}/demo/article/{site.slug}/",
        "dashboard": f"{base_url}/moderate/{site.slug}/",
        "admin": f"{base_url}/admin/",
        "username": login[0],
        "password": login[1],
        "story": first.url if first else "",
    }


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def port_problem(host: str, port: int) -> str:
    """Why the demo cannot listen on host:port ("" when it can): said before anything is
    printed, so nobody is sent to a login page that another server answers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by a stopped demo is free to take.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another server, or a demo"
                    f" still running?). Stop it, or pick a free port: civility demo --port"
                    f" {port + 1}"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return ""


def demo_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="civility demo", description=__doc__)
    parser.add_argument(
        "--port",
        type=_port,
        default=PORT,
        help=f"port to serve the demo on (default {PORT}); the printed links use it",
    )
    parser.add_argument(
        "--host",
        default=HOST,
        help=f"address to listen on (default {HOST}; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--url",
        help="the address readers use, when it is not http://HOST:PORT (a proxy, another"
        " machine); default CIVILITY_PUBLIC_URL",
    )
    parser.add_argument("--no-serve", action="store_true", help="create the data and exit")
    args = parser.parse_args(argv)
    if not args.no_serve:
        problem = port_problem(args.host, args.port)
        if problem:
            print(f"civility demo: {problem}", file=sys.stderr)
            return 1
    shown_host = HOST if args.host in {"0.0.0.0", "::", ""} else args.host  # noqa: S104
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    if args.url:  # wins over the environment's
        os.environ.update(CIVILITY_PUBLIC_URL=args.url.rstrip("/"))
    os.environ.setdefault("CIVILITY_PUBLIC_URL", f"http://{shown_host}:{args.port}")
    from civility.i18n import compile_catalogs

    compile_catalogs()
    from civility.cli import setup_django

    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from civility.staticfiles import collect_static

    call_command("migrate", verbosity=0, interactive=False)
    collect_static()
    info = seed(settings.PUBLIC_URL)
    # `civility manage createsite` in another shell prints snippets that point here.
    (Path(settings.DATA_DIR) / URL_FILE).write_text(settings.PUBLIC_URL + "\n")
    print(
        f"""
Civility demo ({settings.DATABASES["default"]["NAME"]})

  Start page:             {settings.PUBLIC_URL}/
  Article with comments:  {info["article"]}
  Moderation dashboard:   {info["dashboard"]}
  Django admin:           {info["admin"]}
  API documentation:      {settings.PUBLIC_URL}/api/v1/docs
  Moderator login:        {info["username"]} / {info["password"]}

Readers can sign up, or comment as a guest, from the article page. Ctrl-C stops the server.
""",
        flush=True,
    )
    if args.no_serve:
        return 0
    from civility.serve import after_worker_start, run_gunicorn

    def start_worker(worker: Any = None) -> None:
        # Background tasks (webhooks, late scores) run on a thread of the server process, so the
        # quick start needs no `civility worker` of its own.
        after_worker_start(worker)
        from civility.tasks.worker import start_in_process

        start_in_process()

    # One process with threads: live updates (SSE) fan out in-process without Redis.
    return run_gunicorn(
        f"{args.host}:{args.port}", workers=1, threads=8, extra={"post_worker_init": start_worker}
    )


if __name__ == "__main__":
    sys.exit(demo_main(sys.argv[1:]))
