"""Corpus ingest: the seed articles, the label file, JSONL/CSV corpora, manifests, bad input."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.config import load_labels
from stance.ingest.corpus import clean_text, load_corpus, parse_date
from stance.errors import StanceError
from stance.records import DATE_PRECISIONS, STATEMENT_KINDS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MANIFEST = SEEDS / "manifest.jsonl"
LABELS = SEEDS / "labels.jsonl"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))
LABEL_FIELDS = ("article", "speaker", "speaker_mention", "text", "kind", "target", "stance", "date", "date_precision")

runner = CliRunner()


def _manifest_rows() -> dict[str, dict]:
    return {row["article"]: row for row in map(json.loads, MANIFEST.read_text(encoding="utf-8").splitlines()) if row}


def _label_rows() -> list[tuple[int, dict]]:
    rows = []
    for number, line in enumerate(LABELS.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            rows.append((number, json.loads(line)))
    return rows


@pytest.fixture(scope="module")
def seed_corpus():
    return load_corpus([SEEDS])


@pytest.fixture(scope="module")
def seed_articles(seed_corpus):
    return {a.id: a for a in seed_corpus.articles}


def run_extract(*args: str):
    return runner.invoke(app, ["extract", *map(str, args)])


def one_line(output: str) -> str:
    """CLI output with soft line breaks undone, so long paths still match."""
    return " ".join(output.split())


# --- the seed articles ------------------------------------------------------
def test_all_five_seeds_are_read_with_their_ids(seed_corpus, seed_articles):
    assert len(SEED_IDS) == 5
    assert sorted(seed_articles) == SEED_IDS
    assert not seed_corpus.skipped
    # labels.jsonl and the training supplement are not mistaken for article corpora
    assert any("labels.jsonl" in line for line in seed_corpus.ignored)
    for article in seed_articles.values():
        assert article.text and article.content_hash and len(article.content_hash) == 16
        assert article.origin.endswith(article.id + ".txt")


def test_seed_dates_and_precision_follow_the_manifest(seed_articles):
    manifest = _manifest_rows()
    assert sorted(manifest) == SEED_IDS
    for article_id, row in manifest.items():
        article = seed_articles[article_id]
        assert (article.date, article.date_precision) == (row["date"], row["date_precision"]), article_id
        if row.get("source"):
            assert article.source == row["source"]
        if row.get("title"):
            assert article.title == row["title"]
    # the facts the issue states
    assert seed_articles["000_bf9abceab3bffed9"].date == "2025-03-07"
    assert seed_articles["003_be2d0c343ec47e23"].date == "2024-02-12"
    assert (seed_articles["004_46592923fb3c0e31"].date, seed_articles["004_46592923fb3c0e31"].date_precision) == ("2026-01", "month")


@pytest.mark.parametrize("article_id", ["000_bf9abceab3bffed9", "002_d7d27435de85b353"])
def test_date_marker_sets_the_date_and_leaves_the_text(article_id):
    raw = (SEEDS / f"{article_id}.txt").read_text(encoding="utf-8")
    assert raw.lstrip().startswith("date 2025-03-07")
    article = load_corpus([SEEDS / f"{article_id}.txt"]).articles[0]  # no manifest: the marker alone dates it
    assert (article.date, article.date_precision) == ("2025-03-07", "day")
    assert not article.text.startswith("date")
    assert "date 2025-03-07" not in article.text
    assert article.text.startswith(("US President", "US president"))


def test_seed_boilerplate_is_removed(seed_articles):
    texts = {a: art.text for a, art in seed_articles.items()}
    lines = [line.strip() for text in texts.values() for line in text.split("\n")]
    assert "ua en ru" not in lines  # language picker (004)
    assert not any("Pinterest LinkedIn Tumblr" in t for t in texts.values())  # share row (003)
    assert "READ MORE" not in lines  # (000)
    assert not any("Opens in new window" in t for t in texts.values())  # bracketed promo (000)
    assert not any("This post appeared first on" in t for t in texts.values())  # (003)
    # and the surrounding prose is untouched
    raw_000 = (SEEDS / "000_bf9abceab3bffed9.txt").read_text(encoding="utf-8")
    assert "Opens in new window" in raw_000 and "READ MORE" in raw_000
    assert "Mr Trump said he viewed Nato as “potentially good”" in texts["000_bf9abceab3bffed9"]
    assert texts["004_46592923fb3c0e31"].startswith("Trump expresses doubts NATO will back US")


def test_every_labelled_statement_survives_cleaning(seed_articles):
    for number, row in _label_rows():
        assert row["text"] in seed_articles[row["article"]].text, f"labels.jsonl:{number} lost by cleaning: {row['text'][:60]!r}"


def test_seed_ingest_is_stable():
    first = {a.id: a.content_hash for a in load_corpus([SEEDS]).articles}
    second = {a.id: a.content_hash for a in load_corpus([SEEDS]).articles}
    assert first == second and len(set(first.values())) == 5


# --- the label file ---------------------------------------------------------
def test_label_file_is_valid_jsonl_with_required_fields():
    rows = _label_rows()
    assert len(rows) > 50
    for number, row in rows:
        where = f"labels.jsonl:{number}"
        for key in LABEL_FIELDS:
            assert key in row, f"{where}: missing {key}"
        for key in ("article", "speaker", "text", "kind", "target", "stance", "date"):
            assert isinstance(row[key], str) and row[key].strip(), f"{where}: empty {key}"
        assert row["article"] in SEED_IDS, where
        assert row["kind"] in STATEMENT_KINDS, where
        date, precision = parse_date(row["date"], where)
        assert row["date_precision"] in DATE_PRECISIONS and row["date_precision"] == precision, where


def test_label_targets_and_stances_come_from_the_label_config():
    labels = load_labels()
    for number, row in _label_rows():
        where = f"labels.jsonl:{number}"
        assert row["target"] in labels.target_names, where
        assert row["stance"] in labels.stance_names, where
        if row["target"] == labels.none_label:
            assert row["stance"] == labels.none_label, f"{where}: target none needs stance none"
        labels.check(row["target"], row["stance"], where)


def test_every_label_text_is_verbatim_in_its_article_file():
    raw = {stem: (SEEDS / f"{stem}.txt").read_text(encoding="utf-8") for stem in SEED_IDS}
    for number, row in _label_rows():
        assert row["text"] in raw[row["article"]], f"labels.jsonl:{number}: {row['text'][:60]!r}"
        assert row["text"] == row["text"].strip(), f"labels.jsonl:{number}: surrounding whitespace"


def test_label_file_covers_every_seed_and_has_no_duplicates():
    rows = [row for _, row in _label_rows()]
    assert {r["article"] for r in rows} == set(SEED_IDS)
    keys = [(r["article"], r["text"]) for r in rows]
    assert len(keys) == len(set(keys))


# --- cleaning on texts written for the tests ----------------------------------
def test_clean_text_removes_general_boilerplate_only():
    raw = (" date 2031-11-04 Harbour officials met on Monday.\n\n"
           "de fr it\n\n"
           "Facebook Twitter Email\n\n"
           "“Read more about the plan before you judge it,” the mayor said.\n\n"
           "Read more\n\n"
           "[ Why the ferry timetable matters Opens in new window ]\n\n"
           "The council will vote in December.\n\n"
           "This article appeared first on Coastal Times")
    text, marker = clean_text(raw)
    assert marker == "2031-11-04"
    assert text == ("Harbour officials met on Monday.\n\n"
                    "“Read more about the plan before you judge it,” the mayor said.\n\n"
                    "The council will vote in December.")


def test_clean_text_without_marker_or_boilerplate_is_unchanged():
    raw = "The bridge reopened.\n\n“It is safe,” said engineer Ilse Marquardt."
    assert clean_text(raw) == (raw, None)


@pytest.mark.parametrize("value,expected", [
    ("2031-11-04", ("2031-11-04", "day")), ("2031-11", ("2031-11", "month")), ("2031", ("2031", "year")),
])
def test_parse_date_precisions(value, expected):
    assert parse_date(value, "x") == expected


@pytest.mark.parametrize("value", ["2031-02-30", "2031-13", "04/11/2031", "yesterday", "2031-1-4"])
def test_parse_date_rejects_malformed(value):
    with pytest.raises(StanceError, match="malformed date"):
        parse_date(value, "somewhere")


# --- JSONL and CSV corpora, manifests -----------------------------------------
def test_jsonl_corpus_with_metadata(tmp_path):
    path = tmp_path / "wire.jsonl"
    rows = [
        {"id": "w1", "text": "The harbour reopened.", "date": "2031-11-04", "source": "Coastal Times",
         "url": "https://example.org/w1", "title": "Harbour reopens"},
        {"id": "w2", "text": " date 2030-06-01 The ferry ran late.", "date_precision": None},
        {"id": "w3", "text": "Tolls rose.", "date": "2029-05"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    articles = {a.id: a for a in load_corpus([path]).articles}
    assert list(articles) == ["w1", "w2", "w3"]
    w1 = articles["w1"]
    assert (w1.text, w1.date, w1.date_precision) == ("The harbour reopened.", "2031-11-04", "day")
    assert (w1.source, w1.url, w1.title) == ("Coastal Times", "https://example.org/w1", "Harbour reopens")
    assert w1.origin.endswith("wire.jsonl:1")
    assert (articles["w2"].text, articles["w2"].date) == ("The ferry ran late.", "2030-06-01")
    assert (articles["w3"].date, articles["w3"].date_precision) == ("2029-05", "month")


def test_csv_corpus_with_metadata(tmp_path):
    path = tmp_path / "feed.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "date", "source", "title", "url"])
        writer.writerow(["c1", "Line one.\n\n“Quoted, with a comma,” said Ola Brekke.", "2031-11-04", "Fjord Post", "Ferry", ""])
        writer.writerow(["c2", "Another text.", "", "", "", ""])
    articles = {a.id: a for a in load_corpus([path]).articles}
    c1 = articles["c1"]
    assert c1.text == "Line one.\n\n“Quoted, with a comma,” said Ola Brekke."
    assert (c1.date, c1.date_precision, c1.source, c1.title, c1.url) == ("2031-11-04", "day", "Fjord Post", "Ferry", None)
    assert (articles["c2"].date, articles["c2"].source) == (None, None)


def test_manifest_in_directory_overrides_marker_date(tmp_path):
    (tmp_path / "a.txt").write_text(" date 2031-11-04 The harbour reopened.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Tolls rose.", encoding="utf-8")
    (tmp_path / "manifest.jsonl").write_text(
        json.dumps({"article": "a", "date": "2031-11-02", "source": "Coastal Times"}) + "\n"
        + json.dumps({"article": "b", "date": "2030-01", "date_precision": "month", "title": "Tolls"}) + "\n",
        encoding="utf-8")
    articles = {a.id: a for a in load_corpus([tmp_path]).articles}
    assert sorted(articles) == ["a", "b"]  # the manifest is not read as an article
    assert (articles["a"].date, articles["a"].date_precision, articles["a"].source) == ("2031-11-02", "day", "Coastal Times")
    assert articles["a"].text == "The harbour reopened."
    assert (articles["b"].date, articles["b"].date_precision, articles["b"].title) == ("2030-01", "month", "Tolls")


def test_explicit_manifest_overrides_directory_manifest_and_jsonl_dates(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "a.txt").write_text("The harbour reopened.", encoding="utf-8")
    (corpus_dir / "feed.jsonl").write_text(json.dumps({"id": "j", "text": "Tolls rose.", "date": "2031-01-01"}) + "\n",
                                           encoding="utf-8")
    (corpus_dir / "manifest.jsonl").write_text(json.dumps({"article": "a", "date": "2031-05-05"}) + "\n", encoding="utf-8")
    explicit = tmp_path / "dates.jsonl"
    explicit.write_text(json.dumps({"article": "a", "date": "2031-06"}) + "\n"
                        + json.dumps({"id": "j", "date": "2030-12-24"}) + "\n", encoding="utf-8")
    articles = {a.id: a for a in load_corpus([corpus_dir], manifest=explicit).articles}
    assert (articles["a"].date, articles["a"].date_precision) == ("2031-06", "month")
    assert (articles["j"].date, articles["j"].date_precision) == ("2030-12-24", "day")


def test_manifest_entry_for_unknown_article_is_reported(tmp_path):
    (tmp_path / "a.txt").write_text("The harbour reopened.", encoding="utf-8")
    (tmp_path / "manifest.jsonl").write_text(json.dumps({"article": "zz", "date": "2031-05-05"}) + "\n", encoding="utf-8")
    corpus = load_corpus([tmp_path])
    assert any("'zz'" in line for line in corpus.ignored)


def test_cli_manifest_option_dates_extracted_statements(tmp_path):
    (tmp_path / "k.txt").write_text("“We will rebuild the pier by spring,” said harbourmaster Ola Brekke.", encoding="utf-8")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"article": "k", "date": "2031-11-04"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_extract(tmp_path / "k.txt", "--manifest", manifest, "--out", out)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and all((r["date"], r["date_precision"]) == ("2031-11-04", "day") for r in rows)


# --- bad input through the CLI ------------------------------------------------
def _bad_inputs(tmp_path: Path) -> dict[str, tuple[list, str]]:
    """name -> (extract arguments, expected message pattern)."""
    d = tmp_path
    (d / "latin1.txt").write_bytes("Caf\xe9 owners said prices would rise.".encode("latin-1"))
    (d / "empty.txt").write_text("", encoding="utf-8")
    (d / "blank.txt").write_text("  \n\n \n", encoding="utf-8")
    (d / "baddate.txt").write_text(" date 2031-02-30 The harbour reopened.", encoding="utf-8")
    (d / "ok.txt").write_text("The harbour reopened.", encoding="utf-8")
    (d / "badmanifest.jsonl").write_text(json.dumps({"article": "ok", "date": "04/11/2031"}) + "\n", encoding="utf-8")
    (d / "broken.jsonl").write_text(json.dumps({"id": "g1", "text": "Fine."}) + "\n" + '{"id": "g2", "text": \n',
                                    encoding="utf-8")
    (d / "emptyrows.jsonl").write_text("\n\n", encoding="utf-8")
    (d / "notext.csv").write_text("id,body\nx1,The harbour reopened.\n", encoding="utf-8")
    (d / "dups.jsonl").write_text(json.dumps({"id": "same", "text": "One."}) + "\n"
                                  + json.dumps({"id": "same", "text": "Two."}) + "\n", encoding="utf-8")
    (d / "baddatecol.csv").write_text("id,text,date\nq1,Tolls rose.,next week\n", encoding="utf-8")
    return {
        "missing": ([d / "no_such_article.txt"], r"no_such_article\.txt: no such file or directory"),
        "not utf-8": ([d / "latin1.txt"], r"latin1\.txt: not UTF-8 text"),
        "empty": ([d / "empty.txt"], r"empty\.txt: empty article text"),
        "blank": ([d / "blank.txt"], r"blank\.txt: empty article text"),
        "empty jsonl": ([d / "emptyrows.jsonl"], r"emptyrows\.jsonl: empty file"),
        "marker date": ([d / "baddate.txt"], r"baddate\.txt: date marker: malformed date '2031-02-30'"),
        "manifest date": ([d / "ok.txt", "--manifest", d / "badmanifest.jsonl"],
                          r"badmanifest\.jsonl:1: malformed date '04/11/2031'"),
        "csv date": ([d / "baddatecol.csv"], r"baddatecol\.csv:2: malformed date 'next week'"),
        "bad json line": ([d / "broken.jsonl"], r"broken\.jsonl:2: not valid JSON"),
        "csv without text": ([d / "notext.csv"], r"notext\.csv:1: CSV has no 'text' column"),
        "duplicate ids": ([d / "dups.jsonl"], r"dups\.jsonl:2: duplicate article id 'same' \(first seen in .*dups\.jsonl:1\)"),
    }


@pytest.mark.parametrize("case", ["missing", "not utf-8", "empty", "blank", "empty jsonl", "marker date", "manifest date",
                                  "csv date", "bad json line", "csv without text", "duplicate ids"])
def test_bad_input_is_one_clear_error_line(tmp_path, case):
    args, pattern = _bad_inputs(tmp_path)[case]
    result = run_extract(*args)
    assert result.exit_code == 1
    output = one_line(result.output)
    assert re.search(r"^Error: .*" + pattern, output), result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_duplicate_ids_across_files_are_an_error(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "same.txt").write_text("The harbour reopened.", encoding="utf-8")
    (tmp_path / "two" / "same.txt").write_text("Tolls rose.", encoding="utf-8")
    result = run_extract(tmp_path)
    assert result.exit_code == 1
    assert re.search(r"two/same\.txt: duplicate article id 'same' \(first seen in .*one/same\.txt\)", one_line(result.output))


def test_unsupported_file_type_is_an_error(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("x", encoding="utf-8")
    result = run_extract(path)
    assert result.exit_code == 1
    assert "notes.docx: unsupported file type .docx" in one_line(result.output)


def test_skip_bad_skips_and_lists_every_bad_item(tmp_path):
    cases = _bad_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    args = [tmp_path / "latin1.txt", tmp_path / "empty.txt", tmp_path / "baddate.txt", tmp_path / "broken.jsonl",
            tmp_path / "notext.csv", tmp_path / "dups.jsonl", tmp_path / "ok.txt", tmp_path / "baddatecol.csv",
            "--manifest", tmp_path / "badmanifest.jsonl"]
    result = run_extract(*args, "--skip-bad", "--out", out)
    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    for name in ("not utf-8", "empty", "marker date", "manifest date", "bad json line", "csv without text",
                 "duplicate ids", "csv date"):
        assert re.search(r"skipped .*" + cases[name][1], output), (name, result.output)
    # the good items still come through: g1 (before the broken line) and the first 'same'
    assert re.search(r"2 articles read, 8 skipped, \d+ statements found", output), result.output
    assert out.exists()


def test_skip_bad_in_a_directory_walk(tmp_path):
    (tmp_path / "good.txt").write_text("“The pier will reopen in May,” said harbourmaster Ola Brekke.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00broken")
    (tmp_path / "nothing.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run_extract(tmp_path, "--skip-bad", "--out", out)
    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    assert re.search(r"skipped .*bad\.txt: not UTF-8 text", output)
    assert re.search(r"skipped .*nothing\.txt: empty article text", output)
    assert "1 articles read, 2 skipped" in output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["speaker"] for r in rows] == ["Ola Brekke"]


def test_without_skip_bad_nothing_is_written(tmp_path):
    (tmp_path / "good.txt").write_text("“The pier will reopen in May,” said harbourmaster Ola Brekke.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00broken")
    out = tmp_path / "out.jsonl"
    result = run_extract(tmp_path, "--out", out)
    assert result.exit_code == 1
    assert not out.exists()


def test_skip_bad_lists_a_missing_path(tmp_path):
    (tmp_path / "good.txt").write_text("The harbour reopened.", encoding="utf-8")
    result = run_extract(tmp_path / "good.txt", tmp_path / "gone.txt", "--skip-bad", "--out", tmp_path / "o.jsonl")
    assert result.exit_code == 0
    assert re.search(r"skipped .*gone\.txt: no such file or directory", one_line(result.output))
