"""`stance review serve`: a local web page for the review queue.

Standard library only (http.server): one page, a small JSON API, bound to
127.0.0.1 by default. Only the page this server served can write (its origin, the
session token inside it, JSON bodies), and only requests naming this server's
address are answered (stance.review.guard); every refusal is a JSON error and one
line on the terminal. Every write is validated exactly as `stance review import`
validates a file row.

API: GET /api/state (queue, labels, names, reviews so far), POST /api/review
(one reviewed row), POST /api/undo ({"id": n}).
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

from stance.config import LabelSet
from stance.errors import StanceError
from stance.review.guard import RequestGuard, new_token
from stance.review.importer import parse_review
from stance.review.page import render_page
from stance.review.queue import build_queue, queue_row
from stance.store import Store

MAX_BODY = 64 * 1024  # a review is a few hundred bytes; refuse anything far larger


class ReviewSession:
    """The queue being reviewed and the store it writes to; shared by the server's threads."""

    def __init__(self, db_path: Path, labels: LabelSet, names: list[str], annotator: str, n: int = 50):
        self.db_path, self.labels, self.annotator = Path(db_path), labels, annotator
        self.queue = [queue_row(r) for r in build_queue(self.db_path, n)]
        with Store(self.db_path, create=False) as store:
            for row in self.queue:
                paragraph = store.paragraph_of(row["id"])
                row["paragraph"] = list(paragraph) if paragraph else None
            speakers = {r["speaker"] for r in store.load_labelled()}
        self.names = sorted(set(names) | speakers - {"unknown"}, key=str.casefold)
        self.ids = {row["id"] for row in self.queue}
        self.lock = threading.Lock()
        self.token = new_token()  # given only inside the page; every write must send it back

    def state(self) -> dict:
        with Store(self.db_path, create=False) as store:
            reviews = store.reviews()
        done = {i: {"target": r.target, "stance": r.stance, "speaker": r.speaker, "statement": r.is_statement}
                for i, r in reviews.items() if i in self.ids}
        return {"queue": self.queue, "reviews": done, "names": self.names, "annotator": self.annotator,
                "targets": self.labels.target_names, "stances": self.labels.stance_names,
                "none_label": self.labels.none_label}

    def review(self, row: dict) -> dict:
        if not isinstance(row, dict):
            raise StanceError("expected a JSON object with id, target and stance")
        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        review = parse_review(row, self.labels, "review", self.annotator, when)
        if review.statement not in self.ids:
            raise StanceError(f"review: statement id {review.statement} is not in this review queue")
        with self.lock, Store(self.db_path, create=False) as store:
            store.save_reviews([review])
        return {"ok": True, "id": review.statement}

    def undo(self, row: dict) -> dict:
        statement_id = row.get("id") if isinstance(row, dict) else None
        if statement_id not in self.ids:
            raise StanceError(f"undo: statement id {statement_id!r} is not in this review queue")
        with self.lock, Store(self.db_path, create=False) as store:
            return {"ok": store.delete_review(statement_id), "id": statement_id}


def _refusals_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


PAGE_CSP = ("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; connect-src 'self'; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'")


class ReviewHandler(BaseHTTPRequestHandler):
    """The page and the API of one review session (`session`); `warn` gets one line per refused request.
    Bound to a session by make_handler."""

    session: ReviewSession
    warn = staticmethod(_refusals_to_stderr)

    def log_message(self, *args):  # quiet: the terminal shows progress and refusals, not access logs
        pass

    def _guard(self) -> RequestGuard:
        return RequestGuard(self.server.bound_host, self.server.server_address[1], self.session.token)

    def _send(self, status: int, body: bytes, kind: str, csp: str = "default-src 'none'") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")  # no framing: a page cannot trick clicks on this one
        self.send_header("Content-Security-Policy", csp + "; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _refuse(self, refusal) -> None:
        self.warn(f"refused {self.command} {self.path} from {self.client_address[0]}: {refusal.reason}")
        self._json(refusal.status, {"error": refusal.reason})

    def do_GET(self):
        refusal = self._guard().check_read(self.headers)
        if refusal is not None:
            return self._refuse(refusal)
        if self.path in ("/", "/index.html"):
            page, nonce = render_page(self.session.token)
            self._send(200, page.encode("utf-8"), "text/html; charset=utf-8", csp=PAGE_CSP.format(nonce=nonce))
        elif self.path == "/api/state":
            self._json(200, self.session.state())
        else:
            self._json(404, {"error": f"no such page: {self.path}"})

    def do_POST(self):
        actions = {"/api/review": self.session.review, "/api/undo": self.session.undo}
        if self.path not in actions:
            return self._json(404, {"error": f"no such action: {self.path}"})
        refusal = self._guard().check_write(self.headers)
        if refusal is not None:
            return self._refuse(refusal)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._json(413, {"error": f"request of {length} bytes; expected at most {MAX_BODY}"})
        try:
            row = json.loads(self.rfile.read(length) or b"null")
            self._json(200, actions[self.path](row))
        except json.JSONDecodeError as exc:
            self._json(400, {"error": f"not valid JSON ({exc.msg})"})
        except StanceError as exc:
            self._json(400, {"error": str(exc)})


def make_handler(session: ReviewSession, warn=_refusals_to_stderr) -> type[ReviewHandler]:
    """A request handler class bound to one review session; `warn` gets one line per refused request."""
    return type("BoundReviewHandler", (ReviewHandler,), {"session": session, "warn": staticmethod(warn)})


def make_server(session: ReviewSession, host: str = "127.0.0.1", port: int = 8765,
                warn=_refusals_to_stderr) -> ThreadingHTTPServer:
    """A server for the session (port 0 picks a free one); call serve_forever() to run it.

    `warn` gets one line for each request refused (foreign Host, another origin, no token, not JSON).
    """
    try:
        server = ThreadingHTTPServer((host, port), make_handler(session, warn))
    except OSError as exc:
        raise StanceError(f"cannot listen on {host}:{port} ({exc.strerror}); expected a free port (try --port)") from None
    server.bound_host = host  # what Host headers must name (the socket's own address loses "localhost")
    return server


def registry_names() -> list[str]:
    """Canonical names from the actor registry, offered when correcting a speaker."""
    from stance.extract.speakers import load_registry

    registry = load_registry()
    names = set(registry.aliases.values()) | set(registry.bodies.values())
    names |= {span.actor for spans in registry.role_holders.values() for span in spans}
    return sorted(names, key=str.casefold)


def serve(db_path: Path, labels: LabelSet, *, host: str = "127.0.0.1", port: int = 8765, n: int = 50,
          annotator: Optional[str] = None, log=print) -> None:
    """Serve the review page until interrupted."""
    from stance.review.importer import _annotator

    session = ReviewSession(db_path, labels, registry_names(), _annotator(annotator), n)
    server = make_server(session, host, port)
    host_shown, port_shown = server.server_address[:2]
    log(f"reviewing {len(session.queue)} statement(s) from {db_path} at http://{host_shown}:{port_shown}/ "
        "(Ctrl-C to stop; every answer is saved as you go)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
