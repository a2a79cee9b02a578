"""Corpus ingest: read articles from text, JSONL, CSV (plain or gzip) and Parquet files, clean them, attach metadata.

Ingest streams: `CorpusReader` yields one article at a time and keeps only the
ids seen (for duplicate detection), never the articles, so memory does not grow
with the corpus. `load_corpus` is the same reader collected into a list, for
the small corpora of evaluation commands.

Dates come from an inline ` date YYYY-MM-DD ` marker at the start of a text, from
a manifest (which overrides), or stay unknown. Bad input raises StanceError naming
the file (and line), unless `skip_bad` is set, in which case the item is skipped
and recorded in `Corpus.skipped` so the caller can list it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import Path
from typing import Iterable, Iterator, Optional

from stance.errors import StanceError
from stance.ingest.readers import CORPUS_KINDS, kind_of, rows_from_csv, rows_from_jsonl, rows_from_parquet, table_keys
from stance.records import Article, read_jsonl

CORPUS_SUFFIXES = CORPUS_KINDS
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


def _looks_like_article_table(path: Path) -> bool:
    """Whether a table file found in a directory walk holds articles.

    Directories also hold manifests and labelled-statement files; those are not
    articles and are reported as ignored rather than misread.
    """
    if path.name == MANIFEST_NAME:
        return False
    try:
        keys = table_keys(path)
    except (StanceError, UnicodeDecodeError, ValueError, OSError, EOFError):
        return True  # let the reader report the problem with file and line
    return {"id", "text"} <= keys and not keys & {"speaker", "target", "stance"}


_EXPECTED_KINDS = ".txt, .jsonl, .csv, .jsonl.gz, .csv.gz or .parquet"


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
                kind = kind_of(found)
                if found.name == MANIFEST_NAME:
                    manifests.append(found)
                elif kind == ".txt":
                    files.append(found)
                elif kind in CORPUS_KINDS:
                    if _looks_like_article_table(found):
                        files.append(found)
                    else:
                        corpus.ignored.append(f"{found}: not an article corpus (no id/text records)")
        elif kind_of(path) in CORPUS_KINDS:
            files.append(path)
        else:
            error = f"{path}: unsupported file type {path.suffix or '(none)'}; expected {_EXPECTED_KINDS}"
            if not skip_bad:
                raise StanceError(error)
            corpus.skipped.append(error)
    return files, manifests


def _rows(path: Path):
    kind = kind_of(path)
    if kind == ".parquet":
        return rows_from_parquet(path, ("id", "text") + METADATA_FIELDS)
    return rows_from_csv(path) if kind.startswith(".csv") else rows_from_jsonl(path)


def _articles_from_file(path: Path) -> Iterator[tuple[Optional[Article], str, Optional[StanceError]]]:
    """Yield (article, where, error) per item so one bad row can be skipped alone."""
    if kind_of(path) == ".txt":
        try:
            yield make_article(path.stem, _read_text_file(path), str(path)), str(path), None
        except StanceError as exc:
            yield None, str(path), exc
        return
    rows = _rows(path)
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


class CorpusReader(Corpus):
    """Streams the articles under `paths`, one at a time: iterate it once.

    A `manifest.jsonl` inside an input directory, and the explicit `manifest`,
    add or override metadata by article id (the explicit one wins). Bad items
    raise StanceError naming file and line, or with `skip_bad` are listed in
    `skipped`; `read` counts the articles yielded so far. Only the ids seen are
    kept (with where they were first seen), never the articles.
    """

    def __init__(self, paths: Iterable[Path], manifest: Optional[Path] = None, skip_bad: bool = False):
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.skip_bad = skip_bad
        self.read = 0
        self.files, manifests = discover(self.paths, self, skip_bad)
        self.metadata: dict[str, tuple[dict, str]] = {}
        for path in manifests + ([Path(manifest)] if manifest else []):
            self.metadata.update(load_manifest(path))

    def estimate_total(self) -> int:
        """About how many articles the inputs hold (a cheap pass; for progress and ETA only)."""
        from stance.ingest.readers import count_records

        return sum(count_records(path) for path in self.files)

    def __iter__(self) -> Iterator[Article]:
        seen: dict[str, tuple[int, str]] = {}  # id -> (file index, line part of "where"): no article text kept
        for index, path in enumerate(self.files):
            prefix = str(path)
            for article, where, error in _articles_from_file(path):
                if error is None and article.id in seen:
                    first_file, first_line = seen[article.id]
                    error = StanceError(f"{where}: duplicate article id {article.id!r} "
                                        f"(first seen in {self.files[first_file]}{first_line})")
                if error is None and article.id in self.metadata:
                    meta, meta_where = self.metadata[article.id]
                    try:
                        apply_metadata(article, meta, meta_where)
                    except StanceError as exc:
                        error = exc
                if error is not None:
                    if not self.skip_bad:
                        raise error
                    self.skipped.append(str(error))
                    continue
                seen[article.id] = (index, where[len(prefix):])
                self.read += 1
                yield article
        unused = sorted(set(self.metadata) - set(seen))
        self.ignored.extend(f"{self.metadata[a][1]}: manifest entry for unknown article {a!r}" for a in unused)
        if not self.read and not self.skipped:
            raise StanceError(f"no articles found in {', '.join(map(str, self.paths))}; expected {_EXPECTED_KINDS} files")


def load_corpus(paths: Iterable[Path], manifest: Optional[Path] = None, skip_bad: bool = False) -> Corpus:
    """Read, clean and date every article under `paths` into memory (small corpora; see CorpusReader)."""
    reader = CorpusReader(paths, manifest=manifest, skip_bad=skip_bad)
    articles = list(reader)
    return Corpus(articles=articles, skipped=reader.skipped, ignored=reader.ignored)
