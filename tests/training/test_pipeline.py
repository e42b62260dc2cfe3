"""Training and evaluation end to end on a tiny dataset written by the test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="training needs the [train] extra (scikit-learn)")
pytest.importorskip("scipy", reason="training needs the [train] extra (scipy)")

from civility.scoring import Scorer  # noqa: E402
from civility.training.train import TrainParams, train  # noqa: E402


def _train(tiny: dict[str, Path]) -> Scorer:
    params = TrainParams(
        version="civility-tox-test.0", bits=14, span_bits=12, C=10.0, own_weight=1.0
    )
    train(tiny["out"], tiny["config"], tiny["root"], params, log=lambda *_: None)
    return Scorer.load(tiny["out"])


def test_train_writes_a_loadable_artifact(tiny: dict[str, Path]) -> None:
    scorer = _train(tiny)
    assert scorer.version == "civility-tox-test.0"
    for f in ("config.json", "model.npz", "tokenizer.json"):
        assert (tiny["out"] / f).exists()
    tox, clean = scorer.score(["you stupid idiot", "thanks for the nice photos"])
    assert tox.scores["TOXICITY"] > clean.scores["TOXICITY"] + 0.2
    assert tox.scores["INSULT"] > clean.scores["INSULT"]
    # Attributes without positives get a constant low score, not an error.
    assert tox.scores["THREAT"] < 0.1
    cfg = scorer.config
    assert cfg["dataset_sha256"]["tiny"]["train.jsonl"]
    assert cfg["params"]["seed"] == 13


def test_training_is_deterministic(tiny: dict[str, Path]) -> None:
    a = _train(tiny)
    wa = a.doc_w.copy()
    b = _train(tiny)
    np.testing.assert_array_equal(wa, b.doc_w)


def test_serving_matches_training_features(tiny: dict[str, Path]) -> None:
    """The numpy serving path reproduces the training-time (scipy) decision function."""
    from civility.training.train import doc_matrix

    scorer = _train(tiny)
    texts = ["you stupid idiot", "the market opens today", "ＩＤＩＯＴ moron", ""]
    x, _ = doc_matrix(scorer.featurizer, texts, scorer.idf.astype(np.float16))
    want = x @ scorer.doc_w + scorer.doc_b
    from civility.scoring.normalize import normalize

    got = scorer.logits([normalize(t).text for t in texts])
    np.testing.assert_allclose(got, want, atol=1e-3)


def test_eval_writes_model_card(tiny: dict[str, Path]) -> None:
    from civility.training.evaluate import evaluate

    _train(tiny)
    res = evaluate(tiny["out"], tiny["config"], tiny["root"], with_peers=False, log=lambda *_: None)
    assert res["sets"]["tiny"]["TOXICITY"]["auc"] == 1.0
    assert 0.0 <= res["span_f1_semeval_test"] <= 1.0
    card = (tiny["out"] / "MODEL_CARD.md").read_text()
    assert "civility-tox-test.0" in card and "ROC-AUC" in card and "sha256" in card


def test_cli_train_and_eval(tiny: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    from civility.training.cli import train_main

    rc = train_main(
        [
            "--out",
            str(tiny["out"]),
            "--config",
            str(tiny["config"]),
            "--datasets",
            str(tiny["root"]),
            "--bits",
            "14",
            "--version",
            "civility-tox-cli.0",
            "--encoder-samples",
            "0",
        ]
    )
    assert rc == 0
    assert "span F1" in capsys.readouterr().out
    assert Scorer.load(tiny["out"]).version == "civility-tox-cli.0"
