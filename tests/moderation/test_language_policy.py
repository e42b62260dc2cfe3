"""Comments in a language the model does not read: never scored, held or published unscored as
the site says, and marked on the desk. Real model, real pipeline."""

from pathlib import Path

import pytest
from django.test import Client

from civility.comments.actions import post_comment
from civility.moderation.model_check import unsupported_language_policy
from civility.moderation.models import WordRule
from civility.moderation.pipeline import Submission, decide
from civility.verdicts import HOLD

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]

GERMAN = "Ich verstehe nicht, warum die Straße schon wieder gesperrt ist."
FRENCH = "Je ne comprends pas pourquoi la rue est encore fermée depuis lundi."
ENGLISH = "Thanks for the careful reporting; the timeline of the talks was useful."


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_default_policy_holds_with_language_unsupported(scorer, site, story, commenter):
    assert unsupported_language_policy(site) == "hold"
    comment = post_comment(story=story, author=commenter, body=GERMAN)
    comment.refresh_from_db()
    assert comment.status == "pending"
    [reason] = comment.moderation_reasons
    assert reason["code"] == "language_unsupported" and reason["action"] == "hold"
    assert reason["language"] == "de"
    assert "Not scored: language de" in reason["message"]
    # Never scored: an English model's scores for German would mean nothing.
    assert comment.scores["unscored"] == "language" and comment.scores["language"] == "de"
    assert comment.scores["scores"] == {} and comment.scores["spans"] == []


def test_publish_policy_publishes_unscored_and_says_so(scorer, site, story, commenter):
    site.settings = {"unsupported_language": "publish"}
    site.save()
    comment = post_comment(story=story, author=commenter, body=FRENCH)
    comment.refresh_from_db()
    assert comment.status == "approved"
    assert [(r["code"], r["action"], r["language"]) for r in comment.moderation_reasons] == [
        ("language_unscored", "approve", "fr")
    ]
    assert comment.scores == {
        "version": "",
        "scores": {},
        "spans": [],
        "unscored": "language",
        "language": "fr",
    }


def test_word_rules_still_apply_to_other_languages(scorer, site, story, commenter):
    site.settings = {"unsupported_language": "publish"}
    WordRule.objects.create(site=site, phrase="Straße", action="reject")
    decision = decide(Submission(site=site, story=story, author=commenter, body=GERMAN))
    assert decision.action == "reject"
    assert {r["code"] for r in decision.reasons} == {"banned_word", "language_unscored"}


def test_english_is_scored_as_before(scorer, site, story, commenter):
    decision = decide(Submission(site=site, story=story, author=commenter, body=ENGLISH))
    assert decision.action == "approve", decision.reasons
    assert decision.reasons == []
    assert decision.scores["version"] == scorer.version and decision.scores["scores"]
    short = decide(Submission(site=site, story=story, author=commenter, body="u r dumb lol"))
    assert short.scores["scores"] and not any(
        r["code"].startswith("language_") for r in short.reasons
    )


def test_look_alike_letters_do_not_escape_the_model(scorer, site, story, commenter):
    """An English insult in Cyrillic look-alikes is English: scored and held, even where other
    languages are published unscored."""
    site.settings = {"unsupported_language": "publish"}
    body = "уоu аrе а stupid worthless mоrоn"  # а, е, о, р, у are Cyrillic
    decision = decide(Submission(site=site, story=story, author=commenter, body=body))
    assert decision.scores["scores"]["INSULT"] > 0.5
    assert decision.action in {"hold", "reject"}
    assert not any(r["code"].startswith("language_") for r in decision.reasons)


def test_dry_run_sees_the_language_hold(scorer, site):
    decision = decide(Submission(site=site, body=GERMAN), dry_run=True)
    assert decision.action == HOLD
    assert [r["code"] for r in decision.reasons] == ["language_unsupported"]


def test_desk_marks_an_unscored_comment(scorer, site, story, commenter, moderator):
    site.settings = {"unsupported_language": "publish"}
    site.save()
    comment = post_comment(story=story, author=commenter, body=GERMAN)
    c = client_for(moderator)
    data = c.get(f"/moderate/{site.slug}/api/queue?queue=unmoderated").json()
    [card] = [card for card in data["cards"] if card["id"] == comment.pk]
    assert card["unscored"] == "language de"
    assert card["scores"] == {}
    assert [r["code"] for r in card["reasons"]] == ["language_unscored"]
    page = c.get(f"/moderate/{site.slug}/comments/{comment.pk}/").content.decode()
    assert "not scored: language de" in page
    # The queue page draws its cards in the browser from the same JSON.
    js = (REPO / "civility" / "static" / "civility" / "moderation.js").read_text(encoding="utf-8")
    assert 'gettext("not scored: %(why)s"), { why: card.unscored }' in js


def test_scored_comment_has_no_marker(scorer, site, story, commenter, moderator):
    comment = post_comment(story=story, author=commenter, body=ENGLISH)
    data = client_for(moderator).get(f"/moderate/{site.slug}/api/queue?queue=unmoderated").json()
    [card] = [card for card in data["cards"] if card["id"] == comment.pk]
    assert card["unscored"] == ""


def test_settings_page_sets_the_policy(site_admin, site):
    c = client_for(site_admin)
    url = f"/moderate/{site.slug}/settings/"
    page = c.get(url).content.decode()
    assert 'name="unsupported_language"' in page
    form = {"premoderation": "none", "new_commenter_threshold": "0", "max_links": "2"}
    assert c.post(url, {**form, "unsupported_language": "publish"}).status_code == 200
    site.refresh_from_db()
    assert unsupported_language_policy(site) == "publish"
    assert 'value="publish" selected' in c.get(url).content.decode()
    assert c.post(url, form).status_code == 200  # not in the form: left as it is
    site.refresh_from_db()
    assert site.settings["unsupported_language"] == "publish"
    resp = c.post(url, {**form, "unsupported_language": "translate"})
    assert resp.status_code == 400
    site.refresh_from_db()
    assert site.settings["unsupported_language"] == "publish"
    assert c.post(url, {**form, "unsupported_language": "hold"}).status_code == 200
    site.refresh_from_db()
    assert unsupported_language_policy(site) == "hold"


def _decided_later(comment, seconds: float = 30.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        comment.refresh_from_db()
        if not any(r["code"] == "model_pending" for r in comment.moderation_reasons):
            return comment
        time.sleep(0.02)
    raise AssertionError(f"comment {comment.pk} still waits for its score")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("policy", "status", "code"),
    [("hold", "pending", "language_unsupported"), ("publish", "approved", "language_unscored")],
)
def test_in_a_burst_the_language_is_looked_at_when_the_score_comes(
    scorer, site, story, commenter, settings, policy, status, code
):
    """A post that does not wait for its score (SCORING_TIMEOUT 0: as in a burst) is held
    until it comes, and only then is its language looked at: never published as if scored."""
    from civility.moderation.models import AuditEntry

    settings.SCORING_TIMEOUT = 0
    site.settings = {"unsupported_language": policy}
    site.save()
    comment = post_comment(story=story, author=commenter, body=GERMAN + " Wirklich.")
    assert comment.status == "pending"
    assert [r["code"] for r in comment.moderation_reasons] == ["model_pending"]
    comment = _decided_later(comment)
    assert comment.status == status
    assert [(r["code"], r["language"]) for r in comment.moderation_reasons] == [(code, "de")]
    assert comment.scores["unscored"] == "language" and comment.scores["scores"] == {}
    assert AuditEntry.objects.filter(action="comment.scored", comment=comment).count() == 1
    english = _decided_later(post_comment(story=story, author=commenter, body=ENGLISH))
    assert english.status == "approved" and english.scores["scores"]
