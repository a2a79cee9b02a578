"""The learned speaker step: for each statement, the speakers the article offers around it (the rules'
choice, the people and bodies named nearby, the speaker of the statement before), each described by a
few features (distance and order relative to the statement, same sentence or paragraph, subject or object
position, mention type, the rule that found the statement, ...), scored by a logistic regression; the best
candidate is the speaker, and a second, one-feature-pair logistic calibration turns its score and its
margin over the runner-up into `speaker_confidence`. Below the threshold the speaker is `unknown`.

The weights are plain JSON shipped with the package (`speaker_model.json`), fitted by
`scripts/fit_speaker_model.py` on the train splits of PolNeAR and the realnews set (see its metadata).
Nothing here is keyed to a corpus: the features are positions and word classes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Optional

from stance.errors import StanceError
from stance.extract import lexicon
from stance.extract.found import Found
from stance.extract.grammar import visible_text
from stance.extract.names import GROUP_NOUNS, SPEAKING_ORGANISATIONS
from stance.extract.roles import ROLE_HEADS
from stance.extract.speakers import PRONOUNS, UNKNOWN, ArticleSpeakers, normalise_phrase
from stance.extract.spans import SpanList, sentence_at, span_at

MODEL_PATH = Path(__file__).with_name("speaker_model.json")
WINDOW_BEFORE = 700  # how far before a statement named candidates are looked for
WINDOW_AFTER = 250  # and after it (a trailing tag, an inverted tag)
CONSTRUCTIONS = ("tag_before", "tag_after", "content_clause", "trailing_tag", "inverted_tag", "as_tag", "evaluative",
                 "act_phrase", "act_participle", "participle", "according_to", "colon_intro", "quote_run",
                 "sentence_subject", "paragraph_run", "previous_subject", "transcript_turn")
KINDS = ("direct", "indirect", "mixed")
_OBJECT_BEFORE = re.compile(r"\b(?:to|told|tells|asked|asks|with|by|of|for|about|against|at|in|on|from|thanked|"
                            r"interviewed|than|like)\s+(?:the\s+)?$", re.IGNORECASE)
_POSSESSIVE_AFTER = re.compile(r"^[’']s?\b")
_VERB_AFTER = re.compile(r"^\s*,?\s*(?:also\s+|then\s+|has\s+|had\s+|would\s+|will\s+)?[a-z]+(?:ed|s)\b")


@dataclass
class Candidate:
    """One speaker the context offers for a statement, with its features."""

    speaker: str
    features: dict = field(default_factory=dict)


@dataclass
class Mention:
    """A speaker named in the article (outside quotations), resolved."""

    start: int
    end: int
    speaker: str
    kind: str  # person, body, outlet, organisation
    subject: bool  # a lower-case verb follows it
    object: bool  # a preposition or an addressing verb precedes it
    possessive: bool
    speech_after: bool = False  # a reporting verb follows within a few words ("Doe said", "Doe, 52, told")
    speech_before: bool = False  # a reporting verb just before it ("said Doe")


_SPEECH_AFTER = re.compile(r"^(?:\s*,[^,]{0,60},)?\s*(?:also\s+|then\s+|has\s+|had\s+|later\s+|once\s+)?" +
                           lexicon.VERB.pattern)
_SPEECH_BEFORE = re.compile(lexicon.VERB.pattern + r"\s+(?:the\s+|a\s+|an\s+)?(?:[\w’'.-]+\s+){0,6}$")


def article_mentions(text: str, speakers: ArticleSpeakers, paras: SpanList) -> list[Mention]:
    """Every name run of the article's paragraphs that resolves to a speaker, in text order."""
    mentions, cache = [], {}
    for p_start, p_end in paras:
        visible = visible_text(text[p_start:p_end])
        for match in lexicon.NAME_RUN.finditer(visible):
            raw = match.group(0)
            words = raw.split()
            while words and words[0].lower() in lexicon.SENTENCE_STARTERS | set(lexicon.WEEKDAYS) | lexicon.MONTHS:
                words.pop(0)
            name = " ".join(words).rstrip(".,")
            if not name:
                continue
            if name not in cache:
                cache[name] = _resolve_mention(name, speakers)
            speaker, kind = cache[name]
            if speaker == UNKNOWN:
                continue
            start = p_start + match.start() + max(0, raw.find(words[0]))
            end = p_start + match.end()
            before, after = visible[:match.start()], visible[match.end():]
            mentions.append(Mention(start, end, speaker, kind, bool(_VERB_AFTER.match(after)),
                                    bool(_OBJECT_BEFORE.search(before[-25:])),
                                    bool(_POSSESSIVE_AFTER.match(after)) or name.endswith(("’s", "'s")),
                                    bool(_SPEECH_AFTER.match(after[:90])), bool(_SPEECH_BEFORE.search(before[-60:]))))
    return mentions


def _resolve_mention(name: str, speakers: ArticleSpeakers) -> tuple[str, str]:
    """(speaker, kind) for a name run; persons, registry bodies and outlets only."""
    bare = re.sub(r"[’']s$", "", name)
    phrase = normalise_phrase(bare)
    registry = speakers.registry
    if phrase in registry.outlets:
        return registry.outlets[phrase], "outlet"
    if phrase in registry.bodies and phrase not in registry.aliases:
        return registry.bodies[phrase], "body"
    if speakers.is_person(bare):
        return speakers.resolve(bare), "person"
    if phrase and phrase.split()[-1] in SPEAKING_ORGANISATIONS and " " in phrase:
        return speakers.resolve(bare), "organisation"  # "the Trayvon Martin Foundation"
    return UNKNOWN, ""


def _distance_feature(chars: Optional[int]) -> float:
    """A distance in characters as a bounded feature: 0 (adjacent) to 1 (a window away or absent)."""
    return 1.0 if chars is None else min(1.0, math.log1p(max(0, chars)) / math.log1p(WINDOW_BEFORE))


def _rule_features(item: Found, rule_speaker: str, speakers: ArticleSpeakers) -> dict:
    kind = mention_kind(item.mention, speakers)
    features = {"rule": 1.0, "rule_confidence": item.statement.speaker_confidence, f"rule_mention_{kind}": 1.0,
                "rule_shared": float(item.same_as is not None)}
    if item.construction in CONSTRUCTIONS:
        features[f"rule_{item.construction}"] = 1.0
    return features


def mention_kind(mention: str, speakers: ArticleSpeakers) -> str:
    """What the rules' speaker mention is: none, pronoun, name, country (its government speaks), role ("the
    chancellor"), group ("Doe and Roe", "European leaders"), other."""
    phrase = normalise_phrase(mention)
    words = phrase.split()
    if not words:
        return "none"
    if phrase in PRONOUNS or phrase == "they":
        return "pronoun"
    if speakers.is_person(mention):
        return "name"
    if phrase in speakers.registry.countries:
        return "country"
    if words[-1] in ROLE_HEADS or phrase in speakers.registry.role_phrases:
        return "role"
    if " and " in phrase or words[-1] in GROUP_NOUNS:
        return "group"
    return "other"


def statement_candidates(item: Found, rule_speaker: str, previous_speaker: Optional[str], text: str,
                         mentions: list[Mention], mention_starts: list[int], sentences: SpanList, paras: SpanList,
                         speakers: ArticleSpeakers) -> list[Candidate]:
    """The candidates for one statement (after the rules resolved it), with their features."""
    from bisect import bisect_left

    statement = item.statement
    sentence = sentence_at(sentences, statement.start)
    para = span_at(paras, statement.start)
    para_span = paras[para] if para is not None else sentence
    prev_para = paras[para - 1] if para else (para_span[0], para_span[0])
    low = bisect_left(mention_starts, statement.start - WINDOW_BEFORE)
    high = bisect_left(mention_starts, max(statement.end, item.tag_end) + WINDOW_AFTER)
    by_speaker: dict[str, Candidate] = {}
    rank = persons_before = 0
    nearby = [m for m in mentions[low:high] if not (statement.start <= m.start < statement.end)]
    for mention in sorted(nearby, key=lambda m: abs(_gap(m, statement.start, statement.end))):
        candidate = by_speaker.get(mention.speaker)
        if candidate is None:
            candidate = by_speaker[mention.speaker] = Candidate(mention.speaker, {"rank": min(rank, 5) / 5})
            rank += 1
            _mention_features(candidate.features, mention, statement, sentence, para_span, prev_para, item.tag_end)
            if mention.kind == "person" and mention.end <= statement.start and not persons_before:
                candidate.features["nearest_person_before"] = 1.0
        if mention.kind == "person" and mention.end <= statement.start:
            persons_before += 1
        candidate.features["mentions"] = candidate.features.get("mentions", 0.0) + 0.2
    for speaker in (rule_speaker, previous_speaker):
        if speaker and speaker != UNKNOWN and speaker not in by_speaker:
            by_speaker[speaker] = Candidate(speaker, {"rank": 1.0, "absent": 1.0})
    if rule_speaker in by_speaker:
        by_speaker[rule_speaker].features.update(_rule_features(item, rule_speaker, speakers))
    if previous_speaker in by_speaker:
        by_speaker[previous_speaker].features["previous"] = 1.0
    _antecedent_features(by_speaker, nearby, item, sentence, speakers)
    for candidate in by_speaker.values():
        features = candidate.features
        features["mentions"] = min(1.0, features.get("mentions", 0.0))
        features["rivals"] = min(1.0, (len(by_speaker) - 1) / 8)
        features[f"kind_{statement.kind}"] = 1.0
        if candidate.speaker in speakers.registry.aliases.values():
            features["registry_person"] = 1.0
        if " and " in candidate.speaker:
            features["joint"] = 1.0
        if not item.mention:
            features["no_rule_mention"] = 1.0
        elif rule_speaker == UNKNOWN and item.mention.strip().lower() not in PRONOUNS:
            features["rule_unresolved_mention"] = 1.0  # "said one longtime adviser to …": an unnamed speaker
    return list(by_speaker.values())


def _antecedent_features(by_speaker: dict, nearby: list[Mention], item: Found, sentence, speakers) -> None:
    """Which candidate a pronoun or a bare report most likely points back to: the last person named as a
    subject before the statement (not an object, not a possessive), the last person named plainly, and the
    first person named as a subject in the statement's own sentence (the subject of its reporting verb)."""
    statement = item.statement
    anchor = min(statement.start, item.mention_start) if item.mention_start >= 0 else statement.start
    before = sorted((m for m in nearby if m.kind == "person" and m.end <= anchor), key=lambda m: m.start)
    plain = [m for m in before if not m.possessive and not m.object]
    pronoun = item.mention.strip().lower() in PRONOUNS
    marks = {}
    subjects = [m for m in plain if m.subject]
    if subjects:
        marks.setdefault(subjects[-1].speaker, []).append("last_subject_before")
    if plain:
        marks.setdefault(plain[-1].speaker, []).append("last_plain_before")
    opening = [m for m in plain if sentence[0] <= m.start]
    if opening:
        marks.setdefault(opening[0].speaker, []).append("sentence_first_person")
    for speaker, names in marks.items():
        if speaker in by_speaker:
            for name in names:
                by_speaker[speaker].features[name] = 1.0
                if pronoun:
                    by_speaker[speaker].features["pronoun_" + name] = 1.0


def _gap(mention: Mention, start: int, end: int) -> int:
    """Negative before the statement, positive after it."""
    return mention.end - start if mention.end <= start else mention.start - end


def _mention_features(features: dict, mention: Mention, statement, sentence, para, prev_para, tag_end: int) -> None:
    before = mention.end <= statement.start
    gap = abs(_gap(mention, statement.start, statement.end))
    features.update({
        "before": float(before), "after": float(not before), "distance": _distance_feature(gap),
        "same_sentence": float(sentence[0] <= mention.start < sentence[1]),
        "same_paragraph": float(para[0] <= mention.start < para[1]),
        "previous_paragraph": float(prev_para[0] <= mention.start < prev_para[1]),
        f"type_{mention.kind}": 1.0, "subject": float(mention.subject), "object": float(mention.object),
        "possessive": float(mention.possessive), "speech_after": float(mention.speech_after),
        "speech_before": float(mention.speech_before),
        "in_tag": float(statement.end <= mention.start < tag_end),
    })


@dataclass
class SpeakerModel:
    """A fitted logistic regression over candidate features, with its calibration and threshold."""

    weights: dict
    intercept: float
    calibration: tuple[float, float, float]  # a, b, c: P(right) = sigmoid(a * score + b * margin + c)
    threshold: float
    metadata: dict = field(default_factory=dict)

    def score(self, features: dict) -> float:
        return self.intercept + sum(self.weights.get(k, 0.0) * v for k, v in features.items())

    def choose(self, candidates: list[Candidate]) -> tuple[Optional[str], float]:
        """The best candidate and the calibrated probability that it is the speaker (None, 0 without any)."""
        if not candidates:
            return None, 0.0
        scores = sorted(((self.score(c.features), c.speaker) for c in candidates), reverse=True)
        top, speaker = scores[0]
        margin = top - scores[1][0] if len(scores) > 1 else MARGIN_ALONE
        a, b, c = self.calibration
        return speaker, _sigmoid(a * top + b * margin + c)

    def to_json(self) -> dict:
        return {"weights": self.weights, "intercept": self.intercept, "calibration": list(self.calibration),
                "threshold": self.threshold, "metadata": self.metadata}


MARGIN_ALONE = 5.0  # the margin of a candidate with no rival


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> Optional[SpeakerModel]:
    """The shipped speaker model, or None when its file is absent (the rules alone then decide)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SpeakerModel({str(k): float(v) for k, v in data["weights"].items()}, float(data["intercept"]),
                            tuple(float(x) for x in data["calibration"]), float(data["threshold"]),
                            dict(data.get("metadata") or {}))
    except (ValueError, KeyError, TypeError) as exc:
        raise StanceError(f"{path}: not a speaker model ({exc}); expected weights, intercept, calibration, "
                          "threshold") from None


def attribute(found: list[Found], text: str, speakers: ArticleSpeakers, sentences: SpanList, paras: SpanList,
              model: Optional[SpeakerModel], keep: Optional[list] = None) -> list[Found]:
    """Re-rank each statement's speaker among its candidates (in reading order); `keep` collects
    (statement, candidates) for fitting."""
    mentions = article_mentions(text, speakers, paras)
    starts = [m.start for m in mentions]
    previous: Optional[str] = None
    for item in found:
        rule_speaker = item.statement.speaker
        candidates = statement_candidates(item, rule_speaker, previous, text, mentions, starts, sentences, paras,
                                          speakers)
        if keep is not None:
            keep.append((item.statement, candidates))
        if model is not None:
            speaker, confidence = model.choose(candidates)
            if speaker is None or confidence < model.threshold:
                speaker, confidence = UNKNOWN, 0.0  # nobody likely enough: the statement is kept, its speaker not
            item.statement = replace(item.statement, speaker=speaker, speaker_confidence=round(confidence, 3))
        if item.statement.speaker != UNKNOWN:
            previous = item.statement.speaker
    return found
