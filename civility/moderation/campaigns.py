"""The campaign view: the same or nearly the same comment posted from several accounts within a
short window is one card in the queue, and one step approves or rejects all of it.

Near-same is word-shingle Jaccard similarity (words and word pairs) of the text normalized for
case, whitespace, punctuation and digits, at least settings.CAMPAIGN_SIMILARITY. Candidate pairs
come from prefix filtering (two sets that similar must share one of their rarest few
shingles), so a queue of hundreds is grouped in milliseconds without comparing every pair.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from civility.audit import record
from civility.comments.models import Comment, Site
from civility.errors import Refused, whole_numbers
from civility.moderation.permissions import require_moderator

_NOT_WORD = re.compile(r"[\W\d_]+", re.UNICODE)
MAX_CAMPAIGN = 200


def normalize(text: str) -> str:
    """Case, accents' compatibility forms, punctuation, digits and whitespace folded away."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def shingles(text: str) -> frozenset[str]:
    words = normalize(text).split()
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def group(
    comments: list[Comment],
    *,
    similarity: float | None = None,
    window: timedelta | None = None,
    min_accounts: int | None = None,
) -> list[list[Comment]]:
    """Groups of near-same comments (each from at least ``min_accounts`` accounts, linked by
    pairs posted within ``window`` of each other), largest first; the rest are left out."""
    t = settings.CAMPAIGN_SIMILARITY if similarity is None else similarity
    window = window or timedelta(minutes=float(settings.CAMPAIGN_WINDOW_MINUTES))
    min_accounts = min_accounts or int(settings.CAMPAIGN_MIN_ACCOUNTS)
    sets = [shingles(c.body) for c in comments]
    keep = [i for i, s in enumerate(sets) if s]
    freq = Counter(sh for i in keep for sh in sets[i])
    # Prefix filtering: order each set rarest first; sets with Jaccard >= t share an element
    # among the first |s| - ceil(t*|s|) + 1 of each.
    index: dict[str, list[int]] = defaultdict(list)
    parent = list(range(len(comments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in keep:
        ordered = sorted(sets[i], key=lambda sh: (freq[sh], sh))
        prefix = ordered[: len(ordered) - math.ceil(t * len(ordered)) + 1]
        candidates = {j for sh in prefix for j in index[sh]}
        for j in candidates:
            if find(i) == find(j):
                continue
            if abs(comments[i].created_at - comments[j].created_at) > window:
                continue
            if jaccard(sets[i], sets[j]) >= t:
                parent[find(i)] = find(j)
        for sh in prefix:
            index[sh].append(i)
    clusters: dict[int, list[Comment]] = defaultdict(list)
    for i in keep:
        clusters[find(i)].append(comments[i])
    found = [
        sorted(members, key=lambda c: (c.created_at, c.pk))
        for members in clusters.values()
        if len({c.author_id for c in members}) >= min_accounts
    ]
    return sorted(found, key=lambda g: (-len(g), g[0].created_at))


MEMBER_TEXT = 280


def campaign_cards(comments: list[Comment], story_id: int | None = None) -> list[dict[str, Any]]:
    """The queue's campaign cards: which comments, how many accounts, a sample text, and the
    members (for the card's expanded view). ``comments`` is the whole site's queue, since a
    campaign spans stories; with ``story_id`` (a story's queue) only the campaigns with a
    comment on that story are shown, still whole: ``in_story`` says how many are there, and
    acting on the card acts on every story's comments (the card says so)."""
    out = []
    for members in group(comments):
        in_story = sum(1 for c in members if c.story_id == story_id)
        if story_id is not None and not in_story:
            continue
        first, last = members[0], members[-1]
        out.append(
            {
                "ids": [c.pk for c in members],
                "comments": len(members),
                "accounts": len({c.author_id for c in members}),
                "authors": sorted({c.author.public_name for c in members})[:10],
                "sample": first.body[:600],
                "stories": len({c.story_id for c in members}),
                "in_story": in_story if story_id is not None else None,
                "first_at": first.created_at.isoformat(),
                "last_at": last.created_at.isoformat(),
                "statuses": sorted({c.status for c in members}),
                "members": [
                    {
                        "id": c.pk,
                        "author": c.author.public_name,
                        "story_id": c.story_id,
                        "story": c.story.title or c.story.url,
                        "created_at": c.created_at.isoformat(),
                        "status": c.status,
                        "text": c.body[:MEMBER_TEXT],
                    }
                    for c in members
                ],
            }
        )
    return out


def moderate_campaign(
    actor: Any,
    site: Site,
    comment_ids: Any,
    action: str,
    reason: str = "",
    ground: str | None = None,
) -> dict[int, dict[str, Any]]:
    """Approve or reject every comment of a campaign in one step and one transaction: each
    comment gets its own decision audit entry (and, rejected, its own statement of reasons),
    and the campaign one entry naming them all. Comments already so, or deleted, are skipped."""
    from civility.moderation import actions, dsa

    require_moderator(actor, site)
    if action not in {"approve", "reject"}:
        raise Refused("bad_action", 'The action must be "approve" or "reject".')
    if not isinstance(comment_ids, list) or len(comment_ids) < 2:
        raise Refused("bad_ids", "A campaign is a list of at least two comment ids.")
    if len(comment_ids) > MAX_CAMPAIGN:
        raise Refused("too_many", f"At most {MAX_CAMPAIGN} comments at once.")
    ids = sorted(set(whole_numbers(comment_ids, "bad_ids", "Comment ids must be numbers.")))
    if action == "reject":
        reason = actions._clean_reason(reason, required=True)
        ground = dsa.clean_ground(ground, fallback="spam")
    target = Comment.Status.APPROVED if action == "approve" else Comment.Status.REJECTED
    results: dict[int, dict[str, Any]] = {}
    with transaction.atomic():
        rows = list(
            Comment.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, story__site=site)
            .order_by("pk")
            .values_list("pk", "status", "author_id")
        )
        if len(rows) != len(ids):
            raise Refused("not_found", "Some of these comments are not on this site.", 404)
        accounts = len({author for _, _, author in rows})
        facts = (
            f"A moderator removed the comment as part of a coordinated campaign: {len(rows)}"
            f" near-identical comments from {accounts} accounts, grouped by our automatic"
            " check."
        )
        done = []
        for pk, status, _ in rows:
            if status in (target, Comment.Status.DELETED):
                results[pk] = {"ok": False, "code": "skipped", "status": status}
                continue
            actions._set_status_locked(
                actor,
                pk,
                target,
                reason if action == "reject" else "",
                None,
                ground=ground,
                facts=facts,
                automated_detection=True,
            )
            results[pk] = {"ok": True, "status": target}
            done.append(pk)
        if not done:
            raise Refused("already_handled", "Every comment of this campaign is so already.", 409)
        record(
            f"campaign.{'approved' if action == 'approve' else 'rejected'}",
            site=site,
            actor=actor,
            after=target,
            reason=reason,
            data={"comment_ids": done, "accounts": accounts, "ground": ground or ""},
        )
    return results
