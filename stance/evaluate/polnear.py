"""Score the extractor on a PolNeAR export (articles.jsonl + attributions.jsonl), read from a path.

The definitions are those the project is judged by (the export's README and its
score.py), re-implemented here so the project needs no file of the export's:

- direct recall: share of attributions whose content contains a quotation mark
  that some extracted statement overlaps by at least half of the shorter span,
  where a prediction longer than 2.5 x the gold span + 60 characters never matches;
- precision: share of extracted statements overlapping some attribution (any kind);
- named-speaker accuracy: over matched direct attributions whose source span is a
  capitalised name (its first word not a pronoun), the share whose predicted
  speaker shares a name word (over 2 letters, not a title or generic word).

Spans are compared in a normalised copy of the article (NFKC, straight quotes,
one space, lower case), found by searching for each side's text, exactly as
score.py does, so offsets in the cleaned text `stance extract` reads and in the
export's raw text can be compared. On top of those figures: recall of indirect
(unquoted) attributions whose cue is a verb of saying, and the lists of misses,
false positives and wrong speakers, by article and offsets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.records import read_jsonl

SPLITS = ("train", "dev")
_QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "}
# Words of a source span that do not name the person: titles, outlets, institutions (score.py's list).
GENERIC = {"the", "mr", "mrs", "ms", "dr", "president", "sen", "senator", "gov", "governor", "rep", "secretary",
           "former", "new", "times", "post", "news", "press", "house", "white", "campaign", "state", "department",
           "united", "states", "u.s", "america", "american", "national", "party", "democrats", "republicans",
           "democratic", "republican", "committee"}
SOURCE_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "his", "her", "their", "him", "them"}

# Verbs of saying (base form -> irregular or doubled forms); every inflection counts.
_SAYING_IRREGULAR = {
    "say": ["said"], "tell": ["told"], "write": ["wrote", "written"], "speak": ["spoke", "spoken"],
    "admit": ["admitted", "admitting"], "testify": ["testified", "testifies"], "reply": ["replied", "replies"],
    "deny": ["denied", "denies"], "signal": ["signalled", "signalling"], "retort": [], "quip": ["quipped", "quipping"],
}
SAYING_VERBS = (
    "say tell add state announce write tweet post claim argue assert insist explain note warn declare suggest "
    "report reply respond answer ask acknowledge admit concede deny confirm predict promise vow pledge urge "
    "comment remark mention observe recall repeat reiterate stress emphasize emphasise testify contend maintain "
    "allege complain charge counter retort quip speak caution estimate disclose reveal proclaim agree disagree "
    "indicate signal boast joke concede recount describe"
).split()


def saying_forms() -> frozenset[str]:
    """Every inflection (says, said, saying, ...) of the verbs of saying, lower case."""
    forms = set()
    for verb in SAYING_VERBS:
        forms.add(verb)
        forms.update(_SAYING_IRREGULAR.get(verb, []))
        if verb.endswith("e"):
            forms.update({verb + "s", verb + "d", verb[:-1] + "ing"})
        elif verb.endswith("y") and verb[-2] not in "aeiou":
            forms.update({verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"})
        elif verb.endswith(("s", "sh", "ch", "x", "z")):
            forms.update({verb + "es", verb + "ed", verb + "ing"})
        else:
            forms.update({verb + "s", verb + "ed", verb + "ing"})
    return frozenset(forms)


_SAYING = saying_forms()


def is_saying_cue(cue: str) -> bool:
    """Whether an attribution cue contains a verb of saying in any inflection."""
    return any(word in _SAYING for word in re.findall(r"[a-z]+", cue.lower()))


def norm(text: str) -> str:
    """The comparison form of a text: NFKC, straight quotes, single spaces, lower case."""
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _QUOTES.items():
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip().lower()


def span_in(text: str, normalised_article: str) -> Optional[tuple[int, int]]:
    """Where `text` sits in the normalised article; its first half (>= 20 chars) is tried when the whole is not found."""
    wanted = norm(text).strip(" \"'.,")
    if not wanted:
        return None
    at = normalised_article.find(wanted)
    if at < 0:
        at = normalised_article.find(wanted[: max(20, len(wanted) // 2)])
        if at < 0:
            return None
    return at, at + len(wanted)


def overlap(gold: Optional[tuple[int, int]], pred: Optional[tuple[int, int]]) -> float:
    """Share of the shorter span covered; a prediction longer than 2.5 x gold + 60 never matches."""
    if gold is None or pred is None:
        return 0.0
    gold_len, pred_len = gold[1] - gold[0], pred[1] - pred[0]
    if pred_len > 2.5 * gold_len + 60:
        return 0.0
    shared = max(0, min(gold[1], pred[1]) - max(gold[0], pred[0]))
    return shared / max(1, min(gold_len, pred_len))


def named_source_words(source: str) -> Optional[set[str]]:
    """The name words of a source span, or None when it is no capitalised name (a pronoun, "officials")."""
    words = re.findall(r"[A-Za-z][\w'-]+", source)
    if not words or words[0].lower() in SOURCE_PRONOUNS or not any(w[0].isupper() for w in words):
        return None
    return {w.lower() for w in words if w[0].isupper() and len(w) > 2} - GENERIC


def speaker_matches(name_words: set[str], speaker: str) -> bool:
    """Whether a predicted speaker shares a name word with the source span."""
    return bool(name_words & set(re.findall(r"[a-z][\w'-]+", speaker.lower())))


@dataclass
class Export:
    """One split of a PolNeAR export: raw article texts by id and their attributions."""

    split: str
    articles: dict[str, dict] = field(default_factory=dict)  # id -> the article's row (id, text, date, ...)
    attributions: list[dict] = field(default_factory=list)


def _span(value: object, where: str, name: str, required: bool) -> Optional[dict]:
    if value is None and not required:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("text"), str) \
            or not all(isinstance(value.get(k), int) for k in ("start", "end")):
        raise StanceError(f"{where}: '{name}' is {value!r:.60}; expected {{start, end, text}}")
    return value


def load_export(directory: Path, split: str) -> Export:
    """Read the articles and attributions of one split from a PolNeAR export directory."""
    if split not in SPLITS:
        raise StanceError(f"split {split!r}; expected one of {', '.join(SPLITS)}")
    directory = Path(directory)
    paths = [directory / "articles.jsonl", directory / "attributions.jsonl"]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise StanceError(f"{directory}: no {' or '.join(missing)}; expected a PolNeAR export "
                          "(articles.jsonl and attributions.jsonl)")
    export = Export(split)
    for number, row in read_jsonl(paths[0]):
        where = f"{paths[0]}:{number}"
        if not isinstance(row.get("id"), str) or not isinstance(row.get("text"), str) or row.get("split") not in SPLITS:
            raise StanceError(f"{where}: article needs 'id', 'text' and 'split' (train or dev); found keys {sorted(row)}")
        if row["split"] == split:
            export.articles[row["id"]] = row
    if not export.articles:
        raise StanceError(f"{paths[0]}: no articles of split {split!r}")
    for number, row in read_jsonl(paths[1]):
        where = f"{paths[1]}:{number}"
        if row.get("split") != split:
            continue
        if row.get("article") not in export.articles:
            raise StanceError(f"{where}: attribution of unknown {split} article {row.get('article')!r}")
        if not isinstance(row.get("quoted"), bool):
            raise StanceError(f"{where}: 'quoted' is {row.get('quoted')!r}; expected true or false")
        _span(row.get("content"), where, "content", True)
        _span(row.get("source"), where, "source", False)
        _span(row.get("cue"), where, "cue", False)
        export.attributions.append(row)
    return export


def _location(article: str, start: int, end: int) -> dict:
    return {"article": article, "start": start, "end": end}


def score_export(predictions: Iterable[dict], export: Export) -> dict:
    """Score predicted statements (dicts with article, text, speaker; start/end optional) against an export.

    Returns the figures under score.py's names, the indirect saying-verb recall,
    and the full lists of misses, false positives and wrong speakers, each
    located by article and offsets into the export's text, with its text.
    """
    normalised = {a: norm(row["text"]) for a, row in export.articles.items()}
    predicted: dict[str, list[tuple[Optional[tuple[int, int]], dict]]] = {}
    for pred in predictions:
        article = str(pred.get("article"))
        if article in normalised:
            predicted.setdefault(article, []).append((span_in(str(pred.get("text", "")), normalised[article]), pred))
    gold_spans = [span_in(g["content"]["text"].strip("\u201c\u201d\" ,."), normalised[g["article"]])
                  for g in export.attributions]
    by_article: dict[str, list[Optional[tuple[int, int]]]] = {}
    for g, span in zip(export.attributions, gold_spans):
        by_article.setdefault(g["article"], []).append(span)

    def best(g: dict, span) -> tuple[float, Optional[dict]]:
        # max() keeps the first of equal overlaps, as score.py does: the speaker check uses that one
        return max(((overlap(span, s), p) for s, p in predicted.get(g["article"], [])),
                   default=(0.0, None), key=lambda pair: pair[0])

    def gold_item(g: dict) -> dict:
        item = _location(g["article"], g["content"]["start"], g["content"]["end"])
        if g.get("source"):
            item["source"] = [g["source"]["start"], g["source"]["end"]]
        item["text"] = g["content"]["text"]
        item["source_text"] = (g.get("source") or {}).get("text")
        return item

    direct_hit = speaker_ok = speaker_n = saying_n = saying_hit = 0
    misses, wrong = [], []
    for g, span in zip(export.attributions, gold_spans):
        if not g["quoted"]:
            if g.get("cue") and is_saying_cue(g["cue"]["text"]):
                saying_n += 1
                saying_hit += best(g, span)[0] >= 0.5
            continue
        value, pred = best(g, span)
        if value < 0.5:
            misses.append(gold_item(g))
            continue
        direct_hit += 1
        names = named_source_words((g.get("source") or {}).get("text", ""))
        if names is None:
            continue
        speaker_n += 1
        if speaker_matches(names, str(pred.get("speaker", ""))):
            speaker_ok += 1
        else:
            item = gold_item(g)
            item["predicted"] = _pred_item(pred, export)
            wrong.append(item)
    false_positives, right = [], 0
    for article, preds in predicted.items():
        for span, pred in preds:
            if any(overlap(gs, span) >= 0.5 for gs in by_article.get(article, [])):
                right += 1
            else:
                false_positives.append(_pred_item(pred, export))
    n_direct = sum(1 for g in export.attributions if g["quoted"])
    n_pred = sum(len(v) for v in predicted.values())
    return {
        "split": export.split, "articles": len(export.articles), "attributions": len(export.attributions),
        "direct_gold": n_direct, "direct_matched": direct_hit, "direct_recall": round(direct_hit / max(1, n_direct), 3),
        "pred": n_pred, "pred_matched": right, "precision_vs_all_attributions": round(right / max(1, n_pred), 3),
        "named_speaker_acc": round(speaker_ok / max(1, speaker_n), 3), "named_speaker_n": speaker_n,
        "named_speaker_correct": speaker_ok,
        "indirect_saying_gold": saying_n, "indirect_saying_matched": saying_hit,
        "indirect_saying_recall": round(saying_hit / max(1, saying_n), 3),
        "misses": misses, "false_positives": false_positives, "wrong_speakers": wrong,
    }


def _pred_item(pred: dict, export: Export) -> dict:
    """A predicted statement located in the export's article text (the cleaned text may start later)."""
    raw = export.articles[str(pred["article"])]["text"]
    text = str(pred.get("text", ""))
    start = pred.get("start")
    lead = len(raw) - len(raw.lstrip())  # cleaning strips leading space; other cleaning is rare: search
    if isinstance(start, int) and raw[lead + start: lead + start + len(text)] == text:
        start = lead + start
    else:
        start = raw.find(text) if text else -1
    item = _location(str(pred["article"]), start, start + len(text)) if start >= 0 else \
        {"article": str(pred["article"]), "start": None, "end": None}
    item.update(text=text, speaker=pred.get("speaker"), speaker_mention=pred.get("speaker_mention"))
    return item


TEXT_KEYS = ("text", "source_text", "speaker", "speaker_mention")


def without_text(value):
    """A copy of a report with every string taken from the articles removed: offsets and ids stay.

    The export is other people's news; a report kept in a repository must not carry its text.
    """
    if isinstance(value, dict):
        return {k: without_text(v) for k, v in value.items() if k not in TEXT_KEYS}
    if isinstance(value, list):
        return [without_text(v) for v in value]
    return value


def write_report(report: dict, json_path: Path, with_text: bool = False) -> None:
    """Write the report as JSON: figures, then the full lists (offsets only unless `with_text`)."""
    from stance.outputs import write_json

    write_json(Path(json_path), report if with_text else without_text(report), indent=1)


def cut(text, size: int = 90) -> str:
    """A short quoted excerpt for the terminal ("" for no text)."""
    text = " ".join(str(text or "").split())
    return repr(text if len(text) <= size else text[:size - 1] + "…") if text else ""


def listed_errors(sections, limit: int) -> list[str]:
    """For each (name, items, show) a heading with the count, then the first `limit` items, each
    located by article and offsets and described by `show(item)`."""
    lines = []
    for name, items, show in sections:
        heading = f"{len(items)} {name}{'es' if name == 'miss' else 's'}"
        if limit and items:
            heading += f" (first {limit}):" if len(items) > limit else ":"
        lines.append(heading)
        lines += [f"- {item['article']} {item['start']}-{item['end']} {show(item)}" for item in items[:limit]]
    return lines

