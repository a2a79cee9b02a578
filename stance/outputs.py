"""Checks on output paths, run before a command starts its work.

A wrong output path should cost the user a second, not a training run: each
command checks where it will write before it reads, extracts or trains, and
says what is wrong with the path. Nothing is created by the checks; they probe
the nearest existing folder with a temporary file that is removed at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Optional

from stance.errors import StanceError


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _check_creatable(path: Path, folder: Path, option: str, what: str) -> None:
    """Raise unless files can be created in `folder`, making its missing parents first."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise StanceError(f"{option} {path}: {base} is a file, not a folder; expected a folder there to hold {what}")
    try:
        with tempfile.TemporaryFile(dir=base, prefix=".stance-check-"):
            pass
    except OSError as exc:
        raise StanceError(f"{option} {path}: cannot create {what} in {base} ({_reason(exc)})") from None


def check_output_file(path: Path, option: str, what: str = "the output file") -> Path:
    """Check that a file can be written at `path` (its folders are created later).

    `option` names the command-line option in the message (e.g. "--out").
    """
    path = Path(path)
    if path.is_dir():
        raise StanceError(f"{option} {path}: is a folder; expected a file path for {what}")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise StanceError(f"{option} {path}: the file is not writable; expected a writable path for {what}")
        _check_creatable(path, path.parent, option, what)  # files are written next to it, then moved over it
        return path
    _check_creatable(path, path.parent, option, what)
    return path


def check_output_dir(path: Path, option: str, what: str = "the output folder") -> Path:
    """Check that `path` is, or can be created as, a writable folder."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StanceError(f"{option} {path}: is a file; expected a folder for {what}")
    if path.is_dir():
        try:
            with tempfile.TemporaryFile(dir=path, prefix=".stance-check-"):
                pass
        except OSError as exc:
            raise StanceError(f"{option} {path}: cannot write {what} there ({_reason(exc)})") from None
        return path
    _check_creatable(path, path, option, what)
    return path


@contextmanager
def atomic_write(path: Path, binary: bool = False, newline: Optional[str] = None) -> Iterator[IO]:
    """Write `path` through a `.part` file beside it, moved over `path` only when the block completes.

    An interrupted or failed write (Ctrl-C, a full disk, an exception) leaves the old file, or none,
    never half of a new one; the `.part` file is removed. Missing folders are created. `newline` as for
    open() (a CSV writer writes its own line ends: pass "").
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": newline})) as handle:
            yield handle
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def write_json(path: Path, data, indent: int = 2) -> None:
    """`data` as JSON (UTF-8, non-ASCII kept) at `path`, written atomically."""
    with atomic_write(path) as handle:
        handle.write(json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def write_outputs(report: dict, text: str, json_path: Optional[Path], markdown_path: Optional[Path]) -> None:
    """A measurement's report as JSON and its text as Markdown, each where a path is given, atomically."""
    if json_path is not None:
        write_json(Path(json_path), report)
    if markdown_path is not None:
        with atomic_write(Path(markdown_path)) as handle:
            handle.write(text + "\n")

