"""EU Digital Services Act support: statements of reasons (Art. 17), appeals (Art. 20), the
transparency report (Art. 15/24) and the campaign view. Real database, real SMTP server
(aiosmtpd, started here), the desk's and the widget API's real HTTP paths."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from civility.comments.models import Comment, Report
from civility.errors import Refused
from civility.moderation import actions, appeals, campaigns, dsa, transparency
from civility.moderation.models import Appeal, AuditEntry, SiteBan, Statement

pytestmark = pytest.mark.django_db

BANNED = {
    "action": "reject",
    "code": "banned_word",
    "message": 'Banned word "scum"',
    "phrase": "scum",
    "start": 8,
    "end": 12,
}


def pipeline_rejected(story, author, body="You are scum and you know it"):
    """A comment the checks rejected on their own (the pipeline's path: store_comment)."""
    from civility.comments.actions import store_comment

    return store_comment(story=story, author=author, body=body, status="rejected", reasons=[BANNED])


def token_for(user):
    from civility.accounts.tokens import issue

    return issue(user)


def api(client, method, path, user=None, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"} if user else {}
    kwargs: dict[str, Any] = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


# --- statements of reasons ----------------------------------------------------------------------


def test_a_rejection_by_the_checks_carries_an_automated_statement(story, commenter):
    comment = pipeline_rejected(story, commenter)
    [st] = Statement.objects.filter(comment=comment)
    assert st.decision == "removal" and st.user == commenter
    assert st.ground == "banned_word"
    assert st.guideline == dsa.guidelines(story.site)["banned_word"]
    assert st.automated_detection and st.automated_decision and st.decided_by is None
    assert st.text == comment.body
    assert [s["text"] for s in st.spans] == ["scum"]
    assert st.appeal_until is not None
    assert st.appeal_until - st.created_at >= timedelta(days=182)  # six months
    assert "appeal" in st.redress.lower()
    [entry] = AuditEntry.objects.filter(action="statement.issued", comment=comment)
    assert entry.data["statement_id"] == st.pk


def test_a_moderator_rejection_cites_the_flagged_ground_or_the_one_chosen(
    moderator, pending, make_comment
):
    actions.reject(moderator, pending.pk, "Name-calling")
    [st] = Statement.objects.filter(comment=pending)
    # The suspect word the checks flagged is the ground; a person decided.
    assert (st.ground, st.automated_detection, st.automated_decision) == (
        "suspect_word",
        True,
        False,
    )
    assert st.decided_by == moderator and st.explanation == "Name-calling"
    assert [s["text"] for s in st.spans] == ["idiot"]

    plain = make_comment("Buy cheap watches at example.com")
    actions.reject(moderator, plain.pk, "Advertising", ground="spam")
    [st2] = Statement.objects.filter(comment=plain)
    assert st2.ground == "spam" and not st2.automated_detection
    with pytest.raises(Refused) as bad:
        actions.reject(moderator, make_comment("x").pk, "Why", ground="rude")
    assert bad.value.code == "bad_ground"


def test_the_site_edits_its_guideline_sentences_and_statements_keep_theirs(
    site_admin, moderator, site, make_comment
):
    first = make_comment("Off we go")
    actions.reject(moderator, first.pk, "Not about the article", ground="off_topic")
    dsa.update_guidelines(
        site_admin, site, {"guideline_off_topic": "Talk about the article, please."}
    )
    site.refresh_from_db()
    assert dsa.guidelines(site)["off_topic"] == "Talk about the article, please."
    assert dsa.guidelines(site)["spam"].startswith("No spam")  # the default stays
    second = make_comment("And again off")
    actions.reject(moderator, second.pk, "Still not", ground="off_topic")
    old, new = (Statement.objects.get(comment=c) for c in (first, second))
    assert old.guideline.startswith("Stay on the topic")
    assert new.guideline == "Talk about the article, please."
    with pytest.raises(Refused):
        dsa.update_guidelines(moderator, site, {})  # admins only
    assert AuditEntry.objects.filter(action="site.guidelines", site=site).count() == 1


def test_ban_and_suspension_carry_account_statements(moderator, site, commenter, pending):
    actions.suspend_user(
        moderator, site, commenter.pk, 48, "Repeated insults", ground="model_insult"
    )
    [susp] = Statement.objects.filter(user=commenter, decision="account_suspension")
    assert susp.until is not None and susp.ground == "model_insult"
    assert not susp.automated_decision and susp.decided_by == moderator
    # The held comment rejected with the suspension has its own statement, on the same ground.
    [removed] = Statement.objects.filter(comment=pending)
    assert removed.ground == "model_insult" and "suspended" in removed.facts
    actions.ban_user(moderator, site, commenter.pk, "Again", ground="model_threat")
    ban = Statement.objects.filter(user=commenter, decision="account_suspension").first()
    assert ban is not None and ban.until is None and ban.ground == "model_threat"


def test_holds_past_the_site_hold_time_get_a_statement_once(client, site, make_comment, pending):
    site.settings = {"statement_hold_hours": 2}
    site.save()
    fresh = make_comment("Just posted", moderation_reasons=[])
    Comment.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert dsa.sweep_long_holds() == 1
    assert dsa.sweep_long_holds(now=timezone.now()) == 0  # idempotent
    Comment.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert dsa.sweep_long_holds() == 0  # the workers sweep at most once a minute
    assert dsa.sweep_long_holds(now=timezone.now()) == 1
    [st] = Statement.objects.filter(comment=pending)
    assert st.decision == "visibility_restriction" and st.automated_decision
    assert st.automated_detection  # the suspect word rule flagged it
    assert st.appeal_until is None  # a hold is reviewed anyway; not a final decision
    # The author reads it under their held comment ("Why?").
    mine = api(client, "get", f"/stories/{pending.story_id}/me", pending.author).json()
    [held] = [c for c in mine["pending"] if c["id"] == pending.pk]
    assert held["statement"]["decision"] == "visibility_restriction"
    assert held["statement"]["can_appeal"] is False
    # The sweep is one the workers run.
    from civility.tasks.maintenance import SWEEPS

    assert ("statements for long holds", "civility.moderation.dsa.sweep_long_holds") in SWEEPS


def test_the_author_reads_the_statement_in_the_widget_api_and_others_cannot(
    client, story, commenter, make_user
):
    comment = pipeline_rejected(story, commenter)
    mine = api(client, "get", f"/stories/{story.pk}/me", commenter).json()
    [rejected] = mine["rejected"]
    statement = rejected["statement"]
    assert statement["decision"] == "removal" and statement["ground"] == "banned_word"
    assert statement["automated_detection"] and statement["automated_decision"]
    assert statement["can_appeal"] and statement["guideline"] and statement["redress"]
    assert statement["scope"].startswith("Daily News only") and "permanent" in statement["duration"]
    one = api(client, "get", f"/statements/{statement['id']}", commenter)
    assert one.status_code == 200 and one.json()["comment_id"] == comment.pk
    stranger = make_user("nosy")
    refused = api(client, "get", f"/statements/{statement['id']}", stranger)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_yours"
    assert (
        api(client, "get", "/me/statements", commenter).json()["statements"][0]["id"]
        == (statement["id"])
    )


def test_statements_are_in_the_readers_data_export_and_the_site_export(
    client, story, commenter, site, moderator
):
    from civility.accounts.data_rights import export_user_data

    pipeline_rejected(story, commenter)
    data = export_user_data(commenter)
    [st] = data["statements"]
    assert st["ground"] == "banned_word" and st["decision"] == "removal"

    client.force_login(moderator)
    got = client.get(f"/moderate/{site.slug}/statements.json")
    assert got.status_code == 200
    [row] = got.json()["statements"]
    assert row["ground"] == "banned_word" and row["automated_decision"] is True
    as_csv = client.get(f"/moderate/{site.slug}/statements.csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [r["ground"] for r in rows] == ["banned_word"]
    assert json.loads(rows[0]["spans"])[0]["text"] == "scum"


# --- e-mail over a real SMTP server -------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    received: list[Any] = []
    arrived = threading.Event()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            from email import message_from_bytes, policy

            received.append(message_from_bytes(envelope.original_content, policy=policy.default))
            arrived.set()
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.STATEMENT_EMAIL_DELAY = 0
    try:
        yield received
    finally:
        controller.stop()


def statements_mailed(box):
    """The statements of reasons among the messages (the reader's notification digest, a
    feature of its own, may arrive too)."""
    return [m for m in box if "was removed" in m["Subject"]]


def outcomes_mailed(box):
    return [m for m in box if "Your appeal" in m["Subject"]]


def _wants_mail(user):
    """A reader with a confirmed address who asked for moderation e-mail."""
    user.email = f"{user.username}@reader.example"
    if hasattr(user, "email_verified_at"):
        user.email_verified_at = timezone.now()
    if hasattr(user, "notify_moderation"):
        user.notify_moderation = True
    user.save()


@pytest.mark.django_db(transaction=True)
def test_statements_and_appeal_outcomes_are_mailed_once(smtp, story, commenter, make_user, site):
    from civility.moderation.models import SiteMembership
    from tests.tasks.helpers import drain

    _wants_mail(commenter)
    comment = pipeline_rejected(story, commenter)
    drain(lambda: statements_mailed(smtp))
    [message] = statements_mailed(smtp)
    assert message["To"] == commenter.email
    assert "removed" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Ground:" in text and "Decided by automated means: yes" in text
    assert "\u201cscum\u201d" in text and "appeal" in text.lower()
    assert "Applies to: Daily News only" in text
    st = Statement.objects.get(comment=comment)
    assert dsa.notify_statement.func(st.pk) == "already sent"

    mod = make_user("mod_mail")
    SiteMembership.objects.create(site=site, user=mod, role="moderator")
    appeal = appeals.file_appeal(user=commenter, statement_id=st.pk, text="It was a quote")
    appeals.decide_appeal(actor=mod, appeal_id=appeal.pk, outcome="reverse", reason="A quote.")
    drain(lambda: outcomes_mailed(smtp))
    [outcome] = outcomes_mailed(smtp)
    assert "reversed" in outcome["Subject"]
    assert "A quote." in outcome.get_body(preferencelist=("plain",)).get_content()
    assert len(statements_mailed(smtp)) == 1


@pytest.mark.django_db(transaction=True)
def test_an_undone_rejection_is_not_mailed(smtp, moderator, pending, commenter):
    from tests.tasks.helpers import drain

    _wants_mail(commenter)
    actions.reject(moderator, pending.pk, "Oops")
    actions.approve(moderator, pending.pk)  # changed their mind before the e-mail went
    drain()
    assert statements_mailed(smtp) == []


# --- appeals ----------------------------------------------------------------------------------


def test_appeal_refusals_are_clear_json(client, story, commenter, make_user, settings):
    comment = pipeline_rejected(story, commenter)
    st = Statement.objects.get(comment=comment)
    path = f"/statements/{st.pk}/appeal"
    stranger = make_user("stranger")
    not_yours = api(client, "post", path, stranger, {"text": "mine!"})
    assert not_yours.status_code == 403 and not_yours.json()["error"]["code"] == "not_yours"
    assert api(client, "post", "/statements/999999/appeal", commenter, {}).status_code == 404
    too_long = api(client, "post", path, commenter, {"text": "x" * 3000})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "too_long"
    ok = api(client, "post", path, commenter, {"text": "I quoted someone."})
    assert ok.status_code == 201, ok.content
    assert ok.json()["appeal"]["status"] == "open"
    assert ok.json()["statement"]["can_appeal"] is False
    again = api(client, "post", path, commenter, {"text": "Please"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_appealed"

    late = pipeline_rejected(story, commenter, "scum again, months ago")
    Statement.objects.filter(comment=late).update(
        appeal_until=timezone.now() - timedelta(seconds=1)
    )
    late_st = Statement.objects.get(comment=late)
    too_late = api(client, "post", f"/statements/{late_st.pk}/appeal", commenter, {})
    assert too_late.status_code == 409 and too_late.json()["error"]["code"] == "too_late"
    assert AuditEntry.objects.filter(action="appeal.received").count() == 1


def test_a_hold_is_not_appealable(site, pending, commenter):
    Comment.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(days=2))
    dsa.sweep_long_holds()
    st = Statement.objects.get(comment=pending)
    with pytest.raises(Refused) as refused:
        appeals.file_appeal(user=commenter, statement_id=st.pk, text="")
    assert refused.value.code == "not_appealable"


def test_the_first_decider_may_not_decide_the_appeal_when_others_can(
    moderator, moderator2, pending, commenter
):
    actions.reject(moderator, pending.pk, "Rude")
    st = Statement.objects.get(comment=pending)
    appeal = appeals.file_appeal(user=commenter, statement_id=st.pk, text="Not rude")
    with pytest.raises(Refused) as same:
        appeals.decide_appeal(actor=moderator, appeal_id=appeal.pk, outcome="reverse", reason="ok")
    assert (same.value.code, same.value.status) == ("same_moderator", 403)
    appeals.decide_appeal(actor=moderator2, appeal_id=appeal.pk, outcome="reverse", reason="Fair")
    pending.refresh_from_db()
    assert pending.status == "approved"  # restored
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.outcome_reason) == (
        "reversed",
        moderator2,
        "Fair",
    )
    [entry] = AuditEntry.objects.filter(action="appeal.reversed")
    assert entry.actor == moderator2 and entry.data["first_decided_by"] == moderator.pk
    assert entry.data["restored"] == "comment"
    assert AuditEntry.objects.filter(action="comment.approved", comment=pending).exists()
    with pytest.raises(Refused) as twice:
        appeals.decide_appeal(actor=moderator2, appeal_id=appeal.pk, outcome="uphold", reason="x")
    assert twice.value.code == "already_decided"


def test_a_sole_moderator_decides_their_own_decisions_appeal(moderator, pending, commenter):
    actions.reject(moderator, pending.pk, "Rude")
    st = Statement.objects.get(comment=pending)
    appeal = appeals.file_appeal(user=commenter, statement_id=st.pk, text="Please")
    appeals.decide_appeal(actor=moderator, appeal_id=appeal.pk, outcome="uphold", reason="Rude.")
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert AuditEntry.objects.filter(action="appeal.upheld").count() == 1


def test_reversing_a_ban_lifts_it_and_the_outcome_reaches_the_author(
    client, moderator, moderator2, site, commenter, pending
):
    actions.ban_user(moderator, site, commenter.pk, "Threats", reject_pending=False)
    st = Statement.objects.get(user=commenter, decision="account_suspension")
    filed = api(client, "post", f"/statements/{st.pk}/appeal", commenter, {"text": "Hacked"})
    assert filed.status_code == 201
    appeals.decide_appeal(
        actor=moderator2, appeal_id=filed.json()["appeal"]["id"], outcome="reverse", reason="ok"
    )
    assert not SiteBan.objects.filter(site=site, user=commenter).exists()
    assert AuditEntry.objects.filter(action="user.unbanned", target_user=commenter).exists()
    seen = api(client, "get", f"/statements/{st.pk}", commenter).json()
    assert seen["appeal"]["status"] == "reversed" and seen["appeal"]["outcome_reason"] == "ok"


def test_the_desk_appeals_page_lists_and_decides(
    client, moderator, moderator2, pending, commenter, site
):
    actions.reject(moderator, pending.pk, "Rude")
    st = Statement.objects.get(comment=pending)
    appeal = appeals.file_appeal(user=commenter, statement_id=st.pk, text="I was quoting")
    client.force_login(moderator)
    page = client.get(f"/moderate/{site.slug}/appeals/")
    assert page.status_code == 200
    assert b"I was quoting" in page.content and b"another moderator must decide" in page.content
    refused = client.post(
        f"/moderate/{site.slug}/appeals/",
        {"appeal": appeal.pk, "outcome": "reverse", "reason": "ok"},
    )
    assert refused.status_code == 400
    client.force_login(moderator2)
    done = client.post(
        f"/moderate/{site.slug}/appeals/",
        {"appeal": appeal.pk, "outcome": "reverse", "reason": "A quote, fine."},
    )
    assert done.status_code == 200 and b"reversed" in done.content
    pending.refresh_from_db()
    assert pending.status == "approved"


# --- transparency ---------------------------------------------------------------------------


def test_the_transparency_export_counts_match_the_audit_log(
    client, site, story, moderator, moderator2, commenter, make_user, make_comment, pending
):
    # A period's worth of decisions of every kind.
    others = [make_user(f"reader{i}") for i in range(3)]
    pipeline_rejected(story, others[0])
    pipeline_rejected(story, others[1], "scum scum")
    removed = make_comment("Off topic rant", author=others[2])
    actions.reject(moderator, removed.pk, "Off topic", ground="off_topic")
    actions.reject(moderator, pending.pk, "Rude")
    Report.objects.create(
        comment=make_comment("hi", status="approved"), reporter=others[0], reason="spam"
    )
    held = make_comment("Held for long", author=others[1])
    Comment.objects.filter(pk=held.pk).update(created_at=timezone.now() - timedelta(days=2))
    dsa.sweep_long_holds()
    actions.suspend_user(moderator, site, others[2].pk, 24, "Insults", ground="model_insult")
    appeal = appeals.file_appeal(
        user=commenter, statement_id=Statement.objects.get(comment=pending).pk, text="no"
    )
    appeals.decide_appeal(actor=moderator2, appeal_id=appeal.pk, outcome="reverse", reason="ok")
    second = appeals.file_appeal(
        user=others[2], statement_id=Statement.objects.get(comment=removed).pk, text="no"
    )
    appeals.decide_appeal(actor=moderator2, appeal_id=second.pk, outcome="uphold", reason="no")

    client.force_login(moderator)
    today = timezone.localdate().isoformat()
    got = client.get(f"/moderate/{site.slug}/transparency/?from={today}&to={today}&format=json")
    assert got.status_code == 200
    report = got.json()

    log = AuditEntry.objects.filter(site=site)
    removals = (
        log.filter(action="comment.rejected").count()
        + log.filter(
            action__in=["comment.created", "comment.edited", "comment.scored"], after="rejected"
        ).count()
    )
    suspensions = log.filter(action__in=["user.banned", "user.suspended"]).count()
    issued = list(log.filter(action="statement.issued"))
    holds = sum(1 for e in issued if e.after == "visibility_restriction")
    assert report["decisions"] == {
        "total": removals + suspensions + holds,
        "removal": removals,
        "visibility_restriction": holds,
        "account_suspension": suspensions,
    }
    assert (removals, suspensions, holds) == (4, 1, 1)
    by_ground = Counter(e.data["ground"] for e in issued)
    assert {r["ground"]: r["total"] for r in report["by_ground"]} == dict(by_ground)
    auto = Counter(
        f"detected_{'automated' if e.data['automated_detection'] else 'person'}"
        f"_decided_{'automated' if e.data['automated_decision'] else 'person'}"
        for e in issued
    )
    assert {k: v for k, v in report["by_automation"].items() if v} == dict(auto)
    assert report["by_automation"]["detected_automated_decided_automated"] == 2
    # The long hold: held by pre-moderation (nothing detected it), decided by the checks.
    assert report["by_automation"]["detected_person_decided_automated"] == 1
    assert report["appeals"]["received"] == log.filter(action="appeal.received").count() == 2
    assert report["appeals"]["reversed"] == log.filter(action="appeal.reversed").count() == 1
    assert report["appeals"]["upheld"] == log.filter(action="appeal.upheld").count() == 1
    assert report["reader_reports"] == Report.objects.filter(comment__story__site=site).count() == 1
    assert report["reader_reports_by_reason"] == {"spam": 1}
    assert report["median_hours_to_decision"]["removal_automated"] is not None

    as_csv = client.get(f"/moderate/{site.slug}/transparency/?from={today}&to={today}&format=csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    figures = {(r[0], r[1], r[2]): r[3] for r in rows[2:]}
    assert figures[("decisions", "removal", "count")] == str(removals)
    assert figures[("appeals", "reversed", "count")] == "1"
    page = client.get(f"/moderate/{site.slug}/transparency/")
    assert page.status_code == 200 and b"Transparency report" in page.content
    bad = client.get(f"/moderate/{site.slug}/transparency/?from=2026-13-01&format=json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_date"


def test_undone_decisions_are_withdrawn_and_not_counted(
    client, site, moderator, moderator2, commenter, make_user, make_comment
):
    reader = make_user("reader_u")
    make_comment("Hello", author=reader, status="approved")
    kept = make_comment("Off topic rant")
    actions.reject(moderator, kept.pk, "Off topic", ground="off_topic")
    slip = make_comment("A fair point")
    actions.reject(moderator, slip.pk, "Rude")
    again = make_comment("Borderline")
    actions.reject(moderator, again.pk, "Rude")
    actions.suspend_user(moderator, site, reader.pk, 24, "Insults", ground="model_insult")

    def undo_last(action, **where):
        entry = AuditEntry.objects.filter(action=action, **where).latest("id")
        assert actions.undo(moderator, site, [entry.pk]) == {entry.pk: {"ok": True}}

    undo_last("comment.rejected", comment=slip)
    undo_last("comment.rejected", comment=again)
    undo_last("user.suspended", target_user=reader)
    # Rejected again later, by another moderator: a new decision with its own statement.
    actions.reject(moderator2, again.pk, "Rude after all")

    first, second = Statement.objects.filter(comment=again).order_by("id")
    assert first.withdrawn_at is not None and second.withdrawn_at is None
    assert Statement.objects.get(comment=slip).withdrawn_at is not None
    assert Statement.objects.get(user=reader, decision="account_suspension").withdrawn_at
    undo_entry = AuditEntry.objects.filter(action="comment.rejected.undone", comment=again).get()
    assert undo_entry.data["withdrawn_statements"] == [first.pk]
    # The withdrawn statement is not in force although the comment is rejected again.
    shown = api(client, "get", f"/statements/{first.pk}", commenter).json()
    assert shown["in_force"] is False and shown["withdrawn"] is True
    assert shown["can_appeal"] is False
    refused = api(client, "post", f"/statements/{first.pk}/appeal", commenter, {})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_in_force"
    assert api(client, "get", f"/statements/{second.pk}", commenter).json()["can_appeal"]
    # The site's own records keep it, marked withdrawn.
    client.force_login(moderator)
    rows = {
        r["id"]: r
        for r in client.get(f"/moderate/{site.slug}/statements.json").json()["statements"]
    }
    assert rows[first.pk]["withdrawn_at"] and rows[second.pk]["withdrawn_at"] is None

    # The report counts what the audit log says stands: decisions minus those undone.
    log = AuditEntry.objects.filter(site=site)
    undone = {e.data["undoes"] for e in log.filter(action__endswith=".undone")}
    removals = log.filter(action="comment.rejected").exclude(pk__in=undone).count()
    suspensions = (
        log.filter(action__in=["user.banned", "user.suspended"]).exclude(pk__in=undone).count()
    )
    today = timezone.localdate()
    report = transparency.report(site, today, today)
    assert (removals, suspensions) == (2, 0)
    assert report["decisions"]["removal"] == removals
    assert report["decisions"]["account_suspension"] == suspensions
    assert report["decisions"]["total"] == removals + suspensions
    assert {r["ground"]: r["total"] for r in report["by_ground"]} == {
        "off_topic": 1,
        dsa.clean_ground(None): 1,
    }


def test_the_report_only_counts_its_period(site, story, commenter):
    pipeline_rejected(story, commenter)
    Statement.objects.update(created_at=timezone.now() - timedelta(days=40))
    today = timezone.localdate()
    assert transparency.report(site, today - timedelta(days=29), today)["decisions"]["total"] == 0
    old = transparency.report(site, today - timedelta(days=60), today)
    assert old["decisions"]["removal"] == 1


# --- campaigns --------------------------------------------------------------------------------


def test_near_same_comments_from_several_accounts_group_into_one_campaign(
    story, make_user, make_comment, commenter
):
    authors = [make_user(f"bot{i}") for i in range(4)]
    texts = [
        "Vote NO on the bus lanes! They will ruin Main Street. Call 555-0101 now!!",
        "vote no on the bus lanes - they will ruin main street. call 555-0199 now",
        "Vote NO on the bus lanes!!! They will ruin Main Street, call 555 0102 now.",
        "Vote no on the bus lanes. They will totally ruin Main Street. Call now!",
    ]
    members = [make_comment(t, author=a) for t, a in zip(texts, authors, strict=True)]
    lone = make_comment("I like the new bus lanes, honestly.", author=commenter)
    same_author = [make_comment("Great article, thanks!", author=commenter) for _ in range(3)]
    groups = campaigns.group([*members, lone, *same_author])
    assert [sorted(c.pk for c in g) for g in groups] == [sorted(c.pk for c in members)]
    # Outside the window they are not one campaign.
    Comment.objects.filter(pk=members[0].pk).update(created_at=timezone.now() - timedelta(days=1))
    members[0].refresh_from_db()
    assert [len(g) for g in campaigns.group(members)] == [3]
    assert campaigns.normalize("Call 555-0101 NOW!!") == "call now"


def test_a_campaign_is_rejected_in_one_step_each_comment_audited(
    client, site, moderator, make_user, make_comment
):
    members = [
        make_comment("Sign the petition at example.org today!", author=make_user(f"acc{i}"))
        for i in range(3)
    ]
    client.force_login(moderator)
    cards = client.get(f"/moderate/{site.slug}/api/campaigns?queue=pending").json()["campaigns"]
    [card] = cards
    assert sorted(card["ids"]) == sorted(m.pk for m in members) and card["accounts"] == 3
    done = client.post(
        f"/moderate/{site.slug}/api/campaigns",
        json.dumps({"ids": card["ids"], "action": "reject", "reason": "Coordinated campaign"}),
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert all(r["ok"] for r in done.json()["results"].values())
    for m in members:
        m.refresh_from_db()
        assert m.status == "rejected"
        st = Statement.objects.get(comment=m)
        assert st.ground == "spam" and st.automated_detection and not st.automated_decision
    assert AuditEntry.objects.filter(action="comment.rejected", actor=moderator).count() == 3
    [entry] = AuditEntry.objects.filter(action="campaign.rejected")
    assert sorted(entry.data["comment_ids"]) == sorted(m.pk for m in members)
    again = client.post(
        f"/moderate/{site.slug}/api/campaigns",
        json.dumps({"ids": card["ids"], "action": "reject", "reason": "again"}),
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_handled"
    bad = client.post(
        f"/moderate/{site.slug}/api/campaigns",
        json.dumps({"ids": [members[0].pk], "action": "approve"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_ids"
    assert client.get(f"/moderate/{site.slug}/api/campaigns").json()["campaigns"] == []


def test_a_story_queue_shows_only_campaigns_with_comments_on_that_story(
    client, site, story, moderator, make_user, make_comment
):
    from civility.comments.models import Story

    other = Story.objects.create(site=site, url="https://news.example/b", title="Other story")
    third = Story.objects.create(site=site, url="https://news.example/c", title="Third story")
    # One campaign across two stories, another only on a third.
    spread = [
        make_comment("Sign the petition at example.org today!", author=make_user(f"acc{i}"))
        for i in range(2)
    ] + [
        make_comment(
            "Sign the petition at example.org today!", author=make_user("acc2"), story=other
        )
    ]
    elsewhere = [
        make_comment("Buy cheap watches at spam.example", author=make_user(f"w{i}"), story=third)
        for i in range(3)
    ]
    client.force_login(moderator)
    base = f"/moderate/{site.slug}/api/campaigns?queue=pending"

    def cards(extra=""):
        got = client.get(base + extra)
        assert got.status_code == 200, got.content
        return got.json()["campaigns"]

    assert len(cards()) == 2
    [card] = cards(f"&story={story.pk}")
    assert sorted(card["ids"]) == sorted(c.pk for c in spread)
    assert (card["comments"], card["in_story"], card["stories"]) == (3, 2, 2)
    assert {m["story_id"] for m in card["members"]} == {story.pk, other.pk}
    [card] = cards(f"&story={other.pk}")
    assert card["in_story"] == 1 and card["comments"] == 3
    [card] = cards(f"&story={third.pk}")
    assert sorted(card["ids"]) == sorted(c.pk for c in elsewhere)
    unknown = client.get(base + f"&story={third.pk + 100}")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_a_decision_undone_meanwhile_is_not_appealable(client, moderator, pending, commenter):
    actions.reject(moderator, pending.pk, "Rude")
    actions.approve(moderator, pending.pk)  # published again after all
    st = Statement.objects.get(comment=pending)
    shown = api(client, "get", f"/statements/{st.pk}", commenter).json()
    assert shown["in_force"] is False and shown["can_appeal"] is False
    refused = api(client, "post", f"/statements/{st.pk}/appeal", commenter, {})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_in_force"


def test_the_desk_passes_the_chosen_ground_over_http(client, moderator, site, make_comment):
    comment = make_comment("Visit my shop")
    client.force_login(moderator)
    done = client.post(
        f"/moderate/{site.slug}/api/comments/{comment.pk}/reject",
        json.dumps({"reason": "Advertising", "ground": "spam"}),
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert Statement.objects.get(comment=comment).ground == "spam"
    bad = client.post(
        f"/moderate/{site.slug}/api/comments/{make_comment('x').pk}/reject",
        json.dumps({"reason": "Advertising", "ground": "nonsense"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_ground"


def test_erasing_the_author_keeps_the_statement_without_their_words(
    story, commenter, site_admin, site
):
    from civility.accounts.data_rights import erase_user

    comment = pipeline_rejected(story, commenter)
    st = Statement.objects.get(comment=comment)
    appeals.file_appeal(user=commenter, statement_id=st.pk, text="My words, my reasons")
    erase_user(user=commenter, actor=site_admin, reason="asked by e-mail", site=site)
    st.refresh_from_db()
    assert (st.text, st.spans) == ("", [])
    assert st.ground == "banned_word" and st.decision == "removal"  # the site's record stays
    assert Appeal.objects.get(statement=st).text == ""
