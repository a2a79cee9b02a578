"""The rows `stance evaluate positions` scores: gold statements, the tool's, and the settings between them.

Gold statements are located in their articles and become labelled rows (certain labels); the tool's
statements come from a store or from extracting and classifying the articles; the two are matched by
article and span (the rule of `stance evaluate extraction`). Each setting is the tool's side with some
of its guesses replaced by the gold: `PositionInputs.settings()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Optional, Sequence

from stance.errors import StanceError
from stance.evaluate.extraction import GoldStatement, load_gold, match
from stance.records import Article, Prediction, labelled_row, read_jsonl
from stance.track.merge import NONE_LABEL

Classify = Callable[[list[dict]], list[Prediction]]

# The tool's statements with more and more of the gold put in: labels, then speakers, then dates.
GOLD_SETTINGS = {"extraction_only": (), "gold_labels_speakers": ("speaker",),
                 "gold_labels_speakers_dates": ("speaker", "date")}
SETTINGS = ("end_to_end", "classifier_only", *GOLD_SETTINGS)


# -- rows ----------------------------------------------------------------------


def _article_fields(article: Optional[Article]) -> dict:
    return {k: getattr(article, k, None) for k in ("source", "title", "url")}


def gold_rows(gold_path: Path, articles: dict[str, Article]) -> tuple[list[GoldStatement], list[dict]]:
    """Gold statements located in their articles, and the same as labelled rows
    (the shape stance.track.aggregate reads; no probabilities, so fully confident)."""
    from stance.extract.extractor import sentence_context

    located = load_gold(gold_path, articles)
    labels = {f"{gold_path}:{number}": row for number, row in read_jsonl(gold_path)}
    rows = []
    for index, g in enumerate(located):
        label = labels[g.where]
        for key in ("target", "stance"):
            if not isinstance(label.get(key), str) or not label[key]:
                raise StanceError(f"{g.where}: gold statement has no '{key}'; expected a labelled statement")
        article = articles[g.article]
        start, end = g.spans[0]
        # an explicit null date is an utterance the text does not date: undated, not the article's date
        date = label["date"] if "date" in label else article.date
        precision = (label.get("date_precision") or _precision(date)) if "date" in label else article.date_precision
        rows.append({
            "statement_id": index + 1, "article": g.article, "speaker": g.speaker,
            "speaker_mention": label.get("speaker_mention") or g.speaker, "text": g.text,
            "kind": label.get("kind") or "", "start": start, "end": end,
            "context": sentence_context(article.text, start, end), "date": date, "date_precision": precision,
            **_article_fields(article), "target": label["target"], "stance": label["stance"],
            "target_probs": {}, "stance_probs": {}, "where": g.where,
        })
    return located, rows


def _precision(date: Optional[str]) -> Optional[str]:
    return {10: "day", 7: "month", 4: "year"}.get(len(date)) if date else None


def extracted_rows(articles: Sequence[Article]) -> list[dict]:
    """The extractor's statements over the articles, as unlabelled rows."""
    from dataclasses import asdict

    from stance.extract.extractor import extract_statements

    by_id = {a.id: a for a in articles}
    return [dict(asdict(s), statement_id=i + 1, **_article_fields(by_id.get(s.article)))
            for i, s in enumerate(extract_statements(articles))]


def labelled(rows: list[dict], classify: Classify) -> list[dict]:
    """The rows with the classifier's target, stance and probabilities."""
    predictions = classify(rows) if rows else []
    if len(predictions) != len(rows):
        raise StanceError(f"the classifier returned {len(predictions)} prediction(s) for {len(rows)} statement(s)")
    return [labelled_row(r, p) for r, p in zip(rows, predictions)]


def match_rows(tool: list[dict], gold: list[GoldStatement]) -> dict[int, int]:
    """Tool row index -> gold index, matched per article by span overlap
    (stance.evaluate.extraction.match, the rule of `stance evaluate extraction`)."""
    out = {}
    for article in sorted({g.article for g in gold}):
        g_idx = [i for i, g in enumerate(gold) if g.article == article]
        t_idx = [i for i, r in enumerate(tool) if r.get("article") == article]
        spans = [SimpleNamespace(start=tool[i]["start"], end=tool[i]["end"]) for i in t_idx]
        for gi, ti in match(spans, [gold[i] for i in g_idx]):
            out[t_idx[ti]] = g_idx[gi]
    return out


def with_gold(tool: list[dict], gold: list[dict], matched: dict[int, int], fields: Sequence[str] = ()) -> list[dict]:
    """Tool rows whose matched gold statement's labels replace the model's (as certain), and also its
    `fields` ("speaker", "date"); unmatched rows keep the model's labels and the extractor's fields.

    Each setting takes one more of the tool's guesses away, so the figures show what each step costs:
    labels (the classifier), then speakers, then dates (the extractor)."""
    out = []
    for i, row in enumerate(tool):
        if i in matched:
            g = gold[matched[i]]
            row = dict(row, target=g["target"], stance=g["stance"], target_probs={}, stance_probs={},
                       off_target=False, confidence=None)
            if "speaker" in fields:
                row["speaker"] = g["speaker"]
            if "date" in fields:
                row["date"], row["date_precision"] = g["date"], g["date_precision"]
        out.append(row)
    return out


@dataclass
class PositionInputs:
    """Both sides of an evaluation: gold rows, the tool's rows of the same articles, their matches, and the
    gold statements labelled by the model (None without a model)."""

    gold: list[dict]
    tool: list[dict]
    matched: dict[int, int]
    classified: Optional[list[dict]]
    gold_source: str
    articles: int
    none_label: str = NONE_LABEL  # the model's: its statements about no target are never positions

    def settings(self) -> dict[str, Optional[list[dict]]]:
        """Setting name -> the tool-side rows scored in it (None: not measurable without a model)."""
        out: dict[str, Optional[list[dict]]] = {"end_to_end": self.tool, "classifier_only": self.classified}
        for name, fields in GOLD_SETTINGS.items():
            out[name] = with_gold(self.tool, self.gold, self.matched, fields)
        return out


def position_inputs(articles: Sequence[Article], gold_path: Path, *, classify: Optional[Classify] = None,
                    tool_rows: Optional[list[dict]] = None, none_label: str = NONE_LABEL) -> PositionInputs:
    """Gold and tool rows over `articles`: the tool's are `tool_rows` (e.g. from a store) or, when not
    given, extracted from the articles and labelled by `classify`, which also labels the gold statements.
    `none_label`: the model's none label (Store.none_label, or the classifier's label set)."""
    by_id = {a.id: a for a in articles}
    located, gold = gold_rows(Path(gold_path), by_id)
    if not gold:
        raise StanceError(f"{gold_path}: no gold statement belongs to the {len(by_id)} article(s) given; "
                          "expected labels whose 'article' is one of the input articles")
    scored = {g["article"] for g in gold}
    if tool_rows is None:
        if classify is None:
            raise StanceError("evaluate positions: needs a classifier (a model) or labelled rows from a store")
        tool_rows = labelled(extracted_rows([by_id[a] for a in sorted(scored)]), classify)
    tool = [r for r in tool_rows if r.get("article") in scored]
    return PositionInputs(gold, tool, match_rows(tool, located), labelled(gold, classify) if classify else None,
                          str(gold_path), len(scored), none_label)


def realnews_inputs(directory: Path, split: str = "dev", **options) -> PositionInputs:
    """position_inputs on one split of a realnews folder (articles.jsonl + statements.jsonl).

    Its gold dates are the utterances' own (the excerpt's date where the text gives none; absent where
    it is unknown, and then the statement is undated, never given the excerpt's date).
    """
    import tempfile

    from stance.evaluate.realnews import load_realnews
    from stance.ingest import load_corpus

    data = load_realnews(Path(directory), split)
    with tempfile.TemporaryDirectory(prefix="stance-realnews-") as tmp:
        corpus_path, gold_path = Path(tmp) / f"{split}.jsonl", Path(tmp) / f"{split}_gold.jsonl"
        with corpus_path.open("w", encoding="utf-8") as handle:
            for row in data.articles.values():
                handle.write(json.dumps({k: row[k] for k in ("id", "text", "date", "url") if row.get(k)},
                                        ensure_ascii=False) + "\n")
        with gold_path.open("w", encoding="utf-8") as handle:
            for row in data.statements:
                fields = {k: row.get(k) for k in ("article", "speaker", "text", "kind", "target", "stance")}
                handle.write(json.dumps({**fields, "date": row.get("date")}, ensure_ascii=False) + "\n")
        inputs = position_inputs(load_corpus([corpus_path]).articles, gold_path, **options)
    inputs.gold_source = f"{Path(directory) / 'statements.jsonl'} (split {split})"
    return inputs
