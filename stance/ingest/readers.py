"""Row readers for article tables: JSONL, CSV (both optionally gzip-compressed) and Parquet.

Every reader streams: it holds one row (or one Parquet record batch) at a time,
so a file of any size is read in constant memory. Each row comes with a
"file:line" location (for Parquet, "file:row N") so errors can name it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import IO, Iterator

from stance.errors import StanceError
from stance.records import parse_jsonl_lines

TABLE_KINDS = (".jsonl", ".csv", ".jsonl.gz", ".csv.gz", ".parquet")
CORPUS_KINDS = (".txt",) + TABLE_KINDS
PARQUET_BATCH = 1024  # rows per Parquet record batch: bounded memory whatever the file size


def kind_of(path: Path) -> str:
    """The corpus kind of a file name: '.txt', '.jsonl', '.csv', '.jsonl.gz', '.csv.gz', '.parquet' or its suffix."""
    name = path.name.lower()
    for kind in (".jsonl.gz", ".csv.gz"):
        if name.endswith(kind):
            return kind
    return path.suffix.lower()


def open_text(path: Path) -> IO[str]:
    """A text handle on a (possibly gzip-compressed) UTF-8 file; newline='' so CSV reads quoted newlines right."""
    try:
        if kind_of(path).endswith(".gz"):
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
        return path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise StanceError(f"{path}: cannot read ({exc.strerror})") from None


def _decode_guard(path: Path, exc: Exception) -> StanceError:
    if isinstance(exc, UnicodeDecodeError):
        return StanceError(f"{path}: not UTF-8 text")
    if isinstance(exc, (gzip.BadGzipFile, EOFError)):
        return StanceError(f"{path}: not a readable gzip file ({exc}); expected gzip-compressed JSONL or CSV")
    return StanceError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})")


def rows_from_jsonl(path: Path) -> Iterator[tuple[dict, str]]:
    """(object, "file:line") per non-blank line; a malformed line raises StanceError naming it."""
    try:
        with open_text(path) as handle:
            for number, obj in parse_jsonl_lines(handle, path):
                yield obj, f"{path}:{number}"
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise _decode_guard(path, exc) from None


def rows_from_csv(path: Path) -> Iterator[tuple[dict, str]]:
    """(row, "file:line") per CSV record; needs 'id' and 'text' columns."""
    try:
        with open_text(path) as handle:
            reader = csv.DictReader(handle)
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
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise _decode_guard(path, exc) from None


def _parquet_file(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise StanceError(f"{path}: reading Parquet needs pyarrow; install it with `pip install \"stance[parquet]\"`") from None
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid/OSError family
        raise StanceError(f"{path}: not a readable Parquet file ({exc}); expected Parquet with 'id' and 'text' columns") from None


def rows_from_parquet(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[dict, str]]:
    """(row, "file:row N") per Parquet row, read one record batch at a time; N counts from 1."""
    parquet = _parquet_file(path)
    names = parquet.schema_arrow.names
    for needed in ("id", "text"):
        if needed not in names:
            raise StanceError(f"{path}: Parquet file has no '{needed}' column; found columns {names}")
    number = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH, columns=[c for c in columns if c in names]):
        for row in batch.to_pylist():
            number += 1
            yield row, f"{path}:row {number}"


def table_keys(path: Path) -> set[str]:
    """The field names of a table file's first record (columns for CSV and Parquet)."""
    kind = kind_of(path)
    if kind == ".parquet":
        return set(_parquet_file(path).schema_arrow.names)
    with open_text(path) as handle:
        if kind.startswith(".csv"):
            return set(next(csv.reader([handle.readline()]), []))
        first = next((line for line in handle if line.strip()), "{}")
        return set(json.loads(first)) if first.lstrip().startswith("{") else {"id", "text"}


def count_records(path: Path) -> int:
    """About how many articles a file holds, cheaply (for progress and ETA only).

    JSONL counts non-blank lines, CSV counts records (quoted newlines handled),
    Parquet reads the row count from the footer, a text file is one article.
    """
    kind = kind_of(path)
    try:
        if kind == ".txt":
            return 1
        if kind == ".parquet":
            return _parquet_file(path).metadata.num_rows
        with open_text(path) as handle:
            if kind.startswith(".csv"):
                return max(0, sum(1 for _ in csv.reader(handle)) - 1)
            return sum(1 for line in handle if line.strip())
    except (StanceError, UnicodeDecodeError, OSError, EOFError, csv.Error):
        return 0  # the reader reports the problem with file and line
