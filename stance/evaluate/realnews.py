"""Score the extractor on the realnews set (articles.jsonl + statements.jsonl), read from a path.

The definitions are those of the set's `score.py`, re-implemented so the project needs no file of the set's:

- a gold statement is found when a prediction of the same article overlaps it by at least half of the
  shorter span (a prediction longer than 2.5 x the gold span + 60 characters never matches); spans are
  found by searching each side's text in a normalised copy of the article (NFKC, straight quotes, one
  space, lower case), exactly as `score.py` does; the best-overlapping prediction (the first of equals)
  gives the speaker;
- recall, overall and per kind (direct, indirect, mixed); precision: predictions overlapping some gold
  statement that way;
- speaker accuracy over matched statements: names compared without case and diacritics, a surname
  matching its full name ("Trump" and "Donald Trump").

On top of those: month accuracy of the utterance date (over matched statements whose gold date has a month),
accuracy at the gold's own precision, the calibration of `speaker_confidence` (reliability bins and expected
calibration error), and the lists of misses, wrong speakers and false positives located by article and
offsets (text only on request, for local reading).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.evaluate.polnear import cut, listed_errors, norm, overlap, span_in
from stance.records import read_jsonl

SPLITS = ("train", "dev")
KINDS = ("direct", "indirect", "mixed")
CALIBRATION_BINS = 10


@dataclass
class RealNews:
    """One split of the realnews set: raw excerpts by id and their gold statements."""

    split: str
    articles: dict[str, dict] = field(default_factory=dict)  # id -> row (id, text, date, url, split)
    statements: list[dict] = field(default_factory=list)


def plain(text: str) -> str:
    """The comparison form of a name: normalised, lower case, without diacritics."""
    return "".join(c for c in unicodedata.normalize("NFKD", norm(text)) if not unicodedata.combining(c))


def same_speaker(gold: str, predicted: str) -> bool:
    """score.py's rule: equal without case and diacritics, or one contains the other and they end alike."""
    gold, predicted = plain(gold or ""), plain(predicted or "")
    if not gold or not predicted:
        return False
    return gold == predicted or (gold.split()[-1] == predicted.split()[-1] and (gold in predicted or predicted in gold))


def load_realnews(directory: Path, split: str) -> RealNews:
    """Read the excerpts and gold statements of one split from a realnews folder."""
    if split not in SPLITS:
        raise StanceError(f"split {split!r}; expected one of {', '.join(SPLITS)}")
    directory = Path(directory)
    paths = [directory / "articles.jsonl", directory / "statements.jsonl"]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise StanceError(f"{directory}: no {' or '.join(missing)}; expected a realnews folder "
                          "(articles.jsonl and statements.jsonl)")
    data = RealNews(split)
    for number, row in read_jsonl(paths[0]):
        if not isinstance(row.get("id"), str) or not isinstance(row.get("text"), str) or row.get("split") not in SPLITS:
            raise StanceError(f"{paths[0]}:{number}: excerpt needs 'id', 'text' and 'split' (train or dev); "
                              f"found keys {sorted(row)}")
        if row["split"] == split:
            data.articles[row["id"]] = row
    if not data.articles:
        raise StanceError(f"{paths[0]}: no excerpts of split {split!r}")
    for number, row in read_jsonl(paths[1]):
        if row.get("article") not in data.articles:
            continue
        for key in ("text", "speaker", "kind"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise StanceError(f"{paths[1]}:{number}: statement has no '{key}'; expected article, speaker, text, kind")
        data.statements.append(row)
    return data


def _raw_location(article: str, raw: str, text: str, start: Optional[int] = None) -> dict:
    """Offsets of `text` in the raw excerpt: at `start` (cleaned text, leading space stripped) or by search."""
    lead = len(raw) - len(raw.lstrip())
    if isinstance(start, int) and raw[lead + start:lead + start + len(text)] == text:
        at = lead + start
    else:
        at = raw.find(text) if text else -1
    return {"article": article, "start": at if at >= 0 else None, "end": at + len(text) if at >= 0 else None}


def month_right(gold_date: Optional[str], predicted_date: Optional[str]) -> Optional[bool]:
    """Whether the predicted date has the gold's year and month; None when the gold has no month."""
    if not gold_date or len(gold_date) < 7:
        return None
    return bool(predicted_date) and predicted_date[:7] == gold_date[:7]


def date_right(gold_date: Optional[str], predicted_date: Optional[str]) -> Optional[bool]:
    """Whether the predicted date equals the gold at the gold's precision; None when the gold has no date."""
    if not gold_date:
        return None
    return bool(predicted_date) and predicted_date[:len(gold_date)] == gold_date


def calibration(pairs: Iterable[tuple[float, bool]], bins: int = CALIBRATION_BINS) -> dict:
    """Reliability of a confidence: per equal-width bin, count, mean confidence and accuracy; and the
    expected calibration error (the count-weighted mean gap between the two)."""
    rows = [[0, 0.0, 0] for _ in range(bins)]
    total = 0
    for confidence, right in pairs:
        index = min(bins - 1, max(0, int(float(confidence) * bins)))
        rows[index][0] += 1
        rows[index][1] += float(confidence)
        rows[index][2] += bool(right)
        total += 1
    table, gap = [], 0.0
    for index, (count, confidence_sum, right) in enumerate(rows):
        if not count:
            continue
        mean, accuracy = confidence_sum / count, right / count
        gap += count * abs(mean - accuracy)
        table.append({"bin": [round(index / bins, 2), round((index + 1) / bins, 2)], "n": count,
                      "mean_confidence": round(mean, 3), "accuracy": round(accuracy, 3)})
    return {"n": total, "ece": round(gap / total, 4) if total else 0.0, "bins": table}


def _match(gold: list[dict], predicted: dict[str, list[tuple]], normalised: dict[str, str]):
    """(gold, best prediction or None) for each gold statement, and the ids of predictions that hit any gold."""
    pairs, hit = [], set()
    for g in gold:
        gold_span = span_in(g["text"], normalised[g["article"]])
        best, best_overlap = None, 0.0
        for span, p in predicted.get(g["article"], []):
            value = overlap(gold_span, span)
            if value >= 0.5:
                hit.add(id(p))
                if value > best_overlap:
                    best, best_overlap = p, value
        pairs.append((g, best))
    return pairs, hit


def score_realnews(predictions: Iterable[dict], data: RealNews) -> dict:
    """Score predicted statements (dicts with article, text, speaker; start, end, date and
    speaker_confidence optional) against one split of the realnews set."""
    normalised = {a: norm(row["text"]) for a, row in data.articles.items()}
    predicted: dict[str, list[tuple]] = {}
    for pred in predictions:
        article = str(pred.get("article"))
        if article in normalised:
            predicted.setdefault(article, []).append((span_in(str(pred.get("text", "")), normalised[article]), pred))
    pairs, hit = _match(data.statements, predicted, normalised)
    matched = [(g, p) for g, p in pairs if p is not None]
    kinds, kinds_hit = Counter(g["kind"] for g in data.statements), Counter(g["kind"] for g, _ in matched)
    speaker_ok = [same_speaker(g["speaker"], str(p.get("speaker", ""))) for g, p in matched]
    months = [m for m in (month_right(g.get("date"), p.get("date")) for g, p in matched) if m is not None]
    dates = [d for d in (date_right(g.get("date"), p.get("date")) for g, p in matched) if d is not None]
    n_pred = sum(len(v) for v in predicted.values())
    report = {
        "split": data.split, "articles": len(data.articles), "gold": len(data.statements), "pred": n_pred,
        "matched": len(matched), "recall": round(len(matched) / max(1, len(data.statements)), 3),
        "recall_by_kind": {k: round(kinds_hit[k] / n, 3) for k, n in sorted(kinds.items())},
        "gold_by_kind": dict(sorted(kinds.items())), "matched_by_kind": dict(sorted(kinds_hit.items())),
        "pred_matched": len(hit), "precision": round(len(hit) / max(1, n_pred), 3),
        "speaker_correct": sum(speaker_ok), "speaker_accuracy": round(sum(speaker_ok) / max(1, len(matched)), 3),
        "month_n": len(months), "month_accuracy": round(sum(months) / max(1, len(months)), 3),
        "date_n": len(dates), "date_accuracy": round(sum(dates) / max(1, len(dates)), 3),
        "speaker_unknown": sum(1 for _, p in matched if str(p.get("speaker", "unknown")) == "unknown"),
        # over the statements given a speaker: `unknown` claims nobody (its confidence is 0)
        "speaker_calibration": calibration((float(p.get("speaker_confidence", 1.0)), ok)
                                           for (_, p), ok in zip(matched, speaker_ok)
                                           if str(p.get("speaker", "unknown")) != "unknown"),
    }
    report.update(_error_lists(pairs, speaker_ok, predicted, hit, data))
    kinds = Counter(speaker_error_kind(w["gold_speaker"], str(w["predicted"].get("speaker") or "unknown"))
                    for w in report["wrong_speakers"])
    report["wrong_speaker_kinds"] = {k: kinds[k] for k in SPEAKER_ERROR_KINDS}
    return report


# Words that make a name a body or a group rather than one person.
_BODY_WORDS = re.compile(r"\b(?:government|governments|ministry|office|department|house|council|commission|committee|"
                         r"embassy|administration|nato|union|alliance|officials|leaders|ministers|states|party|"
                         r"parliament|senate|congress|pentagon|kremlin|spokes\w+|agency|forces?|army|secretariat)\b",
                         re.IGNORECASE)
SPEAKER_ERROR_KINDS = ("unknown although named", "outlet", "place or country", "dateline or pronoun glued",
                       "body or group", "name variant", "another person")


def speaker_error_kind(gold: str, predicted: str, registry=None) -> str:
    """The issue's kind of a wrong speaker, by a heuristic over the two names: `unknown` although the
    gold names someone; an outlet (either side); a place or country as the speaker; a dateline or pronoun
    glued into the name; a body or group (either side, or a joint speaker); a variant of the same name
    (a shared word); else another person."""
    from stance.extract.registry import load_registry, normalise_phrase

    registry = registry or load_registry()
    if plain(predicted or "unknown") == "unknown":
        return SPEAKER_ERROR_KINDS[0]
    phrase, gold_phrase = normalise_phrase(predicted), normalise_phrase(gold)
    outlets = set(registry.outlets.values())
    if phrase in registry.outlets or predicted in outlets or gold_phrase in registry.outlets or gold in outlets:
        return "outlet"
    if phrase in registry.places or phrase in registry.countries:
        return "place or country"
    glued = re.search(r"\b[A-Z]{3,}\b", predicted) and not re.search(r"\b[A-Z]{3,}\b", gold) and not predicted.isupper()
    if glued or re.search(r"\b(?:I|I've|He|She|They)\b", predicted):
        return "dateline or pronoun glued"
    if _BODY_WORDS.search(gold) or _BODY_WORDS.search(predicted) or " and " in gold or " and " in predicted:
        return "body or group"
    if set(plain(gold).split()) & set(plain(predicted).split()):
        return "name variant"
    return "another person"


def _error_lists(pairs, speaker_ok, predicted, hit, data: RealNews) -> dict:
    """Misses, wrong speakers and false positives, each located in the raw excerpt."""
    def gold_item(g: dict) -> dict:
        raw = data.articles[g["article"]]["text"]
        item = _raw_location(g["article"], raw, g["text"])
        item.update(kind=g["kind"], gold_date=g.get("date"), text=g["text"], gold_speaker=g["speaker"])
        return item

    def pred_item(p: dict) -> dict:
        raw = data.articles[str(p["article"])]["text"]
        item = _raw_location(str(p["article"]), raw, str(p.get("text", "")), p.get("start"))
        item.update(kind=p.get("kind"), speaker_confidence=p.get("speaker_confidence"), text=p.get("text"),
                    speaker=p.get("speaker"), speaker_mention=p.get("speaker_mention"))
        return item

    misses = [gold_item(g) for g, p in pairs if p is None]
    wrong, oks = [], iter(speaker_ok)
    for g, p in pairs:
        if p is not None and not next(oks):
            item = gold_item(g)
            item["predicted"] = pred_item(p)
            wrong.append(item)
    false_positives = [pred_item(p) for items in predicted.values() for _, p in items if id(p) not in hit]
    return {"misses": misses, "wrong_speakers": wrong, "false_positives": false_positives}


TEXT_KEYS = ("text", "source_text", "speaker", "speaker_mention", "gold_speaker")


def without_text(value):
    """A copy of a report with every string taken from the excerpts removed (texts and names): ids,
    offsets, kinds, dates and figures stay. The excerpts belong to their publishers."""
    if isinstance(value, dict):
        return {k: without_text(v) for k, v in value.items() if k not in TEXT_KEYS}
    if isinstance(value, list):
        return [without_text(v) for v in value]
    return value


def summary(report: dict, limit: int = 20) -> str:
    """The figures, then the first `limit` misses, wrong speakers and false positives (with text when the
    report has it)."""
    r = report
    kinds = ", ".join(f"{k} {r['recall_by_kind'].get(k, 0):.3f} ({r['matched_by_kind'].get(k, 0)} of {n})"
                      for k, n in r["gold_by_kind"].items())
    lines = [
        f"realnews {r['split']}: {r['articles']} excerpts, {r['gold']} gold statements, {r['pred']} predicted",
        f"recall               {r['recall']:.3f}  ({r['matched']} of {r['gold']}; {kinds})",
        f"precision            {r['precision']:.3f}  ({r['pred_matched']} of {r['pred']} overlap a gold statement)",
        f"speaker accuracy     {r['speaker_accuracy']:.3f}  ({r['speaker_correct']} of {r['matched']} matched; "
        f"{r['speaker_unknown']} unknown)",
        f"month accuracy       {r['month_accuracy']:.3f}  (of {r['month_n']} matched with a gold month); "
        f"date at gold precision {r['date_accuracy']:.3f} (of {r['date_n']})",
        f"speaker confidence   ECE {r['speaker_calibration']['ece']:.3f} over the {r['speaker_calibration']['n']} matched "
        "with a speaker",
    ]
    if r.get("wrong_speaker_kinds"):
        lines.append("wrong speakers by kind: " + ", ".join(f"{k} {n}" for k, n in r["wrong_speaker_kinds"].items()))
    lines += [f"skipped {reason}" for reason in r.get("skipped", [])]

    sections = [
        ("miss", r["misses"], lambda m: f"{m['kind']} {cut(m.get('gold_speaker'), 40)} {cut(m.get('text'))}"),
        ("wrong speaker", r["wrong_speakers"],
         lambda w: f"{cut(w['predicted'].get('speaker'), 40)} for {cut(w.get('gold_speaker'), 40)} "
                   f"(mention {cut(w['predicted'].get('speaker_mention'), 40)}, confidence "
                   f"{w['predicted'].get('speaker_confidence')}) {cut(w.get('text'), 60)}"),
        ("false positive", r["false_positives"], lambda p: f"{p.get('kind')} {cut(p.get('speaker'), 40)} {cut(p.get('text'))}"),
    ]
    return "\n".join(lines + listed_errors(sections, limit))


def write_report(report: dict, json_path: Path, with_text: bool = False) -> None:
    """Write the report as JSON (offsets only unless `with_text`), atomically."""
    from stance.outputs import write_json

    write_json(Path(json_path), report if with_text else without_text(report), indent=1)
