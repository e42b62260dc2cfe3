"""Stage 2's input encoding and determinism (serving side, no torch)."""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from civility.scoring import Scorer
from civility.scoring.encoder import load_tokenizer, wordpieces
from civility.scoring.normalize import normalize


def _tokenizer(scorer: Scorer) -> Tokenizer:
    return load_tokenizer(scorer.path / "tokenizer.json")


def test_identity_terms_become_one_unknown_piece(scorer: Scorer) -> None:
    tok = _tokenizer(scorer)
    unk, cls, sep = tok.token_to_id("[UNK]"), tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    text = normalize("Curse on the Jews and African Americans, said nobody.").text
    [(ids, offsets)] = wordpieces(tok, [text], 64, blind_version=2)
    assert ids[0] == cls and ids[-1] == sep
    unks = [offsets[i] for i, t in enumerate(ids) if t == unk]
    assert [text[s:e] for s, e in unks] == ["jews", "african americans"]
    [(plain, _)] = wordpieces(tok, [text], 64, blind_version=0)
    assert unk not in plain and len(plain) > len(ids)


def test_long_text_is_cut_to_max_len(scorer: Scorer) -> None:
    tok = _tokenizer(scorer)
    [(ids, offsets)] = wordpieces(tok, ["word " * 500], 64)
    assert len(ids) == len(offsets) == 64


def test_a_comment_scores_the_same_alone_and_in_any_batch(scorer: Scorer) -> None:
    assert scorer.encoder is not None
    texts = [
        normalize(t).text
        for t in (
            "You are a brainless idiot.",
            "They are rats to be exterminated.",
            "ok",
            "The council meets on Tuesday to discuss the new school budget, the mayor said in a "
            "long statement to reporters outside the town hall.",
        )
    ]
    batch, pieces = scorer.encoder.run(texts)
    for i, t in enumerate(texts):
        alone, alone_pieces = scorer.encoder.run([t])
        np.testing.assert_array_equal(alone[0], batch[i])
        np.testing.assert_array_equal(alone_pieces[0][1], pieces[i][1])


def test_threads_do_not_change_scores_or_order(scorer: Scorer) -> None:
    """A batch spreads its texts over worker threads; each text still gets its own score, in
    its own row, as when one thread scores them all."""
    encoder = scorer.encoder
    assert encoder is not None
    texts = [normalize(f"Comment {i}: " + "you idiot " * (i % 7)).text for i in range(41)]
    workers = encoder.workers
    try:
        encoder.workers = 1
        one, one_pieces = encoder.run(texts)
        encoder.workers = 3
        three, three_pieces = encoder.run(texts[::-1])
    finally:
        encoder.workers = workers
    np.testing.assert_array_equal(one, three[::-1])
    for a, b in zip(one_pieces, three_pieces[::-1], strict=True):
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[1], b[1])
    assert len({tuple(r) for r in one.round(4)}) > 5  # the texts really differ
