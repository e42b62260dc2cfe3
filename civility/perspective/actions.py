"""State changes of the Perspective/Coral app: validate, write in one transaction, audit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused


def set_coral_secrets(
    *, site_slug: str, add: str | None = None, remove: str | None = None, actor: Any = None
) -> tuple[Site, list[str]]:
    """Accept signatures made with ``add`` or stop accepting ``remove`` for a site's Coral
    external moderation phase; returns the site and its secrets. Audited (a prefix only)."""
    with transaction.atomic():
        site = Site.objects.select_for_update().filter(slug=site_slug).first()
        if site is None:
            raise Refused("unknown_site", f"no site {site_slug!r}", 404)
        settings = dict(site.settings or {})
        coral = dict(settings.get("coral") or {})
        secrets = [s for s in coral.get("signing_secrets") or [] if isinstance(s, str)]
        if add is not None:
            if not add.strip():
                raise Refused("bad_secret", "the signing secret is empty")
            if add in secrets:
                return site, secrets
            secrets.append(add)
        elif remove is not None:
            if remove not in secrets:
                raise Refused("unknown_secret", "that secret is not configured", 404)
            secrets.remove(remove)
        else:
            return site, secrets
        coral["signing_secrets"] = secrets
        settings["coral"] = coral
        site.settings = settings
        site.save(update_fields=["settings"])
        changed = add if add is not None else remove
        record(
            "site.coral_secret_added" if add is not None else "site.coral_secret_removed",
            site=site,
            actor=actor,
            data={"secret_prefix": str(changed)[:8], "count": len(secrets)},
        )
    return site, secrets


def record_suggestion(*, key: Any, request: Any) -> Any:
    """Store a `comments:suggestscore` call: the text and the scores the client says are right.

    Unlike `comments:analyze` (never stored), this is the point of suggestscore: a labelled
    example sent on purpose. Audited without the text (key and attributes only)."""
    from civility.perspective.models import ScoreSuggestion

    with transaction.atomic():
        suggestion = ScoreSuggestion.objects.create(
            key=key,
            text=request.text,
            attribute_scores=request.attribute_scores,
            context=request.context,
            languages=request.languages,
            community_id=request.community_id or "",
            client_token=request.client_token or "",
            session_id=request.session_id or "",
        )
        record(
            "perspective.suggestion",
            data={
                "key": getattr(key, "name", ""),
                "suggestion": suggestion.pk,
                "attributes": sorted(request.attribute_scores),
            },
        )
    return suggestion
