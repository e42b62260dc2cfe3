"""The serving side: loads an artifact folder and scores texts with numpy + tokenizers only."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from civility.scoring.constants import ScoreResult, Span
from civility.scoring.encoder import EncoderStage
from civility.scoring.features import Featurizer
from civility.scoring.language import detect_language, warm
from civility.scoring.normalize import Normalized, normalize

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_ARTIFACT = ARTIFACTS_DIR / "civility-tox"

_default_lock = threading.Lock()
_default: Scorer | None = None


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Scorer:
    """Scores comments for the seven ATTRIBUTES and finds the spans that drive high scores.

    Stage 1 (always): hashed word-piece + char n-gram logistic heads. Stage 2 (when the
    artifact has ``encoder.onnx``): a fine-tuned MiniLM-L6 re-scores every text whose stage-1
    TOXICITY reaches ``cascade.route_from`` (or the span gate); its logits are blended with
    stage 1's per attribute. Spans come from token heads trained on Toxic Spans (SemEval-2021),
    mapped back to the original text's offsets.
    """

    def __init__(
        self,
        path: Path,
        config: dict[str, Any],
        arrays: dict[str, np.ndarray],
        stage2: bool = True,
        route_from: float | None = None,
        encoder_threads: int = 0,
    ) -> None:
        self.path = path
        self.config = config
        self.version: str = config["version"]
        self.attributes: tuple[str, ...] = tuple(config["attributes"])
        self.featurizer = Featurizer.from_file(
            str(path / "tokenizer.json"),
            config["bits"],
            config["span_bits"],
            bool(config.get("blind_identity", False)),
            int(config.get("blind_version", 1)),  # identity-term list the artifact was trained with
        )
        # float16 on disk to keep the artifact small; float32 in memory for speed.
        self.doc_w = arrays["doc_w"].astype(np.float32)
        self.doc_b = arrays["doc_b"].astype(np.float32)
        self.idf = arrays["idf"].astype(np.float32)
        self.span_w = arrays["span_w"].astype(np.float32)
        self.span_b = float(arrays["span_b"])
        sd = arrays.get("span_dense_w")
        self.span_dense_w = None if sd is None else sd.astype(np.float32)
        self.cascade: dict[str, Any] | None = config.get("cascade") if stage2 else None
        # With stage 2, its blended scores have their own thresholds and span settings.
        use = self.cascade or {}
        self.thresholds: dict[str, float] = dict(use.get("thresholds", config["thresholds"]))
        span_cfg = use.get("span", config["span"])
        self.span_token_threshold = float(span_cfg["token_threshold"])
        self.span_doc_threshold = float(span_cfg["doc_threshold"])
        self.span_join_gap = int(span_cfg.get("join_gap", 1))
        self.encoder: EncoderStage | None = None
        if self.cascade is not None:
            if not (path / "encoder.onnx").exists():
                raise FileNotFoundError(f"{path} configures a cascade but has no encoder.onnx")
            self.encoder = EncoderStage(
                path / "encoder.onnx",
                path / "tokenizer.json",
                int(self.cascade["max_len"]),
                int(self.cascade.get("blind_version", 0)),
                workers=encoder_threads,
                outputs=len(self.attributes),
            )
            self.alpha = np.array(
                [float(self.cascade["alpha"].get(a, 0.0)) for a in self.attributes], np.float32
            )
            # The artifact's routing point (chosen on validation) unless the caller sets one.
            self.route_from = float(
                self.cascade["route_from"] if route_from is None else route_from
            )
            self.span_beta = float(self.cascade.get("span_beta", 0.0))

    # ------------------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        stage2: bool = True,
        route_from: float | None = None,
        encoder_threads: int = 0,
    ) -> Scorer:
        """Load an artifact folder (default: the one shipped inside the package).

        ``stage2=False`` serves stage 1 alone (faster, lower quality; see the model card).
        ``route_from`` overrides the stage-1 TOXICITY from which stage 2 re-scores a comment:
        higher is faster and weaker (the model card's Speed section measures both).
        ``encoder_threads`` spreads a batch's stage-2 runs over that many threads (0: the CPU
        count). The library reads no environment: the server passes its settings here."""
        p = Path(path) if path is not None else DEFAULT_ARTIFACT
        with open(p / "config.json", encoding="utf-8") as fh:
            config = json.load(fh)
        with np.load(p / "model.npz") as z:
            arrays = {k: z[k] for k in z.files}
        warm()  # the language guess's model, so a first comment does not wait for it
        return cls(p, config, arrays, stage2, route_from, encoder_threads)

    @classmethod
    def default(cls) -> Scorer:
        """Process-wide shared instance, loaded on first use (thread-safe)."""
        global _default
        if _default is None:
            with _default_lock:
                if _default is None:
                    _default = cls.load()
        return _default

    # ------------------------------------------------------------------------------ scoring
    def logits(self, norm_texts: list[str], encodings: list[Any] | None = None) -> np.ndarray:
        """Raw stage-1 logits (n, len(ATTRIBUTES)) for already-normalized texts."""
        if encodings is None:
            encodings = self.featurizer.encode(norm_texts)
        f = self.featurizer.doc_features(norm_texts, encodings)
        n = f.n_docs
        out = np.tile(self.doc_b, (n, 1))
        if len(f.rows) == 0:
            return out
        v = self.idf[f.cols]
        norms = np.sqrt(np.bincount(f.rows, weights=v * v, minlength=n))
        v = v / norms[f.rows]
        contrib = self.doc_w[f.cols] * v[:, None]
        starts = np.flatnonzero(np.r_[True, f.rows[1:] != f.rows[:-1]])
        out[f.rows[starts]] += np.add.reduceat(contrib, starts, axis=0)
        return out

    def word_dense(self, norm_texts: list[str], encodings: list[Any]) -> np.ndarray:
        """Dense span-head features per word piece: the document heads' logits of the piece's
        whole word scored alone (a lexical prior learned from every training document)."""
        total = sum(len(e.ids) for e in encodings)
        out = np.zeros((total, len(self.attributes)), np.float32)
        if total == 0:
            return out
        index: dict[str, int] = {}
        tok_word = np.zeros(total, np.int64)
        k = 0
        for text, e in zip(norm_texts, encodings, strict=False):
            bounds: dict[int, tuple[int, int]] = {}
            for w, (s, t) in zip(e.word_ids, e.offsets, strict=False):
                if w is not None:
                    b = bounds.get(w)
                    bounds[w] = (s, t) if b is None else (b[0], t)
            for w in e.word_ids:
                word = text[bounds[w][0] : bounds[w][1]] if w is not None else ""
                tok_word[k] = index.setdefault(word, len(index))
                k += 1
        words = list(index)
        z = np.clip(self.logits(words), -8.0, 8.0) / 4.0
        return z[tok_word].astype(np.float32)

    def token_probs(
        self, encodings: list[Any], norm_texts: list[str] | None = None
    ) -> list[np.ndarray]:
        """Span-head probability per word piece, split per document."""
        rows, cols, total = self.featurizer.token_features(encodings)
        if total == 0:
            return [np.zeros(0, np.float32) for _ in encodings]
        z = np.bincount(rows, weights=self.span_w[cols], minlength=total) + self.span_b
        if self.span_dense_w is not None and norm_texts is not None:
            z = z + self.word_dense(norm_texts, encodings) @ self.span_dense_w
        p = _sigmoid(z)
        bounds = np.cumsum([len(e.ids) for e in encodings])[:-1]
        return np.split(p, bounds)

    def cascade_logits(
        self,
        norm_texts: list[str],
        encodings: list[Any] | None = None,
        span_gate: float = 1.0,
    ) -> tuple[np.ndarray, dict[int, tuple[list[tuple[int, int]], np.ndarray]]]:
        """Final logits (n, attributes) of normalized texts, and for each text stage 2 read:
        its pieces' offsets and span probabilities. Stage 2 reads every text whose stage-1
        TOXICITY reaches ``route_from`` (or ``span_gate``, so highlighted texts get its spans)."""
        z = self.logits(norm_texts, encodings)
        pieces: dict[int, tuple[list[tuple[int, int]], np.ndarray]] = {}
        if self.encoder is not None:
            routed = np.flatnonzero(_sigmoid(z[:, 0]) >= min(self.route_from, span_gate))
            if len(routed):
                z2, tok = self.encoder.run([norm_texts[i] for i in routed])
                z[routed] += self.alpha * (z2 - z[routed])
                for i, (offsets, logit) in zip(routed, tok, strict=True):
                    pieces[int(i)] = (offsets, _sigmoid(logit))
        return z, pieces

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, attributes) probabilities, no spans (evaluation and bulk scoring)."""
        if not texts:
            return np.zeros((0, len(self.attributes)), np.float32)
        return _sigmoid(self.cascade_logits([normalize(t).text for t in texts])[0])

    def score(self, texts: list[str], span_gate: float | None = None) -> list[ScoreResult]:
        """Score a batch of texts (the fast path: one vectorized pass for the whole batch).

        Spans are computed only for texts whose TOXICITY reaches ``span_gate`` (default: the
        TOXICITY threshold), so clean text is never highlighted. The SemEval evaluation passes
        a low gate because every post of that task is toxic by construction.
        """
        if not texts:
            return []
        norms = [normalize(t) for t in texts]
        norm_texts = [n.text for n in norms]
        encodings = self.featurizer.encode(norm_texts)
        gate = self.thresholds.get("TOXICITY", 0.5) if span_gate is None else span_gate
        z, pieces = self.cascade_logits(norm_texts, encodings, gate)
        probs = _sigmoid(z)
        tox = probs[:, 0]
        need = [i for i in range(len(texts)) if tox[i] >= gate]
        tok_probs = (
            self.token_probs([encodings[i] for i in need], [norm_texts[i] for i in need])
            if need
            else []
        )
        spans_by_doc: dict[int, list[Span]] = {}
        for i, tp in zip(need, tok_probs, strict=False):
            spans_by_doc[i] = self._spans(norms[i], encodings[i], tp, probs[i], pieces.get(i))
        results = []
        for i, t in enumerate(texts):
            scores = {a: round(float(probs[i, j]), 6) for j, a in enumerate(self.attributes)}
            results.append(ScoreResult(scores, spans_by_doc.get(i, []), detect_language(t)))
        return results

    def score_one(self, text: str) -> ScoreResult:
        """Score a single text."""
        return self.score([text])[0]

    # ------------------------------------------------------------------------------- spans
    def attribute_spans(self, text: str, result: ScoreResult) -> dict[str, list[Span]]:
        """Per attribute, ``result``'s offending spans of ``text`` scored for that attribute.

        `score` finds one set of offending spans (the span head learned from Toxic Spans, which
        marks what makes a comment toxic, not which kind of toxicity) and gives each span the
        head's probability under every attribute whose document score passes its threshold.
        Here each span gets a score of its own per attribute:

            score(span, a) = h(span) * min(1, P(a) / P(TOXICITY)) * w(span, a)

        - h(span): the span head's probability that the span is offending, as in `score`;
        - min(1, P(a) / P(TOXICITY)): how much of the comment's toxicity is of kind ``a``, from
          the document scores (every attribute is a kind of toxicity, so P(a) is about
          P(a and toxic) and the ratio estimates P(a | toxic)); 1 for TOXICITY;
        - w(span, a): which of the comment's spans carries ``a``: stage 1's document head for
          ``a`` read on the span's words alone, divided by its highest value over the comment's
          spans (1 for that span, and whenever a comment has one span). TOXICITY keeps w = 1,
          since the span head already ranks spans for toxicity.

        So an insult's span scores high for INSULT and near zero for THREAT, and in "you idiot,
        I will kill you" INSULT is highest on "idiot" and THREAT on "kill". TOXICITY's scores
        are the head's, as in ``result.spans``. The cost is one stage-1 pass over the spans'
        words (numpy, no stage 2), so it works the same with stage 2 off. No spans in
        ``result`` (clean text): an empty dict.
        """
        heads: dict[tuple[int, int], float] = {}
        for s in result.spans:
            heads[(s.start, s.end)] = max(heads.get((s.start, s.end), 0.0), float(s.score))
        if not heads:
            return {}
        where = sorted(heads)
        lexical = _sigmoid(self.logits([normalize(text[a:b]).text for a, b in where]))
        top = np.maximum(lexical.max(axis=0), 1e-12)
        tox = max(float(result.scores.get("TOXICITY", 0.0)), 1e-6)
        out: dict[str, list[Span]] = {}
        for j, attr in enumerate(self.attributes):
            share = 1.0 if attr == "TOXICITY" else min(1.0, result.scores[attr] / tox)
            spans = []
            for k, (a, b) in enumerate(where):
                weight = 1.0 if attr == "TOXICITY" else float(lexical[k, j] / top[j])
                spans.append(Span(a, b, attr, round(heads[(a, b)] * share * weight, 6)))
            out[attr] = spans
        return out

    def _blend_words(
        self,
        words: dict[int, tuple[int, int, float]],
        offsets: list[tuple[int, int]],
        probs: np.ndarray,
    ) -> dict[int, tuple[int, int, float]]:
        starts = np.array([s for s, _ in offsets])
        out = {}
        for w, (s, e, p1) in words.items():
            lo, hi = np.searchsorted(starts, s), np.searchsorted(starts, e)
            if hi > lo:
                p1 = (1 - self.span_beta) * p1 + self.span_beta * float(probs[lo:hi].max())
            out[w] = (s, e, p1)
        return out

    def _spans(
        self,
        norm: Normalized,
        enc: Any,
        tok_p: np.ndarray,
        doc_p: np.ndarray,
        stage2: tuple[list[tuple[int, int]], np.ndarray] | None = None,
    ) -> list[Span]:
        """Words whose span-head probability passes the threshold, merged across small gaps,
        mapped to the original text. Where the encoder read a word (``stage2``: its pieces'
        offsets and probabilities), the word's probability blends both heads by ``span_beta``.
        Each merged span is attributed to every attribute whose document score passes its
        threshold (TOXICITY at least)."""
        if len(tok_p) == 0:
            return []
        words: dict[int, tuple[int, int, float]] = {}
        for k, w in enumerate(enc.word_ids):
            if w is None:
                continue
            s, e = enc.offsets[k]
            if w in words:
                ws, we, wp = words[w]
                words[w] = (min(ws, s), max(we, e), max(wp, float(tok_p[k])))
            else:
                words[w] = (s, e, float(tok_p[k]))
        if stage2 is not None and len(stage2[1]):
            words = self._blend_words(words, *stage2)
        picked = sorted((s, e, p) for s, e, p in words.values() if p >= self.span_token_threshold)
        merged: list[list[float]] = []
        for s, e, p in picked:
            if (
                merged
                and s - merged[-1][1] <= self.span_join_gap
                and norm.text[int(merged[-1][1]) : s].strip() == ""
            ):
                merged[-1][1] = max(merged[-1][1], e)
                merged[-1][2] = max(merged[-1][2], p)
            else:
                merged.append([s, e, p])
        attrs = [
            a for j, a in enumerate(self.attributes) if doc_p[j] >= self.thresholds.get(a, 0.5)
        ] or ["TOXICITY"]
        out = []
        for s, e, p in merged:
            os_, oe = norm.to_original(int(s), int(e))
            for a in attrs:
                out.append(Span(os_, oe, a, round(p, 6)))
        return out
