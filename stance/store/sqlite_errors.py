"""SQLite errors as StanceErrors a user can act on, shared by the store and its mixins."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from stance.errors import StanceError


def _stance_error(path: Path, exc: sqlite3.Error, timeout: float) -> StanceError:
    """Translate a sqlite3 error into a message a user can act on."""
    text = str(exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if "locked" in text or name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return StanceError(
            f"{path}: the database is locked by another process (waited {timeout:g}s); "
            "wait for the other `stance` run to finish, or pass another --db file"
        )
    if "not a database" in text or "malformed" in text or name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return StanceError(
            f"{path}: not a readable stance database (the file is corrupt or not SQLite); "
            "expected a file written by `stance analyze`, or pass another --db file"
        )
    if "unable to open" in text or name == "SQLITE_CANTOPEN":
        return StanceError(f"{path}: cannot open the database file ({text}); expected a writable file path")
    if "readonly" in text or name.startswith("SQLITE_READONLY"):
        return StanceError(f"{path}: the database file is read-only; expected a writable file")
    return StanceError(f"{path}: database error ({text})")


def _guarded(method):
    """Turn any sqlite3 error raised inside a Store method into a StanceError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise _stance_error(self.path, exc, self.timeout) from None

    return wrapper
