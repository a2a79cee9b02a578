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
    server = make_server(session, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", db, ids, session
    server.shutdown()
    server.server_close()


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_api_validates_every_write_against_the_label_config(served):
    base, db, ids, session = served
    state = json.loads(urllib.request.urlopen(base + "/api/state", timeout=10).read())
    assert [q["id"] for q in state["queue"]] == [q["id"] for q in session.queue]
    assert state["targets"] == ["Article 5", "NATO", "Japan treaty", "Greenland", "none"]
    assert "Mark Rutte" in state["names"] and "John Poe" in state["names"]  # registry and store speakers
    first = state["queue"][0]
    assert first["paragraph"] is None or first["text"] in first["paragraph"][0]
    assert _post(base + "/api/review", {"id": first["id"], "target": "Trade", "stance": "support"}) == \
        (400, {"error": "review: target 'Trade' is not in the label config; expected one of "
                        "['Article 5', 'NATO', 'Japan treaty', 'Greenland', 'none']"})
    assert _post(base + "/api/review", {"id": 424242, "target": "NATO", "stance": "support"})[0] == 400
    assert _post(base + "/api/review", {"id": first["id"], "target": "NATO", "stance": "doubt"}) == (200, {"ok": True, "id": first["id"]})
    with Store(db) as store:
        saved = store.reviews()[first["id"]]
    assert (saved.target, saved.stance, saved.annotator) == ("NATO", "doubt", "tester")
    assert _post(base + "/api/undo", {"id": first["id"]}) == (200, {"ok": True, "id": first["id"]})
    with Store(db) as store:
        assert store.reviews() == {}


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
