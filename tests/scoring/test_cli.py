from __future__ import annotations

import json
from pathlib import Path

from civility.scoring.cli import score_main
from civility.training.bench_scoring import RandomBertBase, bench_main


def test_score_text(capsys) -> None:  # type: ignore[no-untyped-def]
    assert score_main(["You are an idiot", "--jsonl"]) == 0
    out = json.loads(capsys.readouterr().out.splitlines()[0])
    assert out["scores"]["TOXICITY"] > 0.5
    assert out["language"] == "en"
    assert any(s["attribute"] == "TOXICITY" for s in out["spans"])


def test_score_file_jsonl(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"text": "hello neighbours"}) + "\nplain line, you moron\n")
    assert score_main(["--file", str(f)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["hello neighbours", "plain line, you moron"]
    assert rows[1]["scores"]["TOXICITY"] > rows[0]["scores"]["TOXICITY"]


def test_human_readable_output(capsys) -> None:  # type: ignore[no-untyped-def]
    assert score_main(["Shut up, you pathetic moron."]) == 0
    out = capsys.readouterr().out
    assert "TOXICITY" in out and "span TOXICITY" in out


def test_bench_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    # Small run, no timing asserts: only that it reports the figures.
    assert bench_main(["-n", "64", "--single", "5", "--no-bert", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    for k in (
        "comments_per_s_batched",
        "single_p50_ms",
        "single_p99_ms",
        "cold_load_s",
        "rss_mb",
        "artifact_mb",
    ):
        assert res[k] > 0
    assert res["cpu"] and res["cpu"] != "unknown"  # figures only compare on one CPU
    table = res.get("routing_on_wikipedia_comments")
    if table:  # the Wikipedia comments are in ../shared/datasets
        shares = [row["routed_share"] for row in table]
        assert shares == sorted(shares, reverse=True) and shares[0] > shares[-1]
        assert all(0.5 < row["auc_vs_perspective"] <= 1 for row in table)


def test_random_bert_base_shapes() -> None:
    import numpy as np

    bert = RandomBertBase(layers=1, hidden=64, heads=4, ffn=128, vocab=100)
    out = bert(np.array([[1, 2, 3], [4, 5, 0]]), np.array([[1, 1, 1], [1, 1, 0]]))
    assert out.shape == (2, 6)
