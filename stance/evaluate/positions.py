"""End-to-end evaluation of what the report says: position cells and changes against gold statements.

Both sides go through the same code the reports use (stance.track.aggregate): gold
statements and the tool's statements are each merged into utterances and
aggregated per speaker x target x period, so a "position cell" and a "change"
mean one thing here and in report.md.

- A position cell is (speaker, target, period) with its top stance(s): the
  stances other than none said in the most utterances, several when tied. A cell
  is right when the tool has the same cell with the same set of top stances (a
  tie is right only against the same tie). Cells where every utterance takes no
  position are not cells. Accuracy is over the gold cells; cells the tool
  states that gold does not have are "invented".
- A change is (speaker, target, from period, to period, from top stances, to
  top stances) for consecutive periods with a position whose top stances share
  nothing. Precision and recall of the report's firm changes against every gold
  change (gold labels are certain, so none of them is tentative); the same for
  firm and tentative changes together. A gold change the tool states only as
  tentative counts against the recall of firm changes; it is listed as
  "right but tentative", not as missed.

Three settings separate where the errors come from: "end_to_end" (the tool's
statements with the model's labels), "classifier_only" (gold statements, speakers
and dates with the model's labels) and "extraction_only" (the tool's statements,
speakers and dates; those matched to a gold statement by article and span, as in
`stance evaluate extraction`, take its gold labels, unmatched ones keep the
model's). Gold statements and labels come from a JSONL with article, speaker,
text, target and stance (date, date_precision optional: else the article's).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable, Optional, Sequence

from stance.track.aggregate import DEFAULT_RULE, ChangeRule, aggregate
from stance.errors import StanceError
from stance.evaluate.extraction import GoldStatement, load_gold, match
from stance.records import Article, Prediction, labelled_row, read_jsonl

# Rules scored for choosing the tentative-change rule (min utterances, min label confidence).
RULE_GRID = tuple(ChangeRule(n, c) for n in (2, 3) for c in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01))

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


# -- scoring -------------------------------------------------------------------


def position_cells(result: dict) -> dict[tuple, tuple]:
    """(speaker, target, period) -> top stances, for every cell that states a
    position; speakers compared case-insensitively, as the merge does."""
    cells = {}
    for p in result["positions"]:
        for entry in p["periods"] + ([p["undated"]] if p["undated"] else []):
            if entry["top"]:
                cells[(p["actor"].casefold(), p["target"], entry["period"])] = tuple(entry["top"])
    return cells


def _names(*results: dict) -> dict[str, str]:
    return {p["actor"].casefold(): p["actor"] for r in results for p in r["positions"]}


def change_key(change: dict, names: Optional[dict[str, str]] = None) -> tuple:
    actor = change["actor"].casefold()
    return ((names or {}).get(actor, actor), change["target"], change["from_period"], change["to_period"],
            tuple(change["from_top"]), tuple(change["to_top"]))


def _ratio(a: int, b: int) -> Optional[float]:
    return round(a / b, 4) if b else None


def _cell_text(key: tuple, top: tuple, names: dict[str, str]) -> str:
    return f"{names.get(key[0], key[0])} on {key[1]} in {key[2]}: {'/'.join(top)}"


def align_names(gold_names: Iterable[str], tool_names: Iterable[str]) -> dict[str, str]:
    """Tool speaker (casefolded) -> the gold speaker it names, by the rule of `stance evaluate extraction`
    (no case or diacritics; a surname matches its full name), where exactly one gold speaker fits."""
    from stance.evaluate.realnews import same_speaker

    gold_names = sorted(set(gold_names))
    out = {}
    for name in set(tool_names):
        fits = [g for g in gold_names if same_speaker(g, name)]
        out[name] = fits[0] if len(fits) == 1 else name
    return out


def _renamed(cells: dict[tuple, tuple], names: dict[str, str]) -> dict[tuple, tuple]:
    return {(names.get(k[0], k[0]), *k[1:]): v for k, v in cells.items()}


def compare(gold_result: dict, tool_result: dict) -> dict:
    """Score the tool's aggregate against the gold one (both from stance.track.aggregate).

    Speakers are compared as `stance evaluate extraction` compares them (align_names)."""
    gold_cells, tool_cells = position_cells(gold_result), position_cells(tool_result)
    aligned = align_names({k[0] for k in gold_cells} | {change_key(c)[0] for c in gold_result["changes"]},
                          {k[0] for k in tool_cells} | {change_key(c)[0] for c in tool_result["changes"] + tool_result["tentative_changes"]})
    tool_cells = _renamed(tool_cells, aligned)
    names = _names(tool_result, gold_result)
    right = [k for k in gold_cells if tool_cells.get(k) == gold_cells[k]]
    wrong = [f"{_cell_text(k, gold_cells[k], names)} (tool: {'/'.join(tool_cells[k])})"
             for k in gold_cells if k in tool_cells and tool_cells[k] != gold_cells[k]]
    missed = [_cell_text(k, gold_cells[k], names) for k in gold_cells if k not in tool_cells]
    invented = [_cell_text(k, tool_cells[k], names) for k in tool_cells if k not in gold_cells]

    gold_changes = {change_key(c): c for c in gold_result["changes"] + gold_result["tentative_changes"]}
    firm = {change_key(c, aligned): c for c in tool_result["changes"]}
    tentative = {change_key(c, aligned): c for c in tool_result["tentative_changes"]}
    firm_right = [k for k in firm if k in gold_changes]
    tentative_right = [k for k in tentative if k in gold_changes]
    return {
        "cells": {"gold": len(gold_cells), "tool": len(tool_cells), "right": len(right),
                  "accuracy": _ratio(len(right), len(gold_cells)), "invented": len(invented),
                  "invented_share": _ratio(len(invented), len(tool_cells)),
                  "wrong_cells": wrong, "missed_cells": missed, "invented_cells": invented},
        "changes": {"gold": len(gold_changes), "firm": len(firm), "firm_right": len(firm_right),
                    "precision": _ratio(len(firm_right), len(firm)),
                    "recall": _ratio(len(firm_right), len(gold_changes)),
                    "tentative": len(tentative), "tentative_right": len(tentative_right),
                    "all_precision": _ratio(len(firm_right) + len(tentative_right), len(firm) + len(tentative)),
                    "all_recall": _ratio(len(firm_right) + len(tentative_right), len(gold_changes)),
                    "right_changes": [firm[k]["text"] for k in firm_right],
                    "wrong_changes": [firm[k]["text"] for k in firm if k not in gold_changes],
                    "tentative_right_changes": [tentative[k]["text"] for k in tentative_right],
                    "tentative_wrong_changes": [tentative[k]["text"] for k in tentative if k not in gold_changes],
                    "missed_changes": [c["text"] for k, c in gold_changes.items() if k not in firm and k not in tentative]},
    }


def score_rows(gold: list[dict], tool: list[dict], period: str = "month", rule: ChangeRule = DEFAULT_RULE) -> dict:
    """Aggregate both sides the way the reports do and compare them."""
    return compare(aggregate(gold, period=period, rule=rule), aggregate(tool, period=period, rule=rule))


def rule_table(gold: list[dict], tool: list[dict], period: str, rules: Iterable[ChangeRule] = RULE_GRID) -> list[dict]:
    """Firm-change precision and recall under each tentative-change rule."""
    gold_result = aggregate(gold, period=period)
    out = []
    for rule in rules:
        changes = compare(gold_result, aggregate(tool, period=period, rule=rule))["changes"]
        out.append({"min_utterances": rule.min_utterances, "min_confidence": rule.min_confidence,
                    **{k: changes[k] for k in ("firm", "firm_right", "tentative", "precision", "recall")}})
    return out


def evaluate_positions(articles: Sequence[Article], gold_path: Path, *, classify: Optional[Classify] = None,
                       tool_rows: Optional[list[dict]] = None, period: str = "month",
                       rule: ChangeRule = DEFAULT_RULE, json_path: Optional[Path] = None,
                       source: Optional[dict] = None) -> dict:
    """Score the report's positions and changes against gold statements.

    The tool's statements are `tool_rows` (labelled rows, e.g. from a store)
    or, when not given, extracted from `articles` and labelled by `classify`.
    `classify` also labels the gold statements for the classifier-only
    setting, which is left out (None) without it. Returns the report dict
    (settings, rule grids, counts; `source`, e.g. the model id or store, recorded
    as is) and writes it to json_path when given.
    """
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
    matched = match_rows(tool, located)
    settings = {"end_to_end": score_rows(gold, tool, period, rule)}
    for name, fields in GOLD_SETTINGS.items():
        settings[name] = score_rows(gold, with_gold(tool, gold, matched, fields), period, rule)
    grids = {"end_to_end": rule_table(gold, tool, period)}
    if classify is not None:
        relabelled = labelled(gold, classify)
        settings["classifier_only"] = score_rows(gold, relabelled, period, rule)
        grids["classifier_only"] = rule_table(gold, relabelled, period)
    else:
        settings["classifier_only"] = None
    report = {
        "gold": str(gold_path), "source": source or {}, "period": period, "articles": len(scored),
        "rule": {"min_utterances": rule.min_utterances, "min_confidence": rule.min_confidence},
        "statements": {"gold": len(gold), "tool": len(tool), "matched": len(matched)},
        "settings": settings, "rule_grid": grids,
    }
    if json_path:
        _write_json(report, Path(json_path))
    return report


def evaluate_realnews_positions(directory: Path, split: str = "dev", **options) -> dict:
    """evaluate_positions on one split of a realnews folder (articles.jsonl + statements.jsonl).

    Its gold dates are the utterances' own (the excerpt's date where the text gives none; absent
    where it is unknown, and then the statement is undated, never given the excerpt's date).
    `options` as for evaluate_positions.
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
                handle.write(json.dumps({**{k: row.get(k) for k in ("article", "speaker", "text", "kind", "target",
                                                                       "stance")}, "date": row.get("date")},
                                        ensure_ascii=False) + "\n")
        json_path = options.pop("json_path", None)
        report = evaluate_positions(load_corpus([corpus_path]).articles, gold_path, **options)
    report["gold"] = f"{Path(directory) / 'statements.jsonl'} (split {split})"
    if json_path:
        _write_json(report, Path(json_path))
    return report


def _write_json(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# -- output --------------------------------------------------------------------


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def to_markdown(report: dict, show_errors: bool = True) -> str:
    """The figures per setting, the rule grid, then the end-to-end errors."""
    s = report["statements"]
    lines = [f"{report['articles']} article(s), period {report['period']}: {s['gold']} gold statement(s), "
             f"{s['tool']} found by the tool, {s['matched']} matched. Tentative rule: fewer than "
             f"{report['rule']['min_utterances']} utterance(s) and label confidence below "
             f"{report['rule']['min_confidence']:.2f}.", "",
             "| setting | cell accuracy | gold cells | right | invented | change precision | change recall "
             "| gold changes | firm (right) | tentative (right) |", "|---" * 10 + "|"]
    for name in SETTINGS:
        r = report["settings"].get(name)
        if r is None:
            lines.append(f"| {name} | not measured (needs a model) | | | | | | | | |")
            continue
        c, ch = r["cells"], r["changes"]
        lines.append(f"| {name} | {_fmt(c['accuracy'])} | {c['gold']} | {c['right']} | {c['invented']} "
                     f"| {_fmt(ch['precision'])} | {_fmt(ch['recall'])} | {ch['gold']} | {ch['firm']} ({ch['firm_right']}) "
                     f"| {ch['tentative']} ({ch['tentative_right']}) |")
    for name, grid in report["rule_grid"].items():
        lines += ["", f"Firm changes by tentative rule ({name}):", "",
                  "| min utterances | min confidence | firm | right | tentative | precision | recall |", "|---" * 7 + "|"]
        lines += [f"| {g['min_utterances']} | {g['min_confidence']:.2f} | {g['firm']} | {g['firm_right']} | "
                  f"{g['tentative']} | {_fmt(g['precision'])} | {_fmt(g['recall'])} |" for g in grid]
    if show_errors:
        for name in SETTINGS:
            r = report["settings"].get(name)
            if not r:
                continue
            lines += ["", f"Errors ({name}):"]
            for key, label in (("wrong_cells", "wrong cell"), ("missed_cells", "missed cell"),
                               ("invented_cells", "invented cell")):
                lines += [f"- {label}: {t}" for t in r["cells"][key]]
            for key, label in (("wrong_changes", "wrong change"), ("missed_changes", "missed change"),
                               ("tentative_right_changes", "right but tentative"),
                               ("tentative_wrong_changes", "wrong, tentative")):
                lines += [f"- {label}: {t}" for t in r["changes"][key]]
    return "\n".join(lines)
