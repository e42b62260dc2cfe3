"""The moderation desk by keyboard alone: how long a decision takes and how many keys it needs,
at 1280 px and at 390 px (a phone), in Debian's headless Chromium.

    python bench/desk_keyboard.py [--comments 100] [--port 18751]

Starts `civility serve` (1 worker, SQLite) on a fresh data folder and seeds two stories with
`--comments` comments each through the real decision pipeline (`post_comment`: pre-moderation
holds every one; the model scores each, so the flagged ones carry their reasons and spans). Then,
once per width, a moderator signs in, opens that story's pending queue and decides every comment
with the keyboard only, reading the card the desk has focused:

- a card the model flagged is rejected with the reason the desk preselects: `r`, then `Enter`;
- any other is approved: `a`.

A decision's time runs from its first key to the moment the desk is ready for the next one (the
card has left and the next card has the focus): the desk's own latency (the action's round
trip, rendering), not a person's reading time. It is taken in Python around Playwright's calls
(a few ms of DevTools round trips included; the page is polled every animation frame).
Keystrokes are the keys pressed per decision. Screenshots land in test-output/desk-bench/; the
figures in bench/out/desk_keyboard.json. Not a test: the numbers depend on the machine and its
load, which the script prints with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from services import summary, wait_http  # noqa: E402 - bench/ is not a package

OUT = HERE / "out"
SHOTS = REPO / "test-output" / "desk-bench"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = (1280, 390)
PASSWORD = "bench-desk-password-1"  # a throwaway account in a throwaway data folder

CIVIL = [
    "The bus lane on Main Street has cut my commute by ten minutes, thank you to the council.",
    "I would like to see the survey data before the vote, especially the delivery numbers.",
    "Cyclists and riders both gain from this; the shops worry about parking, which is fair.",
    "Could the city publish the ridership figures for the evening routes as well?",
    "Good reporting. The camera enforcement part deserves its own article.",
    "My mother uses a wheelchair and the new stops are much easier for her to reach.",
    "I disagree with the plan, but the meeting was run fairly and everyone had a say.",
    "The budget section is confusing; how much of it comes from the transit grant?",
]
FLAGGED = [
    "You are a pathetic idiot and everyone on this street knows it.",
    "Shut up, you stupid moron, nobody cares what you think.",
    "I will find you after the meeting and you will regret it.",
    "People like you are vermin and should be driven out of this city.",
    "What a disgusting piece of garbage you are, go away.",
    "The councillors are worthless scum, every last one of them.",
]

# Said around the comment's point, so that no two comments are near-same: the queue's campaign
# view (civility/moderation/campaigns.py) would otherwise group the repeated points as campaigns.
FILLERS = [
    "I read the whole article twice.",
    "My street is two blocks from the new lane.",
    "We moved here in the spring.",
    "The morning traffic has been bad all week.",
    "My neighbour runs the bakery on the corner.",
    "I take the number 12 every day.",
    "The meeting went on until midnight.",
    "Nobody asked the residents of the east side.",
    "The photos in this piece are great.",
    "I drive a delivery van for a living.",
    "This has been debated for three years now.",
    "The survey was only online.",
    "Parking near the station is impossible.",
    "My kids cycle to school on this road.",
    "The report left out the evening numbers.",
    "I used to work at the council.",
    "Trams ran here fifty years ago.",
    "The shops were half empty on Saturday.",
    "It rained during the whole vote.",
    "I emailed my councillor about it.",
]

SEED = """
import json, sys
from civility.cli import setup_django
setup_django()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from civility.accounts.models import User
from civility.comments.actions import post_comment
from civility.comments.models import Site, Story
from civility.moderation.models import SiteMembership
plan = json.load(open(sys.argv[1]))
# Nothing is rejected automatically here: every comment waits in the queue for the moderator.
never_reject = {a: {"reject": None} for a in ("TOXICITY", "SEVERE_TOXICITY", "INSULT",
                "PROFANITY", "THREAT", "IDENTITY_ATTACK", "DEHUMANIZATION")}
site = Site.objects.create(name="Bench News", slug="bench", allowed_origins=["*"],
                           premoderation="all", rate_limit_per_minute=100000,
                           ip_rate_limit_per_minute=100000,
                           settings={"thresholds": never_reject})
moderator = User.objects.create_user("bench-moderator", password=plan["password"])
SiteMembership.objects.create(site=site, user=moderator, role="moderator")
readers = [User.objects.create_user(f"reader{i}", display_name=f"Reader {i}") for i in range(12)]
out = {"stories": [], "flagged": [], "reasons": 0, "spans": 0}
for s, texts in enumerate(plan["stories"]):
    story = Story.objects.create(site=site, url=f"https://news.example/bench-{s}",
                                 title=f"Bus lanes on Main Street, part {s + 1}")
    out["stories"].append(story.pk)
    for i, text in enumerate(texts):
        c = post_comment(story=story, author=readers[i % len(readers)], body=text)
        model = [r for r in c.moderation_reasons if r["code"].startswith("model_")]
        out["reasons"] += len(c.moderation_reasons)
        out["spans"] += len((c.scores or {}).get("spans") or [])
        if model:
            out["flagged"].append(c.pk)
        assert c.status == "pending", (c.pk, c.status, c.moderation_reasons)
print(json.dumps(out))
"""

READY = """([id]) => !document.querySelector(`.mod-card[data-id='${id}']`) &&
  (document.querySelector('.mod-card.mod-focused') || document.querySelector('.mod-empty')) &&
  !document.querySelector('#dialog[open]')"""


def _shingles(text: str) -> set[str]:
    """Words and word pairs, as the campaign view compares texts."""
    words = re.sub(r"[\W\d_]+", " ", text.casefold()).split()
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def plan_texts(n: int, seed: int) -> list[str]:
    """n comment bodies, about one in three making a point from FLAGGED, each among three
    random FILLERS; a text too like one already planned is drawn again, so the campaign view
    (near-same at Jaccard 0.7) groups none of them."""
    rng = random.Random(seed)
    out: list[str] = []
    planned: list[set[str]] = []
    while len(out) < n:
        pool = FLAGGED if rng.random() < 0.35 else CIVIL
        sentences = [*rng.sample(FILLERS, 3), rng.choice(pool)]
        rng.shuffle(sentences)
        text = " ".join(sentences)
        sh = _shingles(text)
        if any(len(sh & other) / len(sh | other) >= 0.5 for other in planned):
            continue
        planned.append(sh)
        out.append(text)
    return out


def moderate(browser: Any, base: str, story_id: int, flagged: set[int], width: int) -> dict:
    """Decide every pending comment of the story by keyboard; per-decision times and keys."""
    ctx = browser.new_context(viewport={"width": width, "height": 844 if width < 800 else 900})
    page = ctx.new_page()
    page.goto(f"{base}/moderate/login/?next=/moderate/bench/%3Fstory%3D{story_id}")
    page.fill("input[name=username]", "bench-moderator")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"**/moderate/bench/?story={story_id}")
    page.locator("body[data-loaded='1'] .mod-card.mod-focused").wait_for()
    page_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"queue-{width}.png"))
    decisions: list[dict[str, Any]] = []
    shot_dialog = True
    while True:
        focused = page.locator(".mod-card.mod-focused")
        if focused.count() == 0:
            break
        cid = int(focused.get_attribute("data-id") or 0)
        reject = cid in flagged
        start = time.perf_counter()
        if reject:
            page.keyboard.press("r")
            page.locator("#dialog[open] input[type=radio]:checked").wait_for()
            ground = page.locator("#dialog input[type=radio]:checked").get_attribute("value")
            if shot_dialog:
                took = time.perf_counter()
                page.screenshot(path=str(SHOTS / f"reject-dialog-{width}.png"))
                shot_dialog = False
                start += time.perf_counter() - took  # the screenshot is not the desk's time
            page.keyboard.press("Enter")
            keys = 2
        else:
            ground = None
            page.keyboard.press("a")
            keys = 1
        page.wait_for_function(READY, arg=[cid], polling="raf")
        ms = (time.perf_counter() - start) * 1000
        decisions.append(
            {
                "id": cid,
                "action": "reject" if reject else "approve",
                "ms": ms,
                "keys": keys,
                "ground": ground,
            }
        )
        if len(decisions) == 1:
            page.screenshot(path=str(SHOTS / f"after-first-{width}.png"))
    page.locator(".mod-empty").wait_for()
    page.screenshot(path=str(SHOTS / f"done-{width}.png"))
    ctx.close()
    approves = [d for d in decisions if d["action"] == "approve"]
    rejects = [d for d in decisions if d["action"] == "reject"]
    return {
        "width": width,
        "page_scroll_width": page_width,
        "decisions": len(decisions),
        "approved": len(approves),
        "rejected": len(rejects),
        "ms_per_decision": summary([d["ms"] for d in decisions]),
        "ms_approve": summary([d["ms"] for d in approves]),
        "ms_reject": summary([d["ms"] for d in rejects]),
        "keys_per_decision": round(statistics.mean(d["keys"] for d in decisions), 2),
        "keys_approve_max": max((d["keys"] for d in approves), default=0),
        "keys_reject_max": max((d["keys"] for d in rejects), default=0),
        "reject_grounds": sorted({d["ground"] for d in rejects if d["ground"]}),
        "samples": decisions,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--comments", type=int, default=100, help="queued comments per width")
    ap.add_argument("--port", type=int, default=18751)
    args = ap.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    if not Path(CHROMIUM).exists():
        print("needs Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} "
        f"{load_before[1]:.2f} {load_before[2]:.2f} (1/5/15 min)"
    )
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="civility-desk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {
            **os.environ,
            "CIVILITY_DATA_DIR": str(tmp / "data"),
            "CIVILITY_SECRET_KEY": "bench-desk-keyboard",
            "CIVILITY_PUBLIC_URL": base,
            "CIVILITY_REDIS_URL": "",
            "PYTHONPATH": str(REPO),
        }
        env.pop("DATABASE_URL", None)
        plan_file = tmp / "plan.json"
        stories = [plan_texts(args.comments, seed) for seed in range(len(WIDTHS))]
        plan_file.write_text(json.dumps({"stories": stories, "password": PASSWORD}))
        t0 = time.perf_counter()
        # Every post waits for its score here, so each comment is seeded with its reasons.
        seed_env = {**env, "CIVILITY_SCORING_DEFER": "0", "CIVILITY_SCORING_TIMEOUT": "60"}
        seeded = subprocess.run(
            [sys.executable, "-c", SEED, str(plan_file)],
            env=seed_env,
            check=True,
            capture_output=True,
            text=True,
        )
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        print(
            f"seeded {len(WIDTHS)} x {args.comments} comments through post_comment in "
            f"{time.perf_counter() - t0:.1f} s: {len(seed['flagged'])} flagged by the model, "
            f"{seed['reasons']} reasons, {seed['spans']} spans"
        )
        log = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [sys.executable, "-m", "civility", "serve", "--bind", f"127.0.0.1:{args.port}"]
            + ["--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        results = []
        try:
            try:
                wait_http(f"{base}/healthz", timeout=240)
            except RuntimeError:
                log.flush()
                print((tmp / "serve.log").read_text()[-3000:], file=sys.stderr)
                raise
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                for width, story_id in zip(WIDTHS, seed["stories"], strict=True):
                    results.append(moderate(browser, base, story_id, set(seed["flagged"]), width))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    load_after = os.getloadavg()
    result = {
        "what": "desk decisions by keyboard alone: latency from first key to the next card "
        "focused, keys per decision",
        "command": shlex.join([sys.executable, *sys.argv]),
        "comments_per_width": args.comments,
        "seed": {k: (len(v) if isinstance(v, list) else v) for k, v in seed.items()},
        "machine": {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_before": load_before,
            "load_after": load_after,
            "chromium": subprocess.run(
                [CHROMIUM, "--version"], capture_output=True, text=True
            ).stdout.strip(),
        },
        "widths": results,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "desk_keyboard.json").write_text(json.dumps(result, indent=2))
    for r in results:
        print(
            f"{r['width']:>4} px: {r['decisions']} decisions ({r['approved']} approved, "
            f"{r['rejected']} rejected), median {r['ms_per_decision']['median']} ms per decision "
            f"(p90 {r['ms_per_decision']['p90']}, approve {r['ms_approve'].get('median')}, "
            f"reject {r['ms_reject'].get('median')}), {r['keys_per_decision']} keys per "
            f"decision (approve {r['keys_approve_max']}, reject at most {r['keys_reject_max']}), "
            f"page {r['page_scroll_width']} px wide, grounds {', '.join(r['reject_grounds'])}"
        )
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"screenshots: {SHOTS.relative_to(REPO)}/, figures: bench/out/desk_keyboard.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
