"""Labelled statements for the classifier: loading, checking, model input, fingerprint, events.

Everything here is plain Python (no torch), shared by training, prediction and
cross-validation, so the model sees exactly the same input in all three.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Iterable, Optional

from stance.config import LabelSet
from stance.errors import StanceError
from stance.records import read_jsonl

SEP = " | "


def model_input(row: dict, use_speaker: bool = True, use_context: bool = True,
                context_words: int = 0) -> tuple[str, Optional[str]]:
    """The (first, second) text segments the classifier reads for one statement.

    First: "speaker: quote" (or the quote alone). Second: the words around the
    quote in its sentence(s) — with `context_words` > 0, the quote itself is cut
    out of the context (it is already the first segment) and at most that many
    words are kept on each side, so the input stays short; None when the context
    adds nothing. The ONE place the input is built — training, prediction and
    evaluation all call it.
    """
    text = " ".join(str(row.get("text") or "").split())
    speaker = " ".join(str(row.get("speaker") or "").split())
    first = f"{speaker}: {text}" if use_speaker and speaker else text
    second = None
    if use_context:
        context = " ".join(str(row.get("context") or "").split())
        if context and context != text:
            second = frame(context, text, context_words) if context_words > 0 else context
    return first, second or None


_QUOTE_MARKS = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def frame(context: str, text: str, words: int) -> str:
    """The context around `text` with `text` replaced by "…" and at most `words` words each side.

    When the quote is not found in the context, the first 2 × `words` words of the context.
    """
    start = _loose_find(context, text) if text else -1
    if start < 0:
        return " ".join(context.split()[:2 * words])
    left = context[:start].split()[-words:]
    right = context[start + len(text):].split()[:words]
    return " ".join(left + ["…"] + right)


def joined_input(row: dict, use_speaker: bool = True, use_context: bool = True, context_words: int = 0) -> str:
    """model_input as one string (for TF-IDF and sentence encoders)."""
    first, second = model_input(row, use_speaker, use_context, context_words)
    return first if second is None else first + SEP + second


def joined_inputs(rows: Iterable[dict], config) -> list[str]:
    """joined_input of each row with a TrainConfig's input settings (TF-IDF and SetFit read this)."""
    return [joined_input(r, config.use_speaker, config.use_context, config.context_words) for r in rows]


def with_speaker_dropout(rows: list[dict], rate: float, seed: int) -> list[dict]:
    """Training rows where a share `rate` of the text rows has its speaker swapped or removed.

    Half of the chosen rows take the speaker of another training row drawn at random, half have none, so
    the same words are seen with several speakers and alone: the stance has to come from the words.
    Rows kept as features (no text) are unchanged. Deterministic for a given seed.
    """
    import random

    if not rate:
        return list(rows)
    rng = random.Random(seed)
    speakers = sorted({str(r.get("speaker") or "") for r in rows if "text" in r} - {""})
    out = []
    for row in rows:
        if "text" not in row or rng.random() >= rate:
            out.append(row)
            continue
        swap = speakers and rng.random() < 0.5
        out.append({**row, "speaker": rng.choice(speakers) if swap else ""})
    return out


def load_labelled(paths: Iterable[Path], labels: LabelSet, derive_context: bool = True) -> list[dict]:
    """Read labelled statements from JSONL files and check every label against the config.

    Each row needs `text`, `target` and `stance`; `speaker`, `context`, `article`,
    `composed` are optional. Rows without `context` that name an `article` get the
    sentence(s) around the quote from the corpus next to the file, when found.
    Each returned row carries `where` (file:line) and `composed` (bool).
    """
    rows: list[dict] = []
    for path in paths:
        path = Path(path)
        for number, obj in read_jsonl(path):
            where = f"{path}:{number}"
            for key in ("text", "target", "stance"):
                value = obj.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise StanceError(f"{where}: field {key!r} is missing or empty; expected a labelled statement with text, target and stance")
            labels.check(obj["target"], obj["stance"], where)
            row = dict(obj)
            row["where"] = where
            row["composed"] = bool(obj.get("composed", False))
            rows.append(row)
        if not any(r["where"].startswith(f"{path}:") for r in rows):
            raise StanceError(f"{path}: no labelled statements; expected JSONL rows with text, target and stance")
    if derive_context:
        add_contexts(rows)
    return rows


def check_trainable(rows: list[dict], labels: LabelSet, labels_path: str = "the label config") -> None:
    """Raise StanceError unless every target and stance label of the config has labelled statements.

    A head cannot learn from one class (scikit-learn and the loss both need two),
    and a label without examples is one the model can never learn to predict;
    both are caught here, before any training, with the labels that are missing.
    """
    problems = []
    for key, names in (("target", labels.target_names), ("stance", labels.stance_names)):
        found = {r[key] for r in rows}
        missing = [n for n in names if n not in found]
        if not missing:
            continue
        have = ", ".join(repr(n) for n in names if n in found) or "none"
        few = f"only {len(found)} {key} label(s) ({have}); at least two are needed to learn" if len(found) < 2 else \
            f"{key} labels found: {have}"
        problems.append(f"{few}; no statement labelled {key} {', '.join(repr(n) for n in missing)}")
    if problems:
        raise StanceError(f"training data {describe_sources(rows)}: " + "; ".join(problems)
                          + f". Every label in {labels_path} needs labelled statements: add some, "
                          "or remove the label from the config")


def describe_sources(rows: list[dict]) -> str:
    """Where training rows came from, each file (or store) with its count: `a.jsonl (3 statements), b.jsonl (1 statement)`."""
    counts: dict[str, int] = {}
    for row in rows:
        where = str(row.get("where") or "")
        source = where.split(": statement ")[0] if ": statement " in where else where.rsplit(":", 1)[0]
        counts[source or "rows without a source"] = counts.get(source or "rows without a source", 0) + 1
    if not counts:
        return "(no statements)"
    return ", ".join(f"{source} ({n} statement{'s' if n != 1 else ''})" for source, n in counts.items())


def read_statements(path: Path) -> list[dict]:
    """Rows to classify: any JSONL whose rows have a non-empty string `text`."""
    rows = []
    for number, obj in read_jsonl(Path(path)):
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise StanceError(f"{path}:{number}: no 'text' field (found keys {sorted(obj)}); expected a statement with at least 'text'")
        rows.append(obj)
    return rows


def add_contexts(rows: list[dict]) -> None:
    """Fill missing `context` from the cleaned article text (sentence(s) around the quote)."""
    wanting = [r for r in rows if not r.get("context") and r.get("article")]
    if not wanting:
        return
    try:
        from stance.ingest import load_corpus
        from stance.extract.extractor import sentence_context
    except ImportError:
        return
    texts: dict[str, str] = {}
    for folder in sorted({Path(r["where"].rsplit(":", 1)[0]).parent for r in wanting}):
        try:
            corpus = load_corpus([folder])
        except Exception:  # noqa: BLE001 - a missing corpus only means no context
            continue
        for article in getattr(corpus, "articles", []):
            texts.setdefault(article.id, article.text)
    for row in wanting:
        article = texts.get(row["article"])
        if not article:
            continue
        start = article.find(row["text"])
        if start < 0:
            start = _loose_find(article, row["text"])
        if start >= 0:
            row["context"] = sentence_context(article, start, start + len(row["text"]))


def _loose_find(haystack: str, needle: str) -> int:
    """Find needle ignoring curly versus straight quotation marks; -1 if absent."""
    return haystack.translate(_QUOTE_MARKS).find(needle.translate(_QUOTE_MARKS))


def fingerprint(rows: list[dict]) -> dict:
    """A digest of the training data (content, not file names), with counts."""
    digest = hashlib.sha256()
    for row in rows:
        item = [row.get(k) or "" for k in ("speaker", "text", "context", "target", "stance")]
        digest.update(json.dumps(item, ensure_ascii=False).encode("utf-8") + b"\n")
    return {"sha256": digest.hexdigest(), "rows": len(rows), "composed": sum(1 for r in rows if r.get("composed"))}


_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> set:
    """The word n-grams of a text (lower case): what quote matching compares."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def same_quote(a: set, b: set, threshold: float = 0.5) -> bool:
    """True when two shingle sets overlap by at least `threshold` of the smaller one: the same quote."""
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= threshold


def find_events(rows: list[dict], min_shared: int = 2, min_fraction: float = 0.25) -> dict[str, str]:
    """Group articles into events: articles whose labelled statements share quotes.

    Two articles are linked when at least `min_shared` of their statements
    (or all, for articles with fewer) overlap by word 4-grams, making up at least
    `min_fraction` of the smaller article's statements. Linked articles form one
    event (transitively). Returns {article id: event name}; composed rows and
    rows without an article are not grouped.
    """
    by_article: dict[str, list[set]] = {}
    for row in rows:
        if row.get("composed") or not row.get("article"):
            continue
        by_article.setdefault(str(row["article"]), []).append(shingles(row["text"]))
    ids = sorted(by_article)
    parent = {a: a for a in ids}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            small, large = sorted((by_article[a], by_article[b]), key=len)
            shared = sum(1 for s in small if any(same_quote(s, t) for t in large))
            if shared >= min(min_shared, len(small)) and shared >= min_fraction * len(small):
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for a in ids:
        groups.setdefault(root(a), []).append(a)
    return {a: "+".join(members) for members in groups.values() for a in members}
