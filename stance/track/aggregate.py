"""From labelled statements to positions: pure functions over plain rows.

A row is a dict as returned by Store.load_labelled (statement_id, article,
speaker, text, date, date_precision, source, title, url, target, stance,
target_probs, stance_probs, ...). Nothing here touches a file or a model.

1. merge_utterances (in stance.track.merge, re-exported here): the same utterance reported by several articles (same
   speaker, similar normalised text, nearby dates) becomes one utterance with
   several sources, labelled by a probability-weighted vote of its statements.
2. aggregate: per actor x target, a chronological timeline, the stance
   distribution per period (day, month or year), the latest position and the
   changes between consecutive periods whose top stances share nothing.

A period's top stances are the stances other than none said in the most
utterances (several when tied); its "dominant" stance, the one shown, is one of
them (the tie broken by summed confidence, then the later utterance). A change
whose side rests on too little (ChangeRule) is tentative and kept apart from
the firm ones. stance.evaluate.positions scores exactly these cells and
changes against gold labels.

Undated statements stay undated (never given a date); speaker "unknown" is
listed apart; statements whose target is the none label are kept (for
statements.csv) but not aggregated into positions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from stance.errors import StanceError
from stance.track.merge import (  # noqa: F401  (re-exported: the public API lives here too)
    MAX_DAYS, MERGE_THRESHOLD, NONE_LABEL, PERIODS, STANCE_ORDER, STRICT_THRESHOLD, UNKNOWN_SPEAKER,
    check_period, date_bounds, merge_utterances, normalise_text, parse_date_filter, period_key, statement_confidence,
    strip_quotes, text_similarity,
)


@dataclass(frozen=True)
class ChangeRule:
    """Which changes are stated, and which only as tentative.

    A side of a change is *weak* when it has fewer than `min_utterances` utterances AND their mean
    confidence is below `min_confidence`; the confidence is the label's, times the speaker's when
    `speaker_confidence` is set (a quote given to the wrong person is as wrong as a wrong label). A change is
    tentative when one side is weak (`tentative_when="either"`) or only when both are (`"both"`).
    With `clear_sides`, a period whose top stances tie (a mixed period) is no side of any change: a change
    runs from the last period with one clear position to the next. Periods need not be adjacent: the
    previous period with a position may lie months or years back. How each choice scores: `stance
    evaluate positions` (rule grid) and `scripts/change_rules.py` (README, "Changes")."""

    min_utterances: int = 2
    min_confidence: float = 0.6  # of the rules scored on the seeds, the strictest with the best precision and recall
    tentative_when: str = "either"
    clear_sides: bool = False
    speaker_confidence: bool = False

    def __post_init__(self):
        if self.tentative_when not in ("either", "both"):
            raise StanceError(f"change rule: tentative_when {self.tentative_when!r}; expected 'either' or 'both'")

    def weak(self, side: dict) -> bool:
        confidence = side["evidence_confidence" if self.speaker_confidence else "confidence"]
        return side["utterances"] < self.min_utterances and confidence < self.min_confidence

    def tentative(self, side_from: dict, side_to: dict) -> bool:
        weak = (self.weak(side_from), self.weak(side_to))
        return any(weak) if self.tentative_when == "either" else all(weak)

    def anchors(self, entry: dict) -> bool:
        """Whether a period can be a side of a change: it has a position, and (with clear_sides) only one."""
        return bool(entry["top"]) and (not self.clear_sides or len(entry["top"]) == 1)


DEFAULT_RULE = ChangeRule()


# -- filtering -----------------------------------------------------------------


def _match_names(wanted: str, names: Iterable[str], what: str, option: str) -> set[str]:
    names = sorted(set(names), key=str.casefold)
    exact = {n for n in names if n.casefold() == wanted.strip().casefold()}
    if exact:
        return exact
    partial = {n for n in names if wanted.strip().casefold() in n.casefold()}
    if partial:
        return partial
    shown = ", ".join(names[:15]) + (f", ... ({len(names)} in all)" if len(names) > 15 else "")
    raise StanceError(f"{option}: no {what} matches {wanted!r}; {what}s in the store: {shown or 'none'}")


def _overlaps(utterance: dict, since, until) -> bool:
    for source in utterance["sources"]:
        bounds = date_bounds(source["date"])
        if bounds is None:
            continue
        if (since is None or bounds[1] >= since[0]) and (until is None or bounds[0] <= until[1]):
            return True
    return False


# -- positions -----------------------------------------------------------------


def stance_sort_key(label: str) -> tuple:
    return (STANCE_ORDER.index(label), "") if label in STANCE_ORDER else (len(STANCE_ORDER), label)


def _distribution(utterances: list[dict]) -> tuple[dict, dict]:
    counts = Counter(u["stance"] for u in utterances)
    total = sum(counts.values())
    ordered = sorted(counts, key=stance_sort_key)
    return ({k: counts[k] for k in ordered}, {k: round(counts[k] / total, 3) for k in ordered} if total else {})


def _dominant(utterances: list[dict], none_label: str) -> Optional[str]:
    """The period's position: the most frequent stance other than none (ties go
    to the higher summed confidence, then the later utterance); None when every
    utterance takes no position."""
    scored: dict[str, list] = {}
    for order, u in enumerate(utterances):
        if u["stance"] == none_label:
            continue
        entry = scored.setdefault(u["stance"], [0, 0.0, 0])
        entry[0] += 1
        entry[1] += u["confidence"]
        entry[2] = order
    if not scored:
        return None
    return max(scored, key=lambda k: (scored[k][0], round(scored[k][1], 6), scored[k][2]))


def _evidence(u: dict) -> dict:
    return {
        "utterance": u["id"],
        "date": u["date"],
        "date_precision": u["date_precision"],
        "stance": u["stance"],
        "confidence": u["confidence"],
        "quote": u["text"],
        "sources": [{k: s[k] for k in ("article", "date", "source", "title", "url")} for s in u["sources"]],
        "human": u.get("human", False),
    }


def top_stances(counts: dict, none_label: str = NONE_LABEL) -> list[str]:
    """The stances other than none said in the most utterances (all of them when
    tied), in display order; empty when every utterance takes no position."""
    positions = {k: v for k, v in counts.items() if k != none_label and v > 0}
    if not positions:
        return []
    best = max(positions.values())
    return sorted((k for k, v in positions.items() if v == best), key=stance_sort_key)


def _period_entry(key: str, utterances: list[dict], none_label: str) -> dict:
    counts, distribution = _distribution(utterances)
    dominant = _dominant(utterances, none_label)
    positions = [k for k in counts if k != none_label]
    return {
        "period": key,
        "counts": counts,
        "distribution": distribution,
        "dominant": dominant,
        "top": top_stances(counts, none_label),
        "mixed": len(positions) > 1,
        "utterances": [u["id"] for u in utterances],
    }


def _side(utterances: list[dict], top: list[str]) -> tuple[list[dict], dict]:
    """The utterances behind one side of a change (those with a top stance) and
    what they amount to: how many, from how many articles, how sure the labels are."""
    behind = [u for u in utterances if u["stance"] in top]
    confidences = [u.get("label_confidence", u["confidence"]) for u in behind]
    evidence = [c * u.get("speaker_confidence", 1.0) for c, u in zip(confidences, behind)]
    return behind, {
        "utterances": len(behind),
        "sources": len({s["article"] for u in behind for s in u["sources"]}),
        "confidence": round(sum(confidences) / len(confidences), 4) if confidences else 0.0,
        # how sure that these words are this speaker's, with these labels
        "evidence_confidence": round(sum(evidence) / len(evidence), 4) if evidence else 0.0,
    }


def _stances_text(top: list[str]) -> str:
    return "/".join(top)


def _position(actor: str, target: str, utterances: list[dict], period: str, none_label: str,
              rule: ChangeRule = DEFAULT_RULE) -> dict:
    dated = [u for u in utterances if date_bounds(u["date"])]
    undated = [u for u in utterances if not date_bounds(u["date"])]
    by_period: dict[str, list[dict]] = defaultdict(list)
    for u in dated:
        by_period[period_key(u["date"], u["date_precision"], period)].append(u)
    keys = sorted(by_period, key=lambda k: (date_bounds(k), k))
    periods = [_period_entry(k, by_period[k], none_label) for k in keys]
    undated_entry = _period_entry("undated", undated, none_label) if undated else None
    counts, distribution = _distribution(utterances)

    changes, tentative = [], []
    previous = None
    for entry in periods:
        if not rule.anchors(entry):
            continue
        if previous is not None and not set(entry["top"]) & set(previous["top"]):
            quotes_from, side_from = _side(by_period[previous["period"]], previous["top"])
            quotes_to, side_to = _side(by_period[entry["period"]], entry["top"])
            weak = rule.tentative(side_from, side_to)
            (tentative if weak else changes).append({
                "actor": actor,
                "target": target,
                "from_period": previous["period"],
                "from_stance": previous["dominant"],
                "from_top": previous["top"],
                "to_period": entry["period"],
                "to_stance": entry["dominant"],
                "to_top": entry["top"],
                "text": f"{actor} on {target}: {_stances_text(previous['top'])} ({previous['period']}) → "
                        f"{_stances_text(entry['top'])} ({entry['period']})",
                "support": {"from": side_from, "to": side_to},
                "tentative": weak,
                "evidence_from": [_evidence(u) for u in quotes_from],
                "evidence_to": [_evidence(u) for u in quotes_to],
            })
        previous = entry

    latest = None
    with_position = [e for e in periods if e["dominant"] is not None]
    if with_position:
        entry = with_position[-1]
        supporting = [u for u in by_period[entry["period"]] if u["stance"] == entry["dominant"]]
        latest = {"period": entry["period"], "stance": entry["dominant"], "mixed": entry["mixed"],
                  "distribution": entry["distribution"], "evidence": _evidence(supporting[-1])}
    elif undated_entry and undated_entry["dominant"] is not None:
        supporting = [u for u in undated if u["stance"] == undated_entry["dominant"]]
        latest = {"period": "undated", "stance": undated_entry["dominant"], "mixed": undated_entry["mixed"],
                  "distribution": undated_entry["distribution"], "evidence": _evidence(supporting[-1])}

    return {
        "actor": actor,
        "target": target,
        "counts": counts,
        "distribution": distribution,
        "periods": periods,
        "undated": undated_entry,
        "latest": latest,
        "changes": changes,
        "tentative_changes": tentative,
        "timeline": [_evidence(u) for u in dated + undated],
    }


def aggregate(rows: Iterable[dict], *, period: str = "month", actor: Optional[str] = None,
              target: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None,
              none_label: str = NONE_LABEL, threshold: float = MERGE_THRESHOLD, max_days: int = MAX_DAYS,
              rule: ChangeRule = DEFAULT_RULE) -> dict:
    """Merge, filter and aggregate labelled rows into positions.

    Filters: actor (case-insensitive; a part of the name matches when no name
    matches whole), target (same), since/until (YYYY, YYYY-MM or YYYY-MM-DD; an
    utterance is kept when any source's date range overlaps; undated ones are
    left out when a date filter is given). A filter that matches nothing is a
    StanceError naming what is there.

    Returns a dict: period, filters, utterances (all kept, merged), statements
    (input rows of kept utterances, each with "utterance"), positions (one per
    actor x target, sorted by actor then target: actor, target, counts,
    distribution, periods, undated, latest, changes, tentative_changes,
    timeline), changes (the firm ones), tentative_changes (those `rule` finds
    resting on too little; each change carries "support": utterances, sources
    and mean label confidence of each side, and "tentative"),
    unknown_speaker (utterances), no_target (utterances whose target is none),
    actors (names, sorted), stats and notes.
    """
    check_period(period)
    since_b = parse_date_filter(since, "--since")
    until_b = parse_date_filter(until, "--until")
    if since_b and until_b and since_b[0] > until_b[1]:
        raise StanceError(f"--since {since} is after --until {until}; expected since <= until")
    rows = list(rows)
    utterances = merge_utterances(rows, threshold=threshold, max_days=max_days, none_label=none_label)
    notes = []
    bad_dates = sorted({r.get("date") for r in rows if r.get("date") and not date_bounds(r.get("date"))})
    if bad_dates:
        notes.append(f"{len(bad_dates)} date value(s) could not be read and are shown as undated: {', '.join(map(str, bad_dates[:5]))}")

    if actor:
        wanted = _match_names(actor, (u["speaker"] for u in utterances), "speaker", "--actor")
        utterances = [u for u in utterances if u["speaker"] in wanted]
    if target:
        wanted = _match_names(target, (u["target"] for u in utterances), "target", "--target")
        utterances = [u for u in utterances if u["target"] in wanted]
    if since_b or until_b:
        undated = sum(1 for u in utterances if not u["date"])
        utterances = [u for u in utterances if _overlaps(u, since_b, until_b)]
        if undated:
            notes.append(f"{undated} undated utterance(s) left out by the date filter")
        if not utterances:
            raise StanceError(f"no dated statements between {since or 'the start'} and {until or 'the end'}")

    unknown = [u for u in utterances if u["speaker"].strip().casefold() == UNKNOWN_SPEAKER]
    known = [u for u in utterances if u["speaker"].strip().casefold() != UNKNOWN_SPEAKER]
    no_target = [u for u in known if u["target"] == none_label]
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for u in known:
        if u["target"] != none_label:
            groups[(u["speaker"], u["target"])].append(u)
    positions = [_position(a, t, groups[(a, t)], period, none_label, rule)
                 for a, t in sorted(groups, key=lambda k: (k[0].casefold(), k[1].casefold()))]
    if no_target:
        notes.append(f"{len(no_target)} utterance(s) with target '{none_label}' are listed in statements.csv "
                     "but not aggregated into positions")

    kept_ids = {}
    for u in utterances:
        for statement_id in u["statement_ids"]:
            kept_ids[statement_id] = u
    statements = []
    for index, row in enumerate(rows):
        statement_id = row.get("statement_id") if row.get("statement_id") is not None else index + 1
        if statement_id in kept_ids:
            statements.append(dict(row, statement_id=statement_id, utterance=kept_ids[statement_id]))

    return {
        "period": period,
        "filters": {"actor": actor, "target": target, "since": since, "until": until},
        "utterances": utterances,
        "statements": statements,
        "positions": positions,
        "changes": [c for p in positions for c in p["changes"]],
        "tentative_changes": [c for p in positions for c in p["tentative_changes"]],
        "change_rule": {"min_utterances": rule.min_utterances, "min_confidence": rule.min_confidence},
        "unknown_speaker": unknown,
        "no_target": no_target,
        "actors": sorted({p["actor"] for p in positions}, key=str.casefold),
        "stats": {
            "statements": len(statements),
            "articles": len({s.get("article") for s in statements}),
            "utterances": len(utterances),
            "merged": sum(1 for u in utterances if len(u["statement_ids"]) > 1),
            "positions": len(positions),
            "changes": sum(len(p["changes"]) for p in positions),
            "tentative_changes": sum(len(p["tentative_changes"]) for p in positions),
            "unknown_speaker": len(unknown),
            "no_target": len(no_target),
            "undated": sum(1 for u in utterances if not u["date"]),
        },
        "notes": notes,
    }


def support_text(change: dict) -> str:
    """What stands behind each side of a change, in words."""
    parts = []
    for side in ("from", "to"):
        n = change["support"][side]
        parts.append(f"{side}: {n['utterances']} utterance(s) in {n['sources']} source(s), "
                     f"label confidence {n['confidence']:.2f}")
    return "; ".join(parts)


def rule_text(result: dict) -> str:
    """The tentative-change rule of a result, in words."""
    rule = result.get("change_rule") or {}
    return (f"a side with fewer than {rule.get('min_utterances')} utterance(s) whose mean label confidence is "
            f"below {rule.get('min_confidence', 0):.2f}")


def summary_line(result: dict) -> str:
    """One line for the terminal and the reports: what the aggregate covers."""
    s = result["stats"]
    return (f"{s['statements']} statement(s) from {s['articles']} article(s) → {s['utterances']} utterance(s) "
            f"({s['merged']} reported more than once); {len(result['actors'])} actor(s), "
            f"{s['positions']} actor × target position(s), {s['changes']} change(s)"
            + (f" and {s['tentative_changes']} tentative change(s)" if s.get("tentative_changes") else ""))
