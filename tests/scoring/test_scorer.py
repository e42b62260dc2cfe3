"""Behaviour of the real shipped artifact: things that can fail."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from civility.scoring import ATTRIBUTES, Scorer, ScoreResult, Span
from civility.training.metrics import roc_auc

NEWS = [
    "The army said five soldiers were killed in clashes near the border.",
    "Militants killed five soldiers in an ambush on Monday, officials said.",
    "Police said three people were shot dead in the robbery.",
    "He was sentenced to death for the 2019 killings.",
    "The explosion killed eight workers at the plant.",
]
HATEFUL = [
    ("They are rats to be exterminated.", "DEHUMANIZATION"),
    ("Those people are vermin and should be wiped off the map.", "DEHUMANIZATION"),
    ("Muslims are subhuman savages.", "DEHUMANIZATION"),
    ("Curse on the Jews.", "IDENTITY_ATTACK"),
    ("I'll kill you and your kids.", "THREAT"),
    ("Kill them all.", "THREAT"),
    ("Somebody should shoot that judge.", "THREAT"),
]
CLEAN = [
    "Great article, thanks for the careful reporting.",
    "I strongly disagree with this column; the author ignores the evidence.",
    "The council meets on Tuesday to discuss the new school budget.",
    "The library extended its opening hours for the exam season.",
]
TOXIC = [
    "You are a brainless idiot.",
    "Shut your mouth, you fucking loser.",
    "What a moronic take, you absolute clown.",
    "Go to hell, you pathetic moron.",
]


def test_public_api_shape(scorer: Scorer) -> None:
    assert ATTRIBUTES == (
        "TOXICITY",
        "SEVERE_TOXICITY",
        "INSULT",
        "PROFANITY",
        "THREAT",
        "IDENTITY_ATTACK",
        "DEHUMANIZATION",
    )
    assert scorer.version.startswith("civility-tox-")
    r = scorer.score_one("hello there")
    assert isinstance(r, ScoreResult)
    assert set(r.scores) == set(ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in r.scores.values())
    assert r.language == "en"
    assert scorer.score([]) == []


def test_batch_and_single_agree(scorer: Scorer) -> None:
    texts = NEWS + CLEAN + TOXIC + [h for h, _ in HATEFUL] + ["", "   ", "😀" * 50]
    batch = scorer.score(texts)
    for t, b in zip(texts, batch, strict=False):
        s = scorer.score_one(t)
        for a in ATTRIBUTES:
            assert s.scores[a] == pytest.approx(b.scores[a], abs=1e-5)
        assert s.spans == b.spans


@pytest.mark.parametrize("text", NEWS)
def test_news_language_about_violence_scores_low(scorer: Scorer, text: str) -> None:
    r = scorer.score_one(text)
    assert r.scores["TOXICITY"] < scorer.thresholds["TOXICITY"], r.scores
    assert r.scores["THREAT"] < scorer.thresholds["THREAT"], r.scores


@pytest.mark.parametrize(("text", "attr"), HATEFUL)
def test_dehumanization_threats_group_attacks_score_high(
    scorer: Scorer, text: str, attr: str
) -> None:
    r = scorer.score_one(text)
    assert r.scores["TOXICITY"] >= scorer.thresholds["TOXICITY"], r.scores
    assert r.scores[attr] >= scorer.thresholds[attr], r.scores


def test_clear_toxic_ranks_above_clean(scorer: Scorer) -> None:
    tox = [r.scores["TOXICITY"] for r in scorer.score(TOXIC + [h for h, _ in HATEFUL])]
    clean = [r.scores["TOXICITY"] for r in scorer.score(CLEAN + NEWS)]
    assert min(tox) > max(clean)


@pytest.mark.parametrize(
    ("plain", "variants"),
    [
        (
            "you are an idiot",
            [
                "you are an I D I O T",
                "you are an 1d10t",
                "you are an iiidiot",
                "you are an ｉｄｉｏｔ",
                "you are an іdіоt",
                "you are an idi\u200bot",
            ],
        ),
        ("shut up you moron", ["shut up you m o r o n", "shut up you m0r0n", "SHUT UP YOU MORON"]),
    ],
)
def test_normalization_variants_score_like_plain(
    scorer: Scorer, plain: str, variants: list[str]
) -> None:
    base = scorer.score_one(plain).scores["TOXICITY"]
    for v in variants:
        assert scorer.score_one(v).scores["TOXICITY"] == pytest.approx(base, abs=0.02), v


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("You are a stupid idiot and everyone knows it.", "idiot"),
        ("Shut up, you pathetic moron.", "moron"),
        ("This guy is a complete fucking asshole.", "asshole"),
    ],
)
def test_spans_fall_on_offending_words(scorer: Scorer, text: str, word: str) -> None:
    r = scorer.score_one(text)
    tox = [s for s in r.spans if s.attribute == "TOXICITY"]
    assert tox, r
    covered = {i for s in tox for i in range(s.start, s.end)}
    i = text.index(word)
    assert set(range(i, i + len(word))) <= covered
    # Nothing outside the offending phrase: "everyone", "this guy" are not highlighted.
    assert all(text[s.start : s.end].strip() for s in tox)
    assert not any("everyone" in text[s.start : s.end] for s in tox)


def test_spans_use_original_offsets_after_normalization(scorer: Scorer) -> None:
    text = "Honestly you are a total I D I O T."
    spans = [s for s in scorer.score_one(text).spans if s.attribute == "TOXICITY"]
    assert any(text[s.start : s.end] == "I D I O T" for s in spans), spans
    assert all(isinstance(s, Span) for s in spans)


def test_no_spans_on_clean_text(scorer: Scorer) -> None:
    for r in scorer.score(CLEAN + NEWS):
        assert r.spans == []


def test_heldout_own_set(scorer: Scorer, heldout: list[dict[str, Any]]) -> None:
    """Our held-out set (never trained on): every attribute separates well."""
    res = scorer.score([d["text"] for d in heldout])
    for a in ("TOXICITY", "THREAT", "IDENTITY_ATTACK", "DEHUMANIZATION"):
        y = np.array([d["labels"][a] for d in heldout])
        p = np.array([r.scores[a] for r in res])
        assert roc_auc(y, p) >= 0.85, a


def test_reporting_a_quoted_chant_scores_below_endorsing_it(
    scorer: Scorer, heldout: list[dict[str, Any]]
) -> None:
    """Held-out rows that quote the same chant (double quotes), per held-out group: reporting and
    condemning it must score below chanting along. Quotation marks alone must not be a pass."""
    chants = [d for d in heldout if '"' in d["text"] and "death to" in d["text"].lower()]
    reported = [d["text"] for d in chants if not d["labels"]["TOXICITY"]]
    endorsed = [d["text"] for d in chants if d["labels"]["TOXICITY"]]
    assert len(reported) == len(endorsed) >= 8
    low = scorer.score(reported)
    high = scorer.score(endorsed)
    for r, e, rt, et in zip(low, high, reported, endorsed, strict=True):
        assert r.scores["TOXICITY"] < e.scores["TOXICITY"], (rt, et)
        assert r.scores["THREAT"] < e.scores["THREAT"], (rt, et)


def test_non_english_is_flagged(scorer: Scorer) -> None:
    assert (
        scorer.score_one("Le conseil a voté pour la fermeture de la bibliothèque.").language == "fr"
    )


def test_default_is_shared_and_thread_safe() -> None:
    got: list[Scorer] = []
    threads = [threading.Thread(target=lambda: got.append(Scorer.default())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in got}) == 1


def test_long_and_odd_inputs(scorer: Scorer) -> None:
    res = scorer.score(["a" * 20000, "\u200b" * 10, "idiot " * 2000, "\x00\x01", "👍"])
    assert len(res) == 5
    for r in res:
        for s in r.spans:
            assert 0 <= s.start < s.end


IDENTITY_NEUTRAL = [
    "My sister is a lesbian and a firefighter.",
    "The mosque invited Jewish and Christian neighbours to the iftar dinner.",
    "Our mayor is a gay man who grew up on a farm.",
    "Black residents make up a third of the district.",
    "The synagogue's choir sang at the memorial.",
    "She is a deaf teacher at the primary school.",
]


def test_neutral_identity_mentions_score_below_threshold(scorer: Scorer) -> None:
    for r, t in zip(scorer.score(IDENTITY_NEUTRAL), IDENTITY_NEUTRAL, strict=True):
        assert r.scores["TOXICITY"] < scorer.thresholds["TOXICITY"], (t, r.scores)
        assert r.scores["IDENTITY_ATTACK"] < 0.5, (t, r.scores)


def test_shipped_artifact_has_its_second_stage(scorer: Scorer) -> None:
    assert scorer.encoder is not None, "the shipped artifact should carry encoder.onnx"
    size = sum(f.stat().st_size for f in scorer.path.iterdir() if f.is_file())
    assert size <= 60 * 10**6  # the budget in the artifact folder's POLICY.md


def test_stage2_rescores_only_what_stage1_does_not_clear(scorer: Scorer) -> None:
    plain = Scorer.load(stage2=False)
    texts = NEWS + CLEAN + TOXIC + [h for h, _ in HATEFUL]
    both, first = scorer.score(texts), plain.score(texts)
    routed = 0
    for b, f in zip(both, first, strict=True):
        if f.scores["TOXICITY"] < scorer.route_from:
            assert b.scores == f.scores
        else:
            routed += 1
            assert b.scores != f.scores
    assert routed >= len(TOXIC) + len(HATEFUL)


def test_routing_point_decides_what_stage2_rescores(scorer: Scorer) -> None:
    texts = NEWS + CLEAN + TOXIC + [h for h, _ in HATEFUL]
    first = Scorer.load(stage2=False).probabilities(texts)
    # Nothing routed: stage 1's scores exactly.
    np.testing.assert_array_equal(Scorer.load(route_from=1.0).probabilities(texts), first)
    # Everything routed: texts past the shipped point score as shipped, the others change.
    every = Scorer.load(route_from=0.0).probabilities(texts)
    shipped = scorer.probabilities(texts)
    past = first[:, 0] >= scorer.route_from
    assert past.any() and (~past).any()
    np.testing.assert_array_equal(every[past], shipped[past])
    assert (every[~past] != first[~past]).any(axis=1).all()


def test_stage2_lifts_what_stage1_misses(scorer: Scorer) -> None:
    """Insults without a swear word are where the fine-tuned encoder adds most."""
    plain = Scorer.load(stage2=False)
    texts = [
        "Nobody with half a brain would write something this stupid.",
        "You people are a disease on this country.",
        "Go back to the sewer you crawled out of.",
    ]
    got = [r.scores["TOXICITY"] for r in scorer.score(texts)]
    assert np.mean(got) > np.mean([r.scores["TOXICITY"] for r in plain.score(texts)])
