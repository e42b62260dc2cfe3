"""A site's settings and members on the desk (issue 15 item 2, issue 14 item 6): only that site's
admins, every change through an audited action; the thresholds' preview agrees with `decide`; a
sentence is tested with the pipeline's own word matcher; the last admin stays."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from civility.comments.models import Comment, Site
from civility.errors import Refused
from civility.moderation import members, site_settings
from civility.moderation.models import AuditEntry, SiteMembership, WordRule
from civility.moderation.pipeline import Submission, decide
from tests.mailserver import body as mail_body
from tests.mailserver import link, mailbox  # noqa: F401 (mailbox: a fixture)
from tests.tasks.helpers import drain

pytestmark = pytest.mark.django_db


def client_for(user=None):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def settings_url(site):
    return f"/moderate/{site.slug}/settings/"


def members_url(site):
    return f"/moderate/{site.slug}/members/"


def preview_url(site):
    return f"/moderate/{site.slug}/api/settings/preview"


# --- who may ------------------------------------------------------------------------------------

WRITES = [
    ("settings", {"op": "access", "allowed_origins": "https://evil.example"}),
    ("settings", {"op": "sso_rotate"}),
    ("settings", {"op": "thresholds", "hold_TOXICITY": "0.05"}),
    ("settings", {"op": "rule_add", "new_phrases": "hello", "new_action": "reject"}),
    (
        "settings",
        {
            "op": "publishing",
            "premoderation": "all",
            "new_commenter_threshold": "1",
            "max_links": "0",
        },
    ),
    ("members", {"op": "add", "who": "intruder", "role": "admin"}),
]


@pytest.mark.parametrize("who", ["anonymous", "moderator", "other_moderator"])
def test_only_the_sites_admins_see_or_change_anything(who, request, site, site_admin, make_user):
    """A moderator of the site, an admin of another site and a stranger: pages 403, the preview
    a JSON 403, and every write leaves the site, its rules and its staff as they were."""
    user = None if who == "anonymous" else request.getfixturevalue(who)
    make_user("intruder")
    site.sso_secret = "the-old-secret-0123456789"
    site.save()
    before = Site.objects.filter(pk=site.pk).values().get()
    c = client_for(user)
    for page in (settings_url(site), members_url(site)):
        resp = c.get(page)
        assert resp.status_code == 403, page
        assert b"the-old-secret" not in resp.content
    resp = c.get(preview_url(site))
    assert resp.status_code == 403 and resp["Content-Type"] == "application/json"
    assert resp.json()["error"]["code"] in {"forbidden", "login_required"}
    for page, form in WRITES:
        url = settings_url(site) if page == "settings" else members_url(site)
        assert c.post(url, form).status_code == 403, form
    assert Site.objects.filter(pk=site.pk).values().get() == before
    assert not WordRule.objects.exists()
    assert set(SiteMembership.objects.values_list("user__username", flat=True)) >= {"admin_a"}
    assert not SiteMembership.objects.filter(user__username="intruder").exists()
    assert not AuditEntry.objects.filter(action__startswith="site.").exists()


def test_the_actions_check_the_role_themselves(site, moderator, other_moderator):
    """Views are not the only callers: each action refuses a non-admin on its own."""
    for actor in (moderator, other_moderator):
        for call in (
            lambda a: site_settings.update_access(a, site, {"allowed_origins": "*"}),
            lambda a: site_settings.rotate_sso_secret(a, site),
            lambda a: site_settings.update_thresholds(a, site, {"hold_THREAT": "0.1"}),
            lambda a: site_settings.add_word_rules(a, site, "x", "hold"),
            lambda a: members.add_member(a, site, a.username, "admin"),
        ):
            with pytest.raises(Refused) as exc:
                call(actor)
            assert exc.value.status == 403


def test_site_admin_gets_every_section_and_the_members_link(site_admin, site):
    page = client_for(site_admin).get(settings_url(site)).content.decode()
    for marker in (
        'name="op" value="publishing"',
        'type="range" id="hold_TOXICITY"',
        'name="reject_THREAT_off"',
        'value="rule_test"',
        'name="allowed_origins"',
        'name="allow_guests"',
        'value="sso_rotate"',
        f'href="/moderate/{site.slug}/members/"',
    ):
        assert marker in page, marker
    assert client_for(site_admin).get(members_url(site)).status_code == 200


# --- thresholds and their preview -------------------------------------------------------------

BODIES = [
    "Thanks for the careful reporting; the timeline of the talks was useful.",
    "I disagree with the mayor, but the budget numbers here are clear.",
    "You are a stupid worthless idiot and everyone here hates you.",
    "What a load of garbage, the author clearly knows nothing.",
    "Shut up, moron. Nobody cares about your dumb opinion.",
    "The bridge closure will hurt commuters on the east side.",
    "These people are animals and should be wiped out.",
    "I will find you and make you pay for writing this.",
    "Great photos of the harbour, thank you.",
    "This is the most idiotic policy I have ever seen.",
    "Could the council publish the full traffic study?",
    "Damn, that is a hell of a result for the local team.",
]


@pytest.fixture
def scored_comments(scorer, site, story, commenter):
    """Comments stored with the scores the pipeline itself computed for them."""
    rows = []
    for body in BODIES:
        scores = decide(Submission(site=site, body=body), dry_run=True).scores
        assert scores.get("scores"), body
        rows.append(
            Comment.objects.create(
                story=story,
                author=commenter,
                body=body,
                html=body,
                status="approved",
                scores=scores,
            )
        )
    # Neither deleted comments nor ones the model did not read are part of the sample.
    Comment.objects.create(
        story=story,
        author=commenter,
        body="weg",
        html="weg",
        status="deleted",
        scores=rows[2].scores,
    )
    Comment.objects.create(
        story=story,
        author=commenter,
        body="Guten Tag",
        html="x",
        status="approved",
        scores={"version": "", "scores": {}, "spans": [], "unscored": "language"},
    )
    return rows


def decide_counts(site, story, commenter, bodies):
    site.refresh_from_db()
    return Counter(
        str(
            decide(
                Submission(site=site, story=story, author=commenter, body=b), dry_run=True
            ).action
        )
        for b in bodies
    )


def test_preview_counts_are_what_decide_would_do(
    site, story, commenter, site_admin, scored_comments
):
    site.max_links = 10
    site.save()
    toxicity = sorted(c.scores["scores"]["TOXICITY"] for c in scored_comments)
    insult = sorted(c.scores["scores"]["INSULT"] for c in scored_comments)
    # Values in the middle of the stored scores, so some comments fall on each side.
    proposal = {
        "hold_TOXICITY": f"{toxicity[len(toxicity) // 2]:.2f}",
        "reject_TOXICITY_off": "on",
        "hold_INSULT": f"{insult[len(insult) // 3]:.2f}",
        "reject_INSULT": f"{insult[-3]:.2f}",
    }
    c = client_for(site_admin)
    resp = c.get(preview_url(site), proposal)
    assert resp.status_code == 200, resp.content
    preview = resp.json()
    assert preview["sample"] == len(BODIES)

    # What the current thresholds do, by decide itself (scoring the text again).
    now = decide_counts(site, story, commenter, BODIES)
    assert preview["current"] == {k: now.get(k, 0) for k in ("approve", "hold", "reject")}

    # Saved through the sliders' form, the same values make decide agree with the preview.
    assert c.post(settings_url(site), {"op": "thresholds", **proposal}).status_code == 200
    after = decide_counts(site, story, commenter, BODIES)
    assert preview["proposed"] == {k: after.get(k, 0) for k in ("approve", "hold", "reject")}
    assert preview["proposed"] != preview["current"]
    assert preview["changed"] > 0
    assert preview["proposed"]["reject"] >= 1

    # Examples each way, with the reason and a link to the comment's page.
    for verdict in ("hold", "reject"):
        for example in preview["examples"][verdict]:
            assert example["would"] == verdict and example["why"]
            assert example["url"] == f"/moderate/{site.slug}/comments/{example['id']}/"
    rejected = preview["examples"]["reject"][0]
    assert "INSULT" in rejected["why"][0] or "TOXICITY" in rejected["why"][0]
    entry = AuditEntry.objects.filter(action="site.settings").latest("id")
    assert entry.actor == site_admin
    assert entry.data["after"]["thresholds"]["TOXICITY"]["reject"] is None


def test_preview_of_the_saved_values_changes_nothing(site, site_admin, scored_comments):
    preview = client_for(site_admin).get(preview_url(site)).json()
    assert preview["changed"] == 0 and preview["proposed"] == preview["current"]
    assert sum(preview["current"].values()) == len(BODIES)


def test_preview_size_limits_the_sample(site, site_admin, scored_comments):
    preview = client_for(site_admin).get(preview_url(site), {"size": "5"}).json()
    assert preview["sample"] == 5


@pytest.mark.parametrize(
    "query, code",
    [
        ({"hold_THREAT": "0.9", "reject_THREAT": "0.4"}, "bad_setting"),
        ({"hold_THREAT": "lots"}, "bad_setting"),
        ({"hold_THREAT": "1.5"}, "bad_setting"),
        ({"size": "0"}, "bad_size"),
        ({"size": "many"}, "bad_size"),
    ],
)
def test_preview_refuses_bad_values_as_json(site, site_admin, query, code):
    resp = client_for(site_admin).get(preview_url(site), query)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code


def test_a_slider_left_in_place_keeps_the_exact_value(site, site_admin):
    site.settings = {"thresholds": {"THREAT": {"hold": 0.734, "reject": 0.97}}}
    site.save()
    c = client_for(site_admin)
    form = {"op": "thresholds", "hold_THREAT": "0.73", "reject_THREAT": "0.90"}
    assert c.post(settings_url(site), form).status_code == 200
    site.refresh_from_db()
    assert site.settings["thresholds"]["THREAT"] == {"hold": 0.734, "reject": 0.9}
    reset = c.post(settings_url(site), {"op": "thresholds_reset"})
    assert reset.status_code == 200
    site.refresh_from_db()
    assert "thresholds" not in site.settings


def test_publishing_section_sets_limits_and_leaves_thresholds_alone(site, site_admin):
    site.settings = {"thresholds": {"THREAT": {"hold": 0.5, "reject": 0.9}}}
    site.save()
    form = {
        "op": "publishing",
        "premoderation": "all",
        "new_commenter_threshold": "2",
        "max_links": "1",
        "max_comment_length": "800",
        "edit_window_minutes": "5",
        "rate_limit_per_minute": "3",
        "ip_rate_limit_per_minute": "40",
    }
    c = client_for(site_admin)
    assert c.post(settings_url(site), form).status_code == 200
    site.refresh_from_db()
    assert (site.premoderation, site.max_links, site.max_comment_length) == ("all", 1, 800)
    assert (site.edit_window_seconds, site.rate_limit_per_minute) == (300, 3)
    assert site.ip_rate_limit_per_minute == 40
    assert site.settings["thresholds"] == {"THREAT": {"hold": 0.5, "reject": 0.9}}
    entry = AuditEntry.objects.filter(action="site.settings").latest("id")
    assert entry.data["before"]["max_comment_length"] == 5000
    assert entry.data["after"]["edit_window_minutes"] == 5
    bad = c.post(settings_url(site), {**form, "max_comment_length": "0"})
    assert bad.status_code == 400 and "max comment length must be a number" in bad.content.decode()
    site.refresh_from_db()
    assert site.max_comment_length == 800


# --- word rules ---------------------------------------------------------------------------------


def test_word_rules_table_add_edit_delete_audited(site, other_site, site_admin):
    c = client_for(site_admin)
    url = settings_url(site)
    resp = c.post(url, {"op": "rule_add", "new_phrases": "idiot\nmoron", "new_action": "hold"})
    assert resp.status_code == 200 and "2 word rules added" in resp.content.decode()
    idiot = WordRule.objects.get(site=site, phrase="idiot")
    page = c.get(url).content.decode()
    assert f'form="rule-form-{idiot.pk}" name="phrase" value="idiot"' in page

    edit = {"op": "rule_edit", "rule": idiot.pk, "phrase": "idiots", "action": "reject"}
    assert c.post(url, edit).status_code == 200
    idiot.refresh_from_db()
    assert (idiot.phrase, idiot.action) == ("idiots", "reject")
    duplicate = c.post(url, {**edit, "phrase": "moron"})
    assert duplicate.status_code == 409
    idiot.refresh_from_db()
    assert idiot.phrase == "idiots"

    # Another site's rule is not reachable from this site's page.
    foreign = WordRule.objects.create(site=other_site, phrase="foreign", action="hold")
    assert c.post(url, {"op": "rule_delete", "rule": foreign.pk}).status_code == 404
    assert WordRule.objects.filter(pk=foreign.pk).exists()

    assert c.post(url, {"op": "rule_delete", "rule": idiot.pk}).status_code == 200
    assert list(WordRule.objects.filter(site=site).values_list("phrase", flat=True)) == ["moron"]
    actions = list(
        AuditEntry.objects.filter(site=site, actor=site_admin)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["site.word_rule.added", "site.word_rule.changed", "site.word_rule.deleted"]
    deleted = AuditEntry.objects.get(action="site.word_rule.deleted")
    assert deleted.data["before"] == ["idiots", "reject"]
    assert "deleted a word rule" in c.get(url).content.decode()


def test_a_sentence_is_tested_with_the_pipelines_matcher(site, site_admin):
    WordRule.objects.create(site=site, phrase="idiot", action="hold")
    WordRule.objects.create(site=site, phrase="moron", action="reject")
    WordRule.objects.create(site=site, phrase="ass", action="hold")
    c = client_for(site_admin)
    sentence = "You m0r0n, what a classy iiidiot."
    resp = c.post(settings_url(site), {"op": "rule_test", "sentence": sentence})
    assert resp.status_code == 200
    result = resp.context["sentence"]
    assert [(m["phrase"], m["matched"]) for m in result["matches"]] == [
        ("moron", "m0r0n"),
        ("idiot", "iiidiot"),
    ]  # "classy" is not "ass": whole words only
    assert result["verdict"] == "reject"
    html = resp.content.decode()
    assert '<mark class="hl hl-rule">m0r0n</mark>' in html
    assert "would be <strong>rejected</strong>" in html
    # The decision pipeline says the same of this sentence.
    reasons = decide(Submission(site=site, body=sentence), dry_run=True).reasons
    rule_reasons = [(r["phrase"], r["matched"]) for r in reasons if r["code"].endswith("_word")]
    assert rule_reasons == [(m["phrase"], m["matched"]) for m in result["matches"]]
    # Nothing stored, nothing audited; a clean sentence says so.
    assert not AuditEntry.objects.filter(action__startswith="site.").exists()
    clean = c.post(settings_url(site), {"op": "rule_test", "sentence": "A classy assessment."})
    assert "No word rule matches" in clean.content.decode()
    escaped = c.post(settings_url(site), {"op": "rule_test", "sentence": "<b>idiot</b>"})
    assert "<b>" not in escaped.content.decode().split('id="rule-test-result"')[1]


# --- embedding, guests, SSO -------------------------------------------------------------------


def test_origins_and_guests(site, site_admin):
    from civility.comments.actions import origin_allowed

    c = client_for(site_admin)
    form = {
        "op": "access",
        "allowed_origins": "https://News.Example/\n\nhttps://m.news.example",
        "allow_guests": "on",
        "allow_local_accounts": "on",
    }
    assert c.post(settings_url(site), form).status_code == 200
    site.refresh_from_db()
    assert site.allowed_origins == ["https://news.example", "https://m.news.example"]
    assert site.allow_guests and site.allow_local_accounts
    assert origin_allowed(site, "https://m.news.example")
    assert not origin_allowed(site, "https://evil.example")
    bad = c.post(settings_url(site), {**form, "allowed_origins": "news.example/path"})
    assert bad.status_code == 400 and "An origin looks like" in bad.content.decode()
    assert c.post(settings_url(site), {"op": "access", "allowed_origins": "*"}).status_code == 200
    site.refresh_from_db()
    assert site.allowed_origins == ["*"] and not site.allow_guests
    entry = AuditEntry.objects.filter(action="site.access").latest("id")
    assert entry.data["before"]["allow_guests"] is True
    assert entry.data["after"]["allow_guests"] is False


# --- members ------------------------------------------------------------------------------------


def test_members_invite_change_remove_audited(site, site_admin, make_user):
    c = client_for(site_admin)
    make_user("carla", email="Carla@News.Example")
    make_user("dev")
    resp = c.post(
        members_url(site), {"op": "add", "who": "carla@news.example", "role": "moderator"}
    )
    assert resp.status_code == 200 and "carla is now a moderator" in resp.content.decode()
    resp = c.post(members_url(site), {"op": "add", "who": "DEV", "role": "admin"})
    assert resp.status_code == 200
    roles = dict(SiteMembership.objects.filter(site=site).values_list("user__username", "role"))
    assert roles == {"admin_a": "admin", "carla": "moderator", "dev": "admin"}
    carla = SiteMembership.objects.get(user__username="carla").user

    again = c.post(members_url(site), {"op": "add", "who": "carla", "role": "admin"})
    assert again.status_code == 409 and "moderator here already" in again.content.decode()
    unknown = c.post(members_url(site), {"op": "add", "who": "nobody", "role": "moderator"})
    assert unknown.status_code == 404 and "Give their e-mail address" in unknown.content.decode()
    bad_role = c.post(members_url(site), {"op": "add", "who": "carla", "role": "owner"})
    assert bad_role.status_code == 400

    assert (
        c.post(members_url(site), {"op": "role", "user": carla.pk, "role": "admin"}).status_code
        == 200
    )
    assert c.post(members_url(site), {"op": "remove", "user": carla.pk}).status_code == 200
    assert not SiteMembership.objects.filter(site=site, user=carla).exists()
    entries = list(
        AuditEntry.objects.filter(site=site, action__startswith="site.member.")
        .order_by("id")
        .values_list("action", "target_user__username", "before", "after")
    )
    assert entries == [
        ("site.member.added", "carla", "", "moderator"),
        ("site.member.added", "dev", "", "admin"),
        ("site.member.role", "carla", "moderator", "admin"),
        ("site.member.removed", "carla", "admin", ""),
    ]
    page = c.get(members_url(site)).content.decode()
    assert "removed carla" in page and "dev" in page


def test_the_last_admin_cannot_be_removed_or_demoted(site, site_admin, moderator, make_user):
    c = client_for(site_admin)
    for form in (
        {"op": "remove", "user": site_admin.pk},
        {"op": "role", "user": site_admin.pk, "role": "moderator"},
    ):
        resp = c.post(members_url(site), form)
        assert resp.status_code == 409 and "last admin" in resp.content.decode()
    assert SiteMembership.objects.get(site=site, user=site_admin).role == "admin"
    assert "last admin" in c.get(members_url(site)).content.decode()
    # With a second admin, one may step down: they lose the page and go to the desk's index.
    c.post(members_url(site), {"op": "role", "user": moderator.pk, "role": "admin"})
    resp = c.post(members_url(site), {"op": "remove", "user": site_admin.pk})
    assert resp.status_code == 302 and resp["Location"] == "/moderate/"
    assert list(SiteMembership.objects.filter(site=site).values_list("user", "role")) == [
        (moderator.pk, "admin")
    ]


def test_members_of_another_site_are_out_of_reach(site, other_site, site_admin, other_moderator):
    c = client_for(site_admin)
    resp = c.post(members_url(site), {"op": "remove", "user": other_moderator.pk})
    assert resp.status_code == 404
    assert SiteMembership.objects.filter(site=other_site, user=other_moderator).exists()
    sso_elsewhere = other_moderator
    sso_elsewhere.sso_site = other_site
    sso_elsewhere.sso_id = "x1"
    sso_elsewhere.save()
    resp = c.post(
        members_url(site), {"op": "add", "who": sso_elsewhere.username, "role": "moderator"}
    )
    assert resp.status_code == 403
    assert not SiteMembership.objects.filter(site=site, user=sso_elsewhere).exists()


@pytest.mark.django_db(transaction=True)
def test_an_address_without_an_account_is_invited_by_mail(mailbox, site, site_admin):  # noqa: F811
    """A real SMTP server receives the invitation; its link sets a password; the desk opens."""
    from urllib.parse import urlsplit

    from civility.accounts.models import User

    c = client_for(site_admin)
    resp = c.post(
        members_url(site), {"op": "add", "who": "Nina@Paper.Example", "role": "moderator"}
    )
    assert resp.status_code == 200
    assert "Invitation mailed to nina@paper.example" in resp.content.decode()
    nina = User.objects.get(email="nina@paper.example")
    assert not nina.has_usable_password()
    assert SiteMembership.objects.get(site=site, user=nina).role == "moderator"
    assert "invited, no password yet" in c.get(members_url(site)).content.decode()

    drain()
    [message] = mailbox.wait_for("nina@paper.example")
    assert "moderator of Daily News" in mail_body(message)
    assert "/moderate/login/" in mail_body(message)
    path = urlsplit(link(message, "/accounts/reset/")).path
    stranger = Client()
    assert stranger.get(path).status_code == 200
    password = "harbour lights at dawn 7"
    done = stranger.post(path, {"new_password1": password, "new_password2": password})
    assert done.status_code == 200
    nina.refresh_from_db()
    assert nina.check_password(password)

    desk = Client()
    signed_in = desk.post(
        "/moderate/login/", {"username": "nina@paper.example", "password": password}
    )
    assert signed_in.status_code == 302
    assert desk.get(f"/moderate/{site.slug}/").status_code == 200
    assert desk.get(settings_url(site)).status_code == 403  # a moderator, not an admin

    # The link worked once; with a password set there is nothing to mail again.
    assert stranger.get(path).status_code == 400
    again = c.post(members_url(site), {"op": "resend", "user": nina.pk})
    assert again.status_code == 409
    assert list(
        AuditEntry.objects.filter(action="site.member.invited").values_list(
            "target_user__email", "after"
        )
    ) == [("nina@paper.example", "moderator")]
