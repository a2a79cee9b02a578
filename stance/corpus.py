"""Corpus ingest: read articles from text, JSONL and CSV files, clean them, attach metadata.

Dates come from an inline ` date YYYY-MM-DD ` marker at the start of a text, from
a manifest (which overrides), or stay unknown. Bad input raises StanceError naming
the file (and line), unless `skip_bad` is set, in which case the item is skipped
and recorded in `Corpus.skipped` so the caller can list it.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.errors import StanceError
from stance.records import Article, read_jsonl

CORPUS_SUFFIXES = (".txt", ".jsonl", ".csv")
MANIFEST_NAME = "manifest.jsonl"
METADATA_FIELDS = ("date", "date_precision", "source", "url", "title")

_DATE_MARKER = re.compile(r"\A\s*date\s+(\S+)\s+")
_DATE_FORMS = {
    "day": re.compile(r"\A(\d{4})-(\d{2})-(\d{2})\Z"),
    "month": re.compile(r"\A(\d{4})-(\d{2})\Z"),
    "year": re.compile(r"\A(\d{4})\Z"),
}

# Boilerplate that scraped news pages leave behind. Each pattern matches a whole
# line (or a bracketed promo) of a shape that never carries reported speech.
_SOCIAL = r"(?:facebook|twitter|x|linkedin|pinterest|tumblr|whatsapp|reddit|telegram|email|e-mail|print|share|copy link|messenger|flipboard|vk|threads|bluesky)"
_BOILERPLATE_LINES = [
    re.compile(r"^[ \t]*(?:[a-z]{2}[ \t]+){1,8}[a-z]{2}[ \t]*$"),  # language picker: "ua en ru"
    re.compile(rf"^[ \t]*(?:{_SOCIAL}[ \t,|/·•]*){{2,}}$", re.IGNORECASE),  # share-button row
    re.compile(r"^[ \t]*(?:read more|related|advertisement|ad|sponsored|subscribe|sign up)[ \t]*:?[ \t]*$", re.IGNORECASE),
    re.compile(r"^[ \t]*this (?:post|article|story) (?:appeared|was published|first appeared) (?:first )?on\b.*$", re.IGNORECASE),
]
_PROMO_BRACKET = re.compile(r"\[[^\[\]\n]{0,300}?Opens in new window[ \t]*\]", re.IGNORECASE)


@dataclass
class Corpus:
    """Articles read from the inputs, plus what was skipped or ignored and why."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file[:line]: reason" for bad items (with skip_bad)
    ignored: list[str] = field(default_factory=list)  # files in a directory that are not article corpora


def parse_date(value: object, where: str) -> tuple[str, str]:
    """Validate a YYYY-MM-DD / YYYY-MM / YYYY date; return (date, precision)."""
    text = str(value).strip()
    for precision, pattern in _DATE_FORMS.items():
        match = pattern.match(text)
        if match:
            parts = [int(p) for p in match.groups()] + [1] * (3 - len(match.groups()))
            try:
                _date(*parts)
            except ValueError:
                break
            return text, precision
    raise StanceError(f"{where}: malformed date {text!r}; expected YYYY-MM-DD, YYYY-MM or YYYY")


def clean_text(raw: str) -> tuple[str, Optional[str]]:
    """Remove the date marker and page boilerplate; return (clean text, marker date or None).

    Cleaning is conservative: only whole boilerplate lines and bracketed promos
    go, so reported speech is never touched.
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    marker_date = None
    match = _DATE_MARKER.match(text)
    if match and re.match(r"\d{4}", match.group(1)):
        marker_date = match.group(1)
        text = text[match.end():]
    text = _PROMO_BRACKET.sub("", text)
    kept = [line for line in text.split("\n") if not any(p.match(line) for p in _BOILERPLATE_LINES)]
    text = "\n".join(kept)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
    return text.strip(), marker_date


def content_hash(text: str) -> str:
    """A stable fingerprint of an article's cleaned text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make_article(article_id: str, raw_text: str, where: str, meta: Optional[dict] = None) -> Article:
    """Clean one raw text into an Article, validating its metadata."""
    if not raw_text or not raw_text.strip():
        raise StanceError(f"{where}: empty article text")
    text, marker_date = clean_text(raw_text)
    if not text:
        raise StanceError(f"{where}: nothing left after removing boilerplate")
    meta = dict(meta or {})
    article = Article(id=article_id, text=text, content_hash=content_hash(text), origin=where)
    if marker_date:
        article.date, article.date_precision = parse_date(marker_date, f"{where}: date marker")
    apply_metadata(article, meta, where)
    return article


def apply_metadata(article: Article, meta: dict, where: str) -> None:
    """Set date, precision, source, url and title on an article from a mapping."""
    if meta.get("date") not in (None, ""):
        article.date, inferred = parse_date(meta["date"], where)
        precision = meta.get("date_precision") or inferred
        if precision not in _DATE_FORMS:
            raise StanceError(f"{where}: date_precision {precision!r}; expected day, month or year")
        if precision != inferred:
            raise StanceError(f"{where}: date {article.date!r} does not have {precision} precision")
        article.date_precision = precision
    for key in ("source", "url", "title"):
        if meta.get(key) not in (None, ""):
            setattr(article, key, str(meta[key]))


def load_manifest(path: Path) -> dict[str, tuple[dict, str]]:
    """Read a manifest JSONL: article id -> (metadata, "file:line")."""
    entries: dict[str, tuple[dict, str]] = {}
    for number, row in read_jsonl(path):
        where = f"{path}:{number}"
        article_id = row.get("article", row.get("id"))
        if not article_id:
            raise StanceError(f"{where}: manifest line has no 'article' (or 'id') field")
        entries[str(article_id)] = (row, where)
    return entries


def _read_text_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StanceError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise StanceError(f"{path}: cannot read ({exc.strerror})") from None


def _rows_from_jsonl(path: Path) -> Iterator[tuple[dict, str]]:
    for number, row in read_jsonl(path):
        yield row, f"{path}:{number}"


def _rows_from_csv(path: Path) -> Iterator[tuple[dict, str]]:
    text = _read_text_file(path)
    reader = csv.DictReader(text.splitlines(keepends=True))
    columns = reader.fieldnames or []
    if "text" not in columns:
        raise StanceError(f"{path}:1: CSV has no 'text' column; found columns {columns}")
    if "id" not in columns:
        raise StanceError(f"{path}:1: CSV has no 'id' column; found columns {columns}")
    try:
        for row in reader:
            yield row, f"{path}:{reader.line_num}"
    except csv.Error as exc:
        raise StanceError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None


def _looks_like_article_table(path: Path) -> bool:
    """Whether a JSONL/CSV file found in a directory walk holds articles.

    Directories also hold manifests and labelled-statement files; those are not
    articles and are reported as ignored rather than misread.
    """
    if path.name == MANIFEST_NAME:
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            if path.suffix == ".csv":
                header = next(csv.reader([handle.readline()]), [])
                keys = set(header)
            else:
                import json

                first = next((line for line in handle if line.strip()), "{}")
                keys = set(json.loads(first)) if first.lstrip().startswith("{") else {"id", "text"}
    except (UnicodeDecodeError, ValueError, OSError):
        return True  # let the reader report the problem with file and line
    return {"id", "text"} <= keys and not keys & {"speaker", "target", "stance"}


def discover(paths: Iterable[Path], corpus: Corpus, skip_bad: bool = False) -> tuple[list[Path], list[Path]]:
    """Expand inputs into article files and manifests found beside them."""
    files: list[Path] = []
    manifests: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            if skip_bad:
                corpus.skipped.append(f"{path}: no such file or directory")
                continue
            raise StanceError(f"{path}: no such file or directory")
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                if found.name == MANIFEST_NAME:
                    manifests.append(found)
                elif found.suffix == ".txt":
                    files.append(found)
                elif found.suffix in (".jsonl", ".csv"):
                    if _looks_like_article_table(found):
                        files.append(found)
                    else:
                        corpus.ignored.append(f"{found}: not an article corpus (no id/text records)")
        elif path.suffix in CORPUS_SUFFIXES:
            files.append(path)
        else:
            error = f"{path}: unsupported file type {path.suffix or '(none)'}; expected .txt, .jsonl or .csv"
            if not skip_bad:
                raise StanceError(error)
            corpus.skipped.append(error)
    return files, manifests


def _articles_from_file(path: Path) -> Iterator[tuple[Optional[Article], str, Optional[StanceError]]]:
    """Yield (article, where, error) per item so one bad row can be skipped alone."""
    if path.suffix == ".txt":
        try:
            yield make_article(path.stem, _read_text_file(path), str(path)), str(path), None
        except StanceError as exc:
            yield None, str(path), exc
        return
    rows = _rows_from_csv(path) if path.suffix == ".csv" else _rows_from_jsonl(path)
    any_row = False
    while True:
        try:
            row, where = next(rows)
        except StopIteration:
            break
        except StanceError as exc:  # a malformed line ends the file: its position is unknown after it
            yield None, str(path), exc
            return
        any_row = True
        try:
            article_id = str(row.get("id") or "").strip()
            if not article_id:
                raise StanceError(f"{where}: record has no 'id'")
            if not isinstance(row.get("text"), str):
                raise StanceError(f"{where}: record has no 'text' string")
            yield make_article(article_id, row["text"], where, {k: row.get(k) for k in METADATA_FIELDS}), where, None
        except StanceError as exc:
            yield None, where, exc
    if not any_row:
        yield None, str(path), StanceError(f"{path}: empty file (no records)")


def load_corpus(paths: Iterable[Path], manifest: Optional[Path] = None, skip_bad: bool = False) -> Corpus:
    """Read, clean and date every article under `paths`.

    A `manifest.jsonl` inside an input directory, and the explicit `manifest`,
    add or override metadata by article id (the explicit one wins).
    """
    corpus = Corpus()
    files, manifests = discover(paths, corpus, skip_bad)
    metadata: dict[str, tuple[dict, str]] = {}
    for path in manifests + ([Path(manifest)] if manifest else []):
        metadata.update(load_manifest(path))
    seen: dict[str, str] = {}
    for path in files:
        for article, where, error in _articles_from_file(path):
            if error is None and article.id in seen:
                error = StanceError(f"{where}: duplicate article id {article.id!r} (first seen in {seen[article.id]})")
            if error is None and article.id in metadata:
                meta, meta_where = metadata[article.id]
                try:
                    apply_metadata(article, meta, meta_where)
                except StanceError as exc:
                    error = exc
            if error is not None:
                if not skip_bad:
                    raise error
                corpus.skipped.append(str(error))
                continue
            seen[article.id] = where
            corpus.articles.append(article)
    unused = sorted(set(metadata) - set(seen))
    corpus.ignored.extend(f"{metadata[a][1]}: manifest entry for unknown article {a!r}" for a in unused)
    if not corpus.articles and not corpus.skipped:
        raise StanceError(f"no articles found in {', '.join(map(str, paths))}; expected .txt, .jsonl or .csv files")
    return corpus
