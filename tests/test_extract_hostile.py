"""Hostile inputs finish: each runs in a subprocess with a generous limit, so a regression shows as a
failure instead of a hung test run. The limits are far above the expected cost (well under a second to a
few seconds) and far below what the quadratic or exponential versions took (minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stance.extract import grammar as g

ROOT = Path(__file__).resolve().parent.parent
LIMIT_S = 90

_RUN = """
import json, sys
from stance.extract import Extractor, finish
from stance.records import Article
text = sys.stdin.read()
article = Article(id="h", text=text, content_hash="h", date="2031-11-04", date_precision="day")
print(json.dumps(len(finish(Extractor().extract(article), article))))
"""


def _extract_in_subprocess(text: str) -> int:
    try:
        done = subprocess.run([sys.executable, "-c", _RUN], input=text, capture_output=True, text=True,
                              timeout=LIMIT_S, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"extraction of a {len(text)}-character text did not finish in {LIMIT_S} s")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_space_run_before_a_reporting_verb():
    text = ("The harbour board met on Tuesday. The chair" + " " * 40 + "x Odell Varga said the pier would open. "
            + "The meeting ended late. " * 20)
    assert _extract_in_subprocess(text) >= 1


def test_filler_stripping_on_a_space_run_is_linear():
    # the old pattern `(?:\s+|filler)+$` tried every split of the run: 2^n steps
    assert g.strip_fillers("The chair" + " " * 5000 + "x" + " " * 5000) == "The chair" + " " * 5000 + "x"
    assert g.strip_fillers("Odell Varga also on Monday") == "Odell Varga"
    assert g.strip_fillers("Odell Varga in a statement") == "Odell Varga"
    assert g.strip_fillers("Jonathan Castill") == "Jonathan Castill"  # "still" inside a name is no filler


def test_long_line_without_a_sentence_end():
    text = ('officials said the plan was "fine" and Mr Odell Varga told reporters that the pier would open, ' * 3200)[:300_000]
    assert _extract_in_subprocess(text) > 0


def test_large_article_of_many_paragraphs():
    # each paragraph its own pier: the same words twice in one article are reported once
    para = ('The harbour board met on Tuesday. "We will open pier {n} in May," said Odell Varga, the board chair. '
            'Varga told reporters that costs of pier {n} had risen, adding that the council "must pay its share." '
            'Critics said the plan was rushed.')
    assert _extract_in_subprocess("\n\n".join(para.format(n=n) for n in range(1200))) >= 2400


def test_unclosed_quotes_and_caption_openers():
    text = ('"' + "word " * 20 + "\n") * 2000 + "(photo " * 20000
    _extract_in_subprocess(text)
