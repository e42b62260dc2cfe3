"""Stage 2 of the cascade at serving time: the fine-tuned MiniLM-L6 (int8 ONNX) via onnxruntime.

Trained by `civility.training.encoder`; no torch here. Input is the normalized text (the same
`normalize()` as stage 1), [CLS] + WordPiece ids + [SEP], at most ``max_len`` pieces.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Pieces per text the encoder reads; longer comments are judged on their start (plus stage 1,
# which reads MAX_CHARS of them).
DEFAULT_MAX_LEN = 64
BATCH = 32


class EncoderStage:
    """Sequence logits (n, attributes) and per-piece span logits for normalized texts."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_len: int = DEFAULT_MAX_LEN):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        # A web worker scores in its request thread: do not let idle ORT threads spin on the
        # cores other requests need. CIVILITY_ENCODER_THREADS caps the threads (0 = ORT default).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.intra_op_num_threads = int(os.environ.get("CIVILITY_ENCODER_THREADS", "0"))
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(onnx_path), opts, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.outputs = int(self.session.get_outputs()[0].shape[1])  # attributes
        self.max_len = max_len
        self.cls: int = self.tokenizer.token_to_id("[CLS]") or 0
        self.sep: int = self.tokenizer.token_to_id("[SEP]") or 0

    def run(
        self, norm_texts: list[str]
    ) -> tuple[np.ndarray, list[tuple[list[tuple[int, int]], np.ndarray]]]:
        """(sequence logits, per text: (piece offsets in the normalized text, piece logits))."""
        n = len(norm_texts)
        encs = self.tokenizer.encode_batch([t[:3000] for t in norm_texts], add_special_tokens=False)
        k = self.max_len - 2
        ids = [[self.cls, *e.ids[:k], self.sep] for e in encs]
        seq = np.zeros((n, self.outputs), np.float32)
        pieces: list[tuple[list[tuple[int, int]], np.ndarray]] = [([], np.zeros(0))] * n
        order = np.argsort([len(r) for r in ids], kind="stable")  # little padding per batch
        for b in range(0, n, BATCH):
            idx = order[b : b + BATCH]
            width = max(len(ids[i]) for i in idx)
            x = np.zeros((len(idx), width), np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for r, i in enumerate(idx):
                x[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            s, t = self.session.run(None, {"input_ids": x, "attention_mask": mask})
            seq[idx] = s
            for r, i in enumerate(idx):
                m = len(ids[i]) - 2
                pieces[i] = (list(encs[i].offsets[:m]), t[r, 1 : 1 + m])
        return seq, pieces
