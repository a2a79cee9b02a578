"""Score the extractor against gold statements: precision, recall, F1, speaker accuracy.

A predicted statement matches a gold one of the same article when their
character spans overlap by at least half of the shorter span; each gold and
each prediction is used at most once (largest overlaps first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from stance.errors import StanceError
from stance.records import Article, Statement, read_jsonl


@dataclass
class GoldStatement:
    article: str
    speaker: str
    text: str
    spans: list[tuple[int, int]]  # every place the text occurs in the cleaned article
    where: str


@dataclass
class ArticleScore:
    article: str
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    speaker_correct: int = 0
    misses: list[dict] = field(default_factory=list)
    false_positives: list[dict] = field(default_factory=list)
    wrong_speakers: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"article": self.article, **_figures(self.gold, self.predicted, self.matched, self.speaker_correct),
                "misses": self.misses, "false_positives": self.false_positives, "wrong_speakers": self.wrong_speakers}


def _figures(gold: int, predicted: int, matched: int, speaker_correct: int) -> dict:
    precision = matched / predicted if predicted else 0.0
    recall = matched / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"gold": gold, "predicted": predicted, "matched": matched, "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4),
            "speaker_accuracy": round(speaker_correct / matched, 4) if matched else 0.0}


def load_gold(path: Path, articles: dict[str, Article]) -> list[GoldStatement]:
    """Read gold statements and locate each text in its (cleaned) article."""
    gold = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}"
        for key in ("article", "text", "speaker"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise StanceError(f"{where}: gold statement has no '{key}'")
        article = articles.get(row["article"])
        if article is None:
            continue  # gold for articles not given as input is not scored
        spans, start = [], article.text.find(row["text"])
        while start >= 0:
            spans.append((start, start + len(row["text"])))
            start = article.text.find(row["text"], start + 1)
        if not spans:
            raise StanceError(f"{where}: text not found in article {row['article']!r}: {row['text'][:60]!r}")
        gold.append(GoldStatement(row["article"], row["speaker"], row["text"], spans, where))
    return gold


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return shared / shorter if shared > 0 and shorter > 0 else 0.0


def match(preds: list[Statement], golds: list[GoldStatement]) -> list[tuple[int, int]]:
    """(gold index, prediction index) pairs of one article's statements: spans
    overlapping by at least half the shorter one, each used once, largest
    overlaps first."""
    pairs = sorted(((max(_overlap((p.start, p.end), s) for s in g.spans), gi, pi)
                    for gi, g in enumerate(golds) for pi, p in enumerate(preds)), reverse=True)
    used_gold, used_pred, matched = set(), set(), []
    for overlap, gi, pi in pairs:
        if overlap < 0.5 or gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        matched.append((gi, pi))
    return matched


def score(predicted: list[Statement], gold: list[GoldStatement], article_ids: list[str]) -> dict:
    """Match predictions to gold per article and compute the figures and error lists."""
    per_article = {a: ArticleScore(a) for a in article_ids}
    for article_id, result in per_article.items():
        golds = [g for g in gold if g.article == article_id]
        preds = [p for p in predicted if p.article == article_id]
        result.gold, result.predicted = len(golds), len(preds)
        used_gold, used_pred = set(), set()
        for gi, pi in match(preds, golds):
            used_gold.add(gi)
            used_pred.add(pi)
            result.matched += 1
            if preds[pi].speaker == golds[gi].speaker:
                result.speaker_correct += 1
            else:
                result.wrong_speakers.append({"text": golds[gi].text, "gold": golds[gi].speaker,
                                              "predicted": preds[pi].speaker, "mention": preds[pi].speaker_mention})
        result.misses = [{"text": g.text, "speaker": g.speaker, "where": g.where}
                         for gi, g in enumerate(golds) if gi not in used_gold]
        result.false_positives = [{"text": p.text, "speaker": p.speaker, "start": p.start}
                                  for pi, p in enumerate(preds) if pi not in used_pred]
    totals = [sum(getattr(r, k) for r in per_article.values()) for k in ("gold", "predicted", "matched", "speaker_correct")]
    return {"overall": _figures(*totals), "articles": [r.as_dict() for r in per_article.values()]}


def evaluate_extraction(articles: list[Article], gold_path: Path, json_path: Optional[Path] = None) -> dict:
    """Run the extractor on `articles` and score it against `gold_path`."""
    from stance.extract.extractor import extract_statements

    by_id = {a.id: a for a in articles}
    gold = load_gold(gold_path, by_id)
    scored_ids = sorted({g.article for g in gold})
    predicted = [s for s in extract_statements(by_id[a] for a in scored_ids)]
    report = score(predicted, gold, scored_ids)
    if json_path:
        from stance.outputs import write_json

        write_json(Path(json_path), report)
    return report


def to_markdown(report: dict, show_errors: bool = True) -> str:
    """A readable summary: a table per article and overall, then the errors."""
    keys = ("gold", "predicted", "matched", "precision", "recall", "f1", "speaker_accuracy")
    lines = ["| article | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for row in report["articles"]:
        lines.append(f"| {row['article']} | " + " | ".join(str(row[k]) for k in keys) + " |")
    lines.append("| **overall** | " + " | ".join(str(report["overall"][k]) for k in keys) + " |")
    if show_errors:
        for row in report["articles"]:
            for miss in row["misses"]:
                lines.append(f"- miss {row['article']}: {miss['speaker']}: {miss['text'][:100]!r}")
            for fp in row["false_positives"]:
                lines.append(f"- false positive {row['article']}: {fp['speaker']}: {fp['text'][:100]!r}")
            for wrong in row["wrong_speakers"]:
                lines.append(f"- wrong speaker {row['article']}: {wrong['predicted']!r} for {wrong['gold']!r}: {wrong['text'][:80]!r}")
    return "\n".join(lines)


# --- a PolNeAR export (real news by others), scored with the project's judging definitions ----------
def evaluate_polnear(directory: Path, split: str = "dev", json_path: Optional[Path] = None, with_text: bool = False,
                     budget_s: Optional[float] = None) -> dict:
    """Run the extractor on one split of a PolNeAR export and score it (see stance.evaluate.polnear).

    Articles are cleaned as `stance extract` cleans them; an article over the time
    budget counts as one with no statements and is listed under `skipped`.
    """
    from dataclasses import asdict

    from stance.ingest.corpus import METADATA_FIELDS, make_article
    from stance.evaluate.polnear import load_export, score_export, write_report
    from stance.engine.timebudget import extract_within_budget

    export = load_export(directory, split)
    articles = [make_article(a, row["text"], f"{Path(directory) / 'articles.jsonl'}", {k: row.get(k) for k in METADATA_FIELDS})
                for a, row in export.articles.items()]
    skipped: list[str] = []
    predicted = [asdict(s) for _, statements in extract_within_budget(articles, skipped, budget_s) for s in statements]
    report = score_export(predicted, export)
    report["skipped"] = skipped
    if json_path:
        write_report(report, json_path, with_text)
    return report


def evaluate_realnews(directory: Path, split: str = "dev", json_path: Optional[Path] = None, with_text: bool = False,
                      budget_s: Optional[float] = None) -> dict:
    """Run the extractor on one split of the realnews set and score it (see stance.evaluate.realnews).

    Excerpts are cleaned as `stance extract` cleans them, with their dates; an excerpt over the time
    budget counts as one with no statements and is listed under `skipped`.
    """
    from dataclasses import asdict

    from stance.ingest.corpus import METADATA_FIELDS, make_article
    from stance.evaluate.realnews import load_realnews, score_realnews, write_report
    from stance.engine.timebudget import extract_within_budget

    data = load_realnews(directory, split)
    where = str(Path(directory) / "articles.jsonl")
    articles = [make_article(a, row["text"], where, {k: row.get(k) for k in METADATA_FIELDS})
                for a, row in data.articles.items()]
    skipped: list[str] = []
    predicted = [asdict(s) for _, statements in extract_within_budget(articles, skipped, budget_s) for s in statements]
    report = score_realnews(predicted, data)
    report["skipped"] = skipped
    if json_path:
        write_report(report, json_path, with_text)
    return report


def polnear_summary(report: dict, limit: int = 20) -> str:
    """The figures, then the first `limit` misses, false positives and wrong speakers with short excerpts."""
    from stance.evaluate.polnear import cut, listed_errors

    r = report
    lines = [
        f"PolNeAR {r['split']}: {r['articles']} articles, {r['attributions']} attributions",
        f"direct recall        {r['direct_recall']:.3f}  ({r['direct_matched']} of {r['direct_gold']} quoted attributions)",
        f"precision            {r['precision_vs_all_attributions']:.3f}  ({r['pred_matched']} of {r['pred']} statements overlap an attribution)",
        f"named-speaker acc.   {r['named_speaker_acc']:.3f}  ({r['named_speaker_correct']} of {r['named_speaker_n']} matched, named sources)",
        f"indirect saying rec. {r['indirect_saying_recall']:.3f}  ({r['indirect_saying_matched']} of {r['indirect_saying_gold']} unquoted, cue a verb of saying)",
    ]
    lines += [f"skipped {reason}" for reason in r.get("skipped", [])]
    sections = [("miss", r["misses"], lambda m: f"{cut(m.get('source_text'), 30)}: {cut(m.get('text'))}"),
                ("false positive", r["false_positives"], lambda p: f"{p.get('speaker')!r}: {cut(p.get('text'))}"),
                ("wrong speaker", r["wrong_speakers"],
                 lambda w: f"{w['predicted'].get('speaker')!r} for {cut(w.get('source_text'), 40)}: {cut(w.get('text'), 70)}")]
    return "\n".join(lines + listed_errors(sections, limit))
