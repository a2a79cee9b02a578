"""`stance review serve`: the JSON API, and the page clicked through in a real headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.error
import urllib.request

import pytest

from stance.config import load_labels
from stance.review.server import ReviewSession, make_server
from stance.store import Store
from test_review import make_store


@pytest.fixture
def served(tmp_path):
    db, ids = make_store(tmp_path / "s.db")
    session = ReviewSession(db, load_labels(), ["Jane Roe", "Mark Rutte"], "tester", n=10)
    refusals: list[str] = []
    server = make_server(session, "127.0.0.1", 0, warn=refusals.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    session.refusals = refusals  # what the server's terminal showed
    yield f"http://127.0.0.1:{server.server_address[1]}", db, ids, session
    server.shutdown()
    server.server_close()


def _request(url, body=None, headers=None, data=None):
    """(status, JSON body) of a request with exactly these headers (urllib adds only Host and a few of its own)."""
    payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=payload, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _page_headers(base, session):
    """What the review page itself sends with a write."""
    return {"Content-Type": "application/json", "Origin": base, "X-Stance-Token": session.token}


def _post(url, body, session):
    return _request(url, body, _page_headers(url.split("/api/")[0], session))


def test_api_validates_every_write_against_the_label_config(served):
    base, db, ids, session = served
    state = json.loads(urllib.request.urlopen(base + "/api/state", timeout=10).read())
    assert [q["id"] for q in state["queue"]] == [q["id"] for q in session.queue]
    assert state["targets"] == ["Article 5", "NATO", "Japan treaty", "Greenland", "none"]
    assert "Mark Rutte" in state["names"] and "John Poe" in state["names"]  # registry and store speakers
    first = state["queue"][0]
    assert first["paragraph"] is None or first["text"] in first["paragraph"][0]
    assert _post(base + "/api/review", {"id": first["id"], "target": "Trade", "stance": "support"}, session) == \
        (400, {"error": "review: target 'Trade' is not in the label config; expected one of "
                        "['Article 5', 'NATO', 'Japan treaty', 'Greenland', 'none']"})
    assert _post(base + "/api/review", {"id": 424242, "target": "NATO", "stance": "support"}, session)[0] == 400
    assert _post(base + "/api/review", {"id": first["id"], "target": "NATO", "stance": "doubt"}, session) == (200, {"ok": True, "id": first["id"]})
    with Store(db) as store:
        saved = store.reviews()[first["id"]]
    assert (saved.target, saved.stance, saved.annotator) == ("NATO", "doubt", "tester")
    assert _post(base + "/api/undo", {"id": first["id"]}, session) == (200, {"ok": True, "id": first["id"]})
    with Store(db) as store:
        assert store.reviews() == {}


def _reviews(db):
    with Store(db) as store:
        return store.reviews()


def test_a_simple_cross_origin_post_is_refused_and_nothing_is_written(served):
    """What any web page can send with fetch(..., {mode: "no-cors"}): text/plain, no preflight."""
    base, db, ids, session = served
    first = session.queue[0]["id"]
    status, body = _request(base + "/api/review", {"id": first, "target": "none", "stance": "none"},
                            {"Origin": "http://evil.example", "Content-Type": "text/plain"})
    assert status == 403
    assert body["error"].startswith("Origin 'http://evil.example' is not this page's origin")
    assert _reviews(db) == {}
    assert len(session.refusals) == 1 and session.refusals[0].startswith("refused POST /api/review from 127.0.0.1: Origin")
    # the same with the page's token but a foreign origin: the origin alone refuses it
    headers = {**_page_headers(base, session), "Origin": "http://evil.example"}
    assert _request(base + "/api/review", {"id": first, "target": "none", "stance": "none"}, headers)[0] == 403
    assert _reviews(db) == {}


def test_a_form_post_without_origin_is_refused(served):
    base, db, ids, session = served
    first = session.queue[0]["id"]
    form = f"id={first}&target=none&stance=none".encode()
    status, body = _request(base + "/api/review", data=form,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and "no Origin header and no Sec-Fetch-Site: same-origin" in body["error"]
    # even from the page's own origin with its token, only JSON is accepted
    headers = {**_page_headers(base, session), "Content-Type": "application/x-www-form-urlencoded"}
    assert _request(base + "/api/review", data=form, headers=headers) == \
        (415, {"error": "Content-Type 'application/x-www-form-urlencoded'; expected application/json"})
    assert _reviews(db) == {}


def test_a_foreign_host_cannot_read_the_queue_or_the_page(served):
    """A DNS-rebinding page reaches the loopback server under its own host name."""
    base, db, ids, session = served
    port = base.rsplit(":", 1)[1]
    for path in ("/api/state", "/"):
        status, body = _request(base + path, headers={"Host": f"evil.example:{port}"})
        assert status == 421, path
        assert body == {"error": f"Host 'evil.example:{port}' is not this server's address; "
                                 f"expected 127.0.0.1:{port} or localhost:{port}"}
    assert _request(base + "/api/state", headers={"Host": "127.0.0.1:1"})[0] == 421  # another port is another server
    assert _request(base + "/api/state", headers={"Host": f"localhost:{port}"})[0] == 200
    status, _ = _request(base + "/api/review", {"id": session.queue[0]["id"], "target": "NATO", "stance": "support"},
                         {**_page_headers(base, session), "Host": f"evil.example:{port}"})
    assert status == 421 and _reviews(db) == {}


def test_writes_need_the_session_token_that_only_the_page_carries(served):
    base, db, ids, session = served
    first = session.queue[0]["id"]
    page = urllib.request.urlopen(base + "/", timeout=10)
    html = page.read().decode()
    assert f'<meta name="stance-token" content="{session.token}">' in html
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    row = {"id": first, "target": "NATO", "stance": "support"}
    no_token = {k: v for k, v in _page_headers(base, session).items() if k != "X-Stance-Token"}
    assert _request(base + "/api/review", row, no_token) == \
        (403, {"error": "no X-Stance-Token header; expected the token of the review page this server is serving "
                        "(reload the page)"})
    assert _request(base + "/api/review", row, {**no_token, "X-Stance-Token": "guess"})[0] == 403
    assert _reviews(db) == {}
    # a browser that sends no Origin but says the request is same-origin, with the token: accepted
    same_origin = {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "X-Stance-Token": session.token}
    assert _request(base + "/api/review", row, same_origin) == (200, {"ok": True, "id": first})
    assert _reviews(db)[first].stance == "support"
    assert _request(base + "/api/undo", {"id": first}, {**same_origin, "Sec-Fetch-Site": "cross-site"})[0] == 403
    assert first in _reviews(db)


def test_large_bodies_and_unknown_paths_are_still_refused(served):
    base, db, ids, session = served
    big = {"id": session.queue[0]["id"], "target": "NATO", "stance": "support", "pad": "x" * 70_000}
    assert _post(base + "/api/review", big, session)[0] == 413
    assert _post(base + "/api/other", {"id": 1}, session) == (404, {"error": "no such action: /api/other"})
    assert _request(base + "/etc/passwd")[0] == 404
    assert _reviews(db) == {}


def test_guard_on_a_wildcard_address_accepts_ip_literals_and_never_a_dns_name():
    from stance.review.guard import RequestGuard

    guard = RequestGuard("0.0.0.0", 8765, "t")
    assert guard.check_read({"Host": "192.168.1.20:8765"}) is None
    assert guard.check_read({"Host": "[fe80::1]:8765"}) is None
    assert guard.check_read({"Host": "localhost:8765"}) is None
    assert guard.check_read({"Host": "attacker.example:8765"}).status == 421
    assert guard.check_read({"Host": "192.168.1.20:9999"}).status == 421
    assert guard.check_read({}).status == 421
    named = RequestGuard("10.0.0.5", 8765, "t")
    assert named.check_read({"Host": "10.0.0.5:8765"}) is None and named.check_read({"Host": "127.0.0.1:8765"}).status == 421
    ok = {"Host": "10.0.0.5:8765", "Origin": "http://10.0.0.5:8765", "X-Stance-Token": "t", "Content-Type": "application/json; charset=utf-8"}
    assert named.check_write(ok) is None
    assert named.check_write({**ok, "X-Stance-Token": "t2"}).status == 403


def test_serving_beyond_loopback_says_who_can_write(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import stance.review.server
    from stance.cli import app

    db, _ = make_store(tmp_path / "s.db")
    monkeypatch.setattr(stance.review.server, "serve", lambda *a, **k: None)
    result = CliRunner().invoke(app, ["review", "serve", "--db", str(db), "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 0, result.output
    assert "anyone who can reach 0.0.0.0:9 can open the review page and write labels" in " ".join(result.output.split())
    quiet = CliRunner().invoke(app, ["review", "serve", "--db", str(db)])
    assert quiet.exit_code == 0 and "warning" not in quiet.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")
def test_review_page_clicked_through_in_headless_chromium(served, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[test]')")
    base, db, ids, session = served
    order = [q["id"] for q in session.queue]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.goto(base + "/")
        page.wait_for_selector("mark")
        assert page.text_content("#progress").startswith("1 of 6")
        assert page.text_content("mark") in session.queue[0]["text"] or session.queue[0]["text"] in page.text_content("#para")
        # first: keyboard: target 2 (NATO), stance d (doubt), Enter
        page.keyboard.press("2")
        page.keyboard.press("d")
        assert page.get_attribute("button.on[data-target]", "data-target") == "NATO"
        page.keyboard.press("Enter")
        page.wait_for_selector("text=1 reviewed")
        # second: correct the speaker, pick with the mouse, save with the button
        page.fill("#speaker", "Mark Rutte")
        page.click("button[data-target='Greenland']")
        page.click("button[data-stance='support']")
        page.click("#save")
        page.wait_for_selector("text=2 reviewed")
        # third: not a statement; then undo it
        page.keyboard.press("x")
        page.wait_for_selector("text=3 reviewed")
        page.keyboard.press("u")
        page.wait_for_selector("text=undid the review")
        assert page.text_content("#progress").startswith("3 of 6 · 2 reviewed")
        page.keyboard.press("ArrowRight")
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
        if os.environ.get("STANCE_SCREENSHOT"):
            page.screenshot(path=os.environ["STANCE_SCREENSHOT"], full_page=True)
        browser.close()
    with Store(db) as store:
        reviews = store.reviews()
    assert set(reviews) == {order[0], order[1]}
    assert (reviews[order[0]].target, reviews[order[0]].stance) == ("NATO", "doubt")
    assert (reviews[order[1]].target, reviews[order[1]].stance, reviews[order[1]].speaker) == ("Greenland", "support", "Mark Rutte")
    png = (tmp_path / "review.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000  # a rendered page, not a blank one
