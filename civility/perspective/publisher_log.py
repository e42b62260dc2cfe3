"""A publisher's logged Perspective scores: read, checked, refused with one clear line.

Accepted files (optionally gzipped, by suffix; otherwise sniffed):

- CSV or TSV with a header: a text column (`text`, `comment_text`, `comment` or `body`, or
  `--text-column`) and one column per Perspective attribute logged, named as the API names it
  (`TOXICITY`, `INSULT`, ...; `TOXICITY@6`-style model-version suffixes and `_EXPERIMENTAL` names
  are understood). Any subset of attributes; an empty cell means "not logged for this row".
- JSONL, one object per line: the same keys flat (`{"text": ..., "TOXICITY": 0.91}`), or the
  API's own shapes (`{"comment": {"text": ...}, "attributeScores": {"TOXICITY": {"summaryScore":
  {"value": 0.91}}}}`), as `civility perspective log --export` writes them.

An optional `language`/`languages` column (or JSON `languages`/`detectedLanguages`) says the
row's language; otherwise it is guessed. Non-English rows are reported and skipped (Civility's
model is English-only). Duplicate texts are refused (a text in both the fit and test parts would
flatter the figures) unless the caller drops them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civility.perspective.protocol import ALIASES, UNSUPPORTED_PERSPECTIVE
from civility.scoring.constants import ATTRIBUTES

# Perspective's attributes that Civility also scores (DEHUMANIZATION has no Perspective twin).
CALIBRATED: tuple[str, ...] = tuple(a for a in ATTRIBUTES if a != "DEHUMANIZATION")
TEXT_COLUMNS = ("text", "comment_text", "comment", "body")
LANGUAGE_COLUMNS = ("languages", "language", "lang", "detectedlanguages")
_VERSION_SUFFIX = re.compile(r"@\d+$")


class InputError(Exception):
    """A refusal, said in one line."""


@dataclass
class LogRow:
    line: int
    text: str
    scores: dict[str, float]  # Civility attribute -> the Perspective score logged


@dataclass
class PublisherLog:
    path: Path
    kind: str  # "CSV", "TSV" or "JSONL"
    rows: list[LogRow]
    columns: dict[str, str]  # Civility attribute -> the file's column name
    ignored_attributes: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    non_english: list[tuple[int, str, str]] = field(default_factory=list)  # line, lang, text
    empty: list[int] = field(default_factory=list)
    unscored: list[int] = field(default_factory=list)
    duplicates_dropped: list[tuple[int, int]] = field(default_factory=list)  # line, first line


def attribute_for(column: str) -> str | None:
    """Civility attribute a column names, "" for a Perspective attribute Civility does not
    model, None for anything else (ids, dates, ...)."""
    name = _VERSION_SUFFIX.sub("", column.strip()).upper()
    if name in CALIBRATED:
        return name
    alias = ALIASES.get(name)
    if alias in CALIBRATED:
        return alias
    if (
        name in UNSUPPORTED_PERSPECTIVE
        or name.removesuffix("_EXPERIMENTAL") in UNSUPPORTED_PERSPECTIVE
    ):
        return ""
    return None


def _open(path: Path) -> io.TextIOBase:
    raw = path.open("rb")
    stream: Any = gzip.open(raw) if path.suffix == ".gz" else raw
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in {".jsonl", ".ndjson", ".json"}:
        return "JSONL"
    if last == ".tsv":
        return "TSV"
    if last == ".csv":
        return "CSV"
    with _open(path) as fh:
        head = fh.read(4096).lstrip()
    return "JSONL" if head.startswith("{") else "CSV"


def _score(value: Any, line: int, column: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dict):  # {"summaryScore": {"value": v}} or {"value": v}
        value = (value.get("summaryScore") or value).get("value")
        if value is None:
            return None
    if isinstance(value, bool):
        raise InputError(f"line {line}: {column} is {value!r}, not a score from 0 to 1")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"line {line}: {column} is {value!r}, not a score from 0 to 1") from None
    if not 0.0 <= number <= 1.0:
        raise InputError(f"line {line}: {column} is {number:g}, not a score from 0 to 1")
    return number


def _languages(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                value = text.strip("[]").replace('"', "").replace("'", "")
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _map_columns(names: list[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """(attribute -> column, ignored Perspective attributes, other columns); refuses two
    columns for one attribute."""
    columns: dict[str, str] = {}
    ignored_attributes: list[str] = []
    others: list[str] = []
    for name in names:
        attr = attribute_for(name)
        if attr is None:
            others.append(name)
        elif attr == "":
            ignored_attributes.append(name)
        elif attr in columns:
            raise InputError(
                f"mismatched columns: {columns[attr]!r} and {name!r} both hold {attr} scores;"
                " keep the one your thresholds were tuned on"
            )
        else:
            columns[attr] = name
    return columns, ignored_attributes, others


def _csv_records(path: Path, kind: str) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    fh = _open(path)
    reader = csv.DictReader(fh, delimiter="\t" if kind == "TSV" else ",", restkey="\0extra")
    try:
        header = list(reader.fieldnames or [])
    except UnicodeDecodeError:
        fh.close()
        raise InputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        fh.close()
        raise InputError(f"{path}: not a readable {kind} file ({exc})") from None
    if not header:
        fh.close()
        raise InputError(f"{path}: empty file (a header line is needed)")

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        with fh:
            try:
                for row in reader:
                    line = reader.line_num
                    fields = len(header) + len(row.get("\0extra") or [])
                    if "\0extra" in row or any(row.get(h) is None for h in header):
                        if fields == len(header):  # short row
                            fields = sum(row.get(h) is not None for h in header)
                        raise InputError(
                            f"mismatched columns: line {line} has {fields} fields, the header"
                            f" has {len(header)} (quote text that contains the delimiter)"
                        )
                    yield line, row
            except UnicodeDecodeError:
                raise InputError(f"{path}: not UTF-8 text (near line {reader.line_num})") from None
            except csv.Error as exc:
                raise InputError(f"{path}: line {reader.line_num}: {exc}") from None

    return header, records()


def _flatten_json(obj: dict[str, Any]) -> dict[str, Any]:
    """The API's shapes to flat keys: comment.text -> text, attributeScores.X -> X."""
    flat = {k: v for k, v in obj.items() if k not in {"comment", "attributeScores", "request"}}
    request: dict[str, Any] = obj["request"] if isinstance(obj.get("request"), dict) else {}
    comment = obj.get("comment", request.get("comment"))
    if isinstance(comment, dict):
        flat.setdefault("text", comment.get("text"))
    elif comment is not None:
        flat.setdefault("comment", comment)
    response: dict[str, Any] = obj["response"] if isinstance(obj.get("response"), dict) else {}
    scores = obj.get("attributeScores", response.get("attributeScores"))
    if isinstance(scores, dict):
        for name, value in scores.items():
            flat.setdefault(name, value)
    if "languages" not in flat and isinstance(request.get("languages"), list):
        flat["languages"] = request["languages"]
    flat.pop("response", None)
    return flat


def _jsonl_records(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    records: list[tuple[int, dict[str, Any]]] = []
    names: dict[str, None] = {}
    with _open(path) as fh:
        try:
            for line, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except ValueError:
                    raise InputError(f"line {line}: not JSON (one object per line)") from None
                if not isinstance(obj, dict):
                    raise InputError(f"line {line}: not a JSON object")
                flat = _flatten_json(obj)
                for name in flat:
                    names.setdefault(name, None)
                records.append((line, flat))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
    return list(names), records


def _text_column(names: list[str], wanted: str | None) -> str:
    if wanted:
        if wanted not in names:
            raise InputError(f"no column {wanted!r} (found: {', '.join(names) or 'none'})")
        return wanted
    by_lower = {n.lower(): n for n in names}
    for candidate in TEXT_COLUMNS:
        if candidate in by_lower:
            return by_lower[candidate]
    raise InputError(
        "no text column: name it one of " + ", ".join(TEXT_COLUMNS) + " or pass --text-column"
        f" (found: {', '.join(names) or 'none'})"
    )


def read_publisher_log(
    path: Path, text_column: str | None = None, drop_duplicates: bool = False
) -> PublisherLog:
    """Read and check the file; refuses (InputError) on anything it cannot use as given."""
    from civility.scoring.language import detect_language

    if not path.is_file():
        raise InputError(f"no such file: {path}")
    kind = _kind(path)
    records: Any
    if kind == "JSONL":
        names, records = _jsonl_records(path)
    else:
        names, records = _csv_records(path, kind)
    text_col = _text_column(names, text_column)
    columns, ignored_attributes, others = _map_columns([n for n in names if n != text_col])
    language_col = next((n for n in others if n.lower() in LANGUAGE_COLUMNS), None)
    if not columns:
        raise InputError(
            "mismatched columns: no Perspective score column; expected one or more of "
            + ", ".join(CALIBRATED)
            + f" (found: {', '.join(names)})"
        )
    log = PublisherLog(
        path=path,
        kind=kind,
        rows=[],
        columns=columns,
        ignored_attributes=ignored_attributes,
        ignored_columns=[n for n in others if n != language_col],
    )
    seen: dict[str, int] = {}
    duplicates: list[tuple[int, int]] = []
    for line, record in records:
        text = record.get(text_col)
        if kind == "JSONL" and text is None:
            raise InputError(f'line {line}: no text (expected a "{text_col}" field)')
        if not isinstance(text, str):
            raise InputError(f"line {line}: {text_col} is not a string")
        if not text.strip():
            log.empty.append(line)
            continue
        scores = {}
        for attr, col in columns.items():
            value = _score(record.get(col), line, col)
            if value is not None:
                scores[attr] = value
        if not scores:
            log.unscored.append(line)
            continue
        langs = _languages(record.get(language_col)) if language_col else []
        if kind == "JSONL" and not langs:
            langs = _languages(record.get("languages") or record.get("detectedLanguages"))
        if langs:
            lang = next((x for x in langs if x.lower().split("-")[0] == "en"), langs[0])
        else:
            lang = detect_language(text)
        if lang.lower().replace("_", "-").split("-")[0] not in {"en", "und"}:
            log.non_english.append((line, lang, text))
            continue
        key = " ".join(text.split())
        if key in seen:
            duplicates.append((line, seen[key]))
            continue
        seen[key] = line
        log.rows.append(LogRow(line=line, text=text, scores=scores))
    if duplicates:
        if not drop_duplicates:
            shown = ", ".join(f"line {a} repeats line {b}" for a, b in duplicates[:3])
            raise InputError(
                f"{len(duplicates)} duplicate text(s) ({shown}): a text in both the fit and the"
                " test part would flatter the figures; remove them, or pass --drop-duplicates to"
                " keep each text's first row"
            )
        log.duplicates_dropped = duplicates
    return log
