"""Neutral statements about identity groups must not be held (issue 3: the 2026.11.1 model
flagged up to half of ToxiGen's neutral statements about some groups).

The sentences below were written for this test; they are in no training file (the test checks
that) and in no public evaluation set. They cover the groups and topics where the old model
failed: bisexuality and dating, immigration, disability and mental illness, Indigenous, Latino and
Middle Eastern communities, places of worship.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civility.scoring import Scorer
from civility.scoring.features import BLIND_VERSION, blind_identity

OWN = Path(__file__).resolve().parents[2] / "data" / "civility-own"

NEUTRAL_IDENTITY = [
    "My aunt is bisexual and coaches the under-twelve football team.",
    "Bisexual teenagers say school sex education rarely mentions them.",
    "He married his husband in a small ceremony by the lake.",
    "Coming out as bi at work was easier than I feared.",
    "The immigrant family down the road runs the best bakery in town.",
    "Immigration lawyers are offering free advice sessions at the library.",
    "Newcomers from abroad bring skills our hospitals badly need.",
    "The refugee children started school on Monday and already have friends.",
    "Latino musicians headline this year's summer festival.",
    "Hispanic small businesses employ thousands of people in the county.",
    "The Native American language class at the college is full.",
    "Indigenous elders shared stories of the river at the opening ceremony.",
    "People with mental illnesses deserve good care close to home.",
    "Mental illness affects one in five adults at some point.",
    "The theatre installed a hearing loop and wheelchair spaces for disabled visitors.",
    "City planners rarely ask people with physical disabilities what they need.",
    "The mosque's open day drew hundreds of curious neighbours.",
    "Muslim students organised a charity run for the children's hospital.",
    "The Middle East has some of the oldest cities in the world.",
    "Black entrepreneurs are opening shops on the high street again.",
    "Asian American history should be taught in our schools.",
    "Jewish and Muslim community leaders met to plan a joint memorial.",
    "Women make up half of the new police recruits.",
    "Our trans neighbour organised the street party this year.",
    "Immigrants get blamed for housing shortages that are really caused by too little building.",
    "It is a stereotype that disabled people cannot hold demanding jobs.",
    "Being gay is not a choice, and it is not a phase.",
    "Deaf actors should be cast in deaf roles.",
]


def test_neutral_identity_sentences_are_not_in_training_data() -> None:
    with open(OWN / "train.jsonl", encoding="utf-8") as fh:
        trained = {json.loads(line)["text"].lower() for line in fh if line.strip()}
    assert not trained & {t.lower() for t in NEUTRAL_IDENTITY}


def test_neutral_identity_statements_score_below_toxicity_hold_threshold(scorer: Scorer) -> None:
    t = scorer.thresholds["TOXICITY"]
    flagged = [
        (round(r.scores["TOXICITY"], 3), text)
        for r, text in zip(scorer.score(NEUTRAL_IDENTITY), NEUTRAL_IDENTITY, strict=True)
        if r.scores["TOXICITY"] >= t
    ]
    assert not flagged, f"held at TOXICITY >= {t}: {flagged}"


def test_shipped_artifact_uses_current_identity_blinding(scorer: Scorer) -> None:
    assert scorer.featurizer.blind
    assert scorer.featurizer.blind_version == BLIND_VERSION


def _blinded(text: str, version: int = BLIND_VERSION) -> str:
    return blind_identity(text, version).replace("\ue000", "#")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("women's rights", "####### rights"),
        ("the muslims' mosque", "the ######## ######"),
        ("people with disabilities", "people with ############"),
        ("mental illnesses", "################"),
        ("the middle east", "the ###########"),
        ("middle school", "middle school"),
        ("native  americans", "#################"),
        ("i am bi", "i am ##"),
        ("non-disabled peers", "non-######## peers"),
    ],
)
def test_identity_blinding_v2(text: str, expected: str) -> None:
    assert _blinded(text) == expected
    assert len(blind_identity(text)) == len(text)


def test_identity_blinding_v1_is_unchanged_for_old_artifacts() -> None:
    assert _blinded("women's rights in the middle east", 1) == "women's rights in the ###### east"
