"""Per-site Perspective calibration: fit on a publisher's logged scores, report, install, serve.

`civility perspective calibrate --from FILE` (civility.perspective.cli) reads the file
(civility.perspective.publisher_log), scores every text with the installed model, splits the rows
in two by a hash of the text (fit / test), fits per attribute a monotone map from Civility's score
to the publisher's Perspective score on the fit part (civility.perspective.fitting), and reports
on the test part, next to the global calibration, how well the calibrated scores agree with what
Perspective said: Spearman, mean absolute difference, and at the publisher's threshold the
precision and recall of Civility's flags against Perspective's, with examples both ways.

Installed (only with --install), the site's map serves comments:analyze for the site's API keys,
attribute by attribute where it agreed at least as well as the global calibration on the test
part (else the global one stays), and with --hold-thresholds the publisher's thresholds become the
site's hold thresholds on Civility's own scale (the moderation pipeline compares raw scores).

Numpy only: this runs where the server runs, without civility.training.
"""

from __future__ import annotations

import hashlib
import logging
import math
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from civility.perspective import engine, fitting
from civility.perspective.publisher_log import CALIBRATED, InputError, PublisherLog

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.8  # Coral's default, and what most integrations start from
MIN_PART = 100  # rows with a score an attribute needs in each of the fit and test parts
TEST_SHARE = 0.5
SCORE_BATCH = 64


def split_key(text: str) -> bytes:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).digest()


def test_mask(texts: list[str], share: float) -> np.ndarray:
    """True for the rows in the test part: the `share` of rows whose text hashes lowest.

    A hash of the text, not the file order: the same file always splits the same way, and a log
    sorted by date or score does not put one kind of comment in one part."""
    order = sorted(range(len(texts)), key=lambda i: split_key(texts[i]))
    mask = np.zeros(len(texts), dtype=bool)
    mask[order[: int(round(len(texts) * share))]] = True
    return mask


def score_texts(
    scorer: Any, texts: list[str], progress: Callable[[int, int], None] | None = None
) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {a: [] for a in CALIBRATED}
    for start in range(0, len(texts), SCORE_BATCH):
        for result in scorer.score(texts[start : start + SCORE_BATCH]):
            for attr in CALIBRATED:
                out[attr].append(float(result.scores[attr]))
        if progress:
            progress(min(start + SCORE_BATCH, len(texts)), len(texts))
    return {a: np.asarray(v) for a, v in out.items()}


def _metrics(ours: np.ndarray, theirs: np.ndarray, threshold: float) -> dict[str, Any]:
    rho = fitting.spearman(ours, theirs)
    return {
        "spearman": None if rho is None else round(rho, 4),
        "mae": round(float(np.abs(ours - theirs).mean()), 4),
        "at_threshold": fitting.agreement(ours, theirs, threshold).as_dict(),
    }


def _site_not_worse(site: dict[str, Any], glob: dict[str, Any]) -> bool:
    """The site map agrees at least as well: Spearman no lower, F1 at the threshold no lower,
    and on equal F1 a mean absolute difference no larger."""
    s_rho, g_rho = site["spearman"], glob["spearman"]
    if s_rho is not None and g_rho is not None and s_rho < g_rho - 1e-4:
        return False
    s_f1, g_f1 = site["at_threshold"]["f1"], glob["at_threshold"]["f1"]
    if abs(s_f1 - g_f1) > 1e-9:
        return bool(s_f1 > g_f1)
    return bool(site["mae"] <= glob["mae"])


def _clip(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def hold_for(kx: np.ndarray, ky: np.ndarray, threshold: float) -> float | None:
    """Civility's raw score from which the map reaches `threshold`, rounded up to the 4 decimals
    the moderation pipeline compares (so raw >= hold exactly when map(raw) >= threshold)."""
    x = fitting.inverse_map(kx, ky, threshold)
    if x is None:
        return None
    return min(1.0, math.ceil(round(x * 10_000, 6)) / 10_000)


def fit_site(
    data: PublisherLog,
    scorer: Any,
    thresholds: dict[str, float],
    *,
    test_share: float = TEST_SHARE,
    examples: int = 3,
    progress: Callable[[int, int], None] | None = None,
    raw_scores: dict[str, np.ndarray] | None = None,
    test: np.ndarray | None = None,
    split: str | None = None,
) -> dict[str, Any]:
    """Fit and test; the report as a dict (`render` prints it). Refuses (InputError) when no
    attribute has enough rows. `raw_scores` (Civility's, per attribute) and `test` (a mask over
    the rows, described by `split`) are for benchmarks that already have them."""
    texts = [r.text for r in data.rows]
    if test is None:
        test = test_mask(texts, test_share)
        split = f"sha256 of the text; the lowest {test_share:.0%} are the test part"
    too_few = _too_few(data, test)
    if len(too_few) == len(data.columns):  # say so before spending minutes scoring
        needs = "; ".join(f"{a}: {why}" for a, why in too_few.items())
        raise InputError(f"too little data to calibrate: {needs}")
    if raw_scores is None:
        raw_scores = score_texts(scorer, texts, progress)
    glob = engine.load_calibration(scorer.version)
    report: dict[str, Any] = {
        "file": str(data.path),
        "sha256": hashlib.sha256(data.path.read_bytes()).hexdigest(),
        "format": data.kind,
        "rows_used": len(data.rows),
        "skipped": {
            "non_english": len(data.non_english),
            "empty": len(data.empty),
            "no_score": len(data.unscored),
            "duplicates": len(data.duplicates_dropped),
        },
        "non_english_examples": [
            {"line": line, "language": lang, "text": _clip(text, 60)}
            for line, lang, text in data.non_english[:3]
        ],
        "columns": data.columns,
        "ignored_attributes": data.ignored_attributes,
        "ignored_columns": data.ignored_columns,
        "model_version": scorer.version,
        "global_calibration": sorted(glob.knots),
        "split": split,
        "test_share": round(float(test.mean()), 4),
        "attributes": {},
        "not_calibrated": {},
    }
    for attr in CALIBRATED:
        if attr not in data.columns:
            continue
        t = float(thresholds.get(attr, DEFAULT_THRESHOLD))
        if attr in too_few:
            report["not_calibrated"][attr] = too_few[attr]
            continue
        has = np.array([attr in r.scores for r in data.rows], dtype=bool)
        theirs = np.array([r.scores.get(attr, np.nan) for r in data.rows], dtype=float)
        fit_rows, test_rows = has & ~test, has & test
        n_fit, n_test = int(fit_rows.sum()), int(test_rows.sum())
        ours = raw_scores[attr]
        kx, ky = fitting.isotonic_knots(ours[fit_rows], theirs[fit_rows])
        kx, ky, cutoff = fitting.pin_threshold(kx, ky, ours[fit_rows], theirs[fit_rows], t)
        site_test = fitting.apply_map(kx, ky, ours[test_rows])
        if attr in glob.knots:
            gx, gy = glob.knots[attr]
        else:  # no global calibration for this model: the identity
            gx, gy = np.array([0.0, 1.0]), np.array([0.0, 1.0])
        glob_test = fitting.apply_map(gx, gy, ours[test_rows])
        persp = theirs[test_rows]
        entry: dict[str, Any] = {
            "threshold": t,
            "n_fit": n_fit,
            "n_test": n_test,
            "perspective_flagged_fit": int((theirs[fit_rows] >= t).sum()),
            "cutoff": None if cutoff is None else round(cutoff, 6),
            "knots": {"x": [round(v, 6) for v in kx], "y": [round(v, 6) for v in ky]},
            "uncalibrated": _metrics(ours[test_rows], persp, t),
            "global": _metrics(glob_test, persp, t),
            "site": _metrics(site_test, persp, t),
        }
        use_site = _site_not_worse(entry["site"], entry["global"])
        entry["serves"] = "site" if use_site else "global"
        served = site_test if use_site else glob_test
        sx, sy = (kx, ky) if use_site else (np.asarray(gx), np.asarray(gy))
        entry["hold"] = hold_for(sx, sy, t)
        notes = []
        if cutoff is None:
            notes.append(
                f"only {entry['perspective_flagged_fit']} fit rows at or above {t:g}: not pinned"
                f" there ({fitting.MIN_ANCHOR_FLAGS} needed)"
            )
        if int((persp >= t).sum()) < 10:
            notes.append(
                f"only {int((persp >= t).sum())} test rows at or above {t:g}: precision and"
                " recall there are rough (log more flagged comments)"
            )
        entry["notes"] = notes
        test_texts = [texts[i] for i in np.flatnonzero(test_rows)]
        missed = [i for i in np.argsort(-persp, kind="mergesort") if persp[i] >= t > served[i]]
        extra = [i for i in np.argsort(-served, kind="mergesort") if served[i] >= t > persp[i]]
        entry["examples"] = {
            "perspective_only": [
                {
                    "perspective": round(float(persp[i]), 3),
                    "civility": round(float(served[i]), 3),
                    "text": _clip(test_texts[i]),
                }
                for i in missed[:examples]
            ],
            "civility_only": [
                {
                    "perspective": round(float(persp[i]), 3),
                    "civility": round(float(served[i]), 3),
                    "text": _clip(test_texts[i]),
                }
                for i in extra[:examples]
            ],
        }
        report["attributes"][attr] = entry
    return report


def _too_few(data: PublisherLog, test: np.ndarray) -> dict[str, str]:
    """Attribute -> why it cannot be calibrated, for those with too few rows in either part."""
    out = {}
    for attr in data.columns:
        has = np.array([attr in r.scores for r in data.rows], dtype=bool)
        n_fit, n_test = int((has & ~test).sum()), int((has & test).sum())
        if n_fit < MIN_PART or n_test < MIN_PART:
            out[attr] = (
                f"{n_fit + n_test} rows with a score ({n_fit} to fit, {n_test} to test); at least"
                f" {2 * MIN_PART} are needed, {MIN_PART} in each part"
            )
    return out


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(report: dict[str, Any]) -> str:
    s = report["skipped"]
    lines = [
        f"{report['file']} ({report['format']}): {report['rows_used']} rows used; skipped"
        f" {s['non_english']} non-English, {s['empty']} empty, {s['no_score']} without a score,"
        f" {s['duplicates']} duplicate",
    ]
    for ex in report["non_english_examples"]:
        lines.append(f"  non-English, line {ex['line']} ({ex['language']}): {ex['text']}")
    if report["ignored_attributes"]:
        lines.append(
            "  ignored (Civility does not model them): " + ", ".join(report["ignored_attributes"])
        )
    lines.append(
        f"model {report['model_version']}; split by {report['split']}; figures are on the test"
        " part only"
    )
    for attr, e in report["attributes"].items():
        t = e["threshold"]
        lines += [
            "",
            f"{attr}: threshold {t:g}; {e['n_fit']} rows to fit, {e['n_test']} to test;"
            f" Perspective flagged {e['global']['at_threshold']['perspective_flagged']} test rows",
            f"  {'':<14}{'Spearman':>9}{'MAE':>8}{'flagged':>9}{'both':>6}{'precision':>11}"
            f"{'recall':>8}{'F1':>7}",
        ]
        for name, key in (
            ("uncalibrated", "uncalibrated"),
            ("global", "global"),
            ("this site", "site"),
        ):
            m = e[key]
            a = m["at_threshold"]
            lines.append(
                f"  {name:<14}{_f(m['spearman']):>9}{_f(m['mae']):>8}{a['civility_flagged']:>9}"
                f"{a['both']:>6}{_f(a['precision'], 2):>11}{_f(a['recall'], 2):>8}"
                f"{_f(a['f1'], 2):>7}"
            )
        if e["serves"] == "site":
            lines.append("  -> serves this site's fit (agrees at least as well as the global one)")
        else:
            lines.append("  -> keeps the global calibration (the site fit agreed less well here)")
        hold = e["hold"]
        lines.append(
            f"  hold threshold on Civility's scale for {t:g}: "
            + ("never reached" if hold is None else f"{hold:.4f}")
        )
        for note in e["notes"]:
            lines.append(f"  note: {note}")
        ex = e["examples"]
        if ex["perspective_only"]:
            lines.append("  Perspective flagged, Civility did not (Perspective / Civility):")
            lines += [
                f"    {x['perspective']:.2f} / {x['civility']:.2f}  {x['text']}"
                for x in ex["perspective_only"]
            ]
        if ex["civility_only"]:
            lines.append("  Civility flagged, Perspective did not (Perspective / Civility):")
            lines += [
                f"    {x['perspective']:.2f} / {x['civility']:.2f}  {x['text']}"
                for x in ex["civility_only"]
            ]
    for attr, why in report["not_calibrated"].items():
        lines += ["", f"{attr}: not calibrated: {why}"]
    return "\n".join(lines)


def stored_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report without comment text (what the database keeps)."""
    out = {k: v for k, v in report.items() if k != "non_english_examples"}
    out["attributes"] = {
        a: {k: v for k, v in e.items() if k != "examples"} for a, e in report["attributes"].items()
    }
    return out


def install(site: Any, report: dict[str, Any], hold_thresholds: bool) -> list[str]:
    """Store the site's calibration (attributes where it serves) and, when asked, set the site's
    hold thresholds. Returns what was done, one line each."""
    from django.db import transaction

    from civility.audit import record
    from civility.comments.models import Site
    from civility.perspective.models import SiteCalibration

    served = {a: e for a, e in report["attributes"].items() if e["serves"] == "site"}
    said = []
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        SiteCalibration.objects.update_or_create(
            site=site,
            defaults={
                "model_version": report["model_version"],
                "knots": {a: e["knots"] for a, e in served.items()},
                "thresholds": {a: e["threshold"] for a, e in report["attributes"].items()},
                "report": stored_report(report),
                "source": f"{Path(report['file']).name} sha256:{report['sha256'][:16]}",
            },
        )
        said.append(
            f"installed for site {site.slug!r}: "
            + (", ".join(served) if served else "no attribute (the global calibration serves all)")
        )
        if hold_thresholds:
            settings = dict(site.settings or {})
            before = {a: dict(v) for a, v in (settings.get("thresholds") or {}).items()}
            thresholds = {a: dict(v) for a, v in before.items()}
            changed = {}
            for attr, e in report["attributes"].items():
                if e["hold"] is None:
                    said.append(f"{attr}: hold threshold unchanged (the map never reaches it)")
                    continue
                current = dict(thresholds.get(attr) or {})
                current["hold"] = e["hold"]
                reject = current.get("reject")
                if reject is not None and reject < e["hold"]:
                    said.append(
                        f"{attr}: note: its reject threshold {reject:g} is below the new hold"
                    )
                thresholds[attr] = current
                changed[attr] = e["hold"]
            settings["thresholds"] = thresholds
            site.settings = settings
            site.save(update_fields=["settings"])
            record(
                "site.settings",
                site=site,
                data={
                    "before": {"thresholds": before},
                    "after": {"thresholds": thresholds},
                    "by": "civility perspective calibrate --hold-thresholds",
                },
            )
            said.append(
                "hold thresholds set: "
                + ", ".join(
                    f"{a} {v:.4f} (Perspective {report['attributes'][a]['threshold']:g})"
                    for a, v in changed.items()
                )
            )
    return said


# --- serving: the calibration comments:analyze applies for a key ---------------------------------

_cache: dict[int, tuple[Any, engine.Calibration, engine.Calibration]] = {}
_cache_lock = threading.Lock()
_warned: set[tuple[int, str]] = set()


def calibration_for_key(key: Any, scorer: Any) -> engine.Calibration:
    """The global calibration, with the key's site's own maps over it where it has some."""
    base = engine.calibration_for(scorer)
    site_id = getattr(key, "site_id", None)
    if site_id is None:
        return base
    from civility.perspective.models import SiteCalibration

    row = (
        SiteCalibration.objects.filter(site_id=site_id)
        .values_list("updated_at", "model_version", "knots")
        .first()
    )
    if row is None:
        return base
    updated, version, knots = row
    if version != scorer.version:
        if (site_id, scorer.version) not in _warned:
            _warned.add((site_id, scorer.version))
            log.warning(
                "site %s's Perspective calibration was fitted for model %s, not %s: serving the"
                " global calibration; re-run `civility perspective calibrate`",
                site_id,
                version,
                scorer.version,
            )
        return base
    cached = _cache.get(site_id)
    if cached is not None and cached[0] == updated and cached[1] is base:
        return cached[2]
    merged = engine.Calibration(
        version,
        {
            **base.knots,
            **{
                a: (np.asarray(k["x"], dtype=float), np.asarray(k["y"], dtype=float))
                for a, k in knots.items()
            },
        },
        base.artifact_sha256,
    )
    with _cache_lock:
        _cache[site_id] = (updated, base, merged)
    return merged


def progress_printer(label: str) -> Callable[[int, int], None]:
    state = {"shown": -1}

    def show(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth != state["shown"]:
            state["shown"] = tenth
            print(f"{label}: scored {done}/{total}", file=sys.stderr, flush=True)

    return show
