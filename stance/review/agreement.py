"""Agreement between two annotations of the same statements.

Rows are paired by `id`, else by article and text (statements only one file
has are counted, not compared); rows with neither are paired by position (the
second file may then hold labels only, e.g. `{"target", "stance"}`).
For each field both files carry (speaker, target, stance): percent agreement,
Cohen's kappa (scikit-learn), Krippendorff's alpha for nominal data (the
`krippendorff` package), the confusion pairs and the rows that disagree.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

from stance.config import LabelSet
from stance.errors import StanceError
from stance.records import read_jsonl

FIELDS = ("speaker", "target", "stance")


def read_annotation(path: Path, labels: Optional[LabelSet] = None) -> list[dict]:
    """The rows of an annotation file; target and stance checked against the label set when given."""
    rows = []
    for number, row in read_jsonl(Path(path)):
        if labels is not None and ("target" in row or "stance" in row):
            labels.check(row.get("target"), row.get("stance"), f"{path}:{number}")
        rows.append({**row, "_line": number})
    if not rows:
        raise StanceError(f"{path}: no rows; expected one labelled statement per line")
    return rows


def _key(row: dict):
    if "id" in row:
        return ("id", str(row["id"]))
    if "article" in row and "text" in row:
        return ("statement", str(row["article"]), " ".join(str(row["text"]).split()))
    return None


def pair_rows(first: list[dict], second: list[dict], first_name: str = "A",
              second_name: str = "B") -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """(pairs, rows only in the first, rows only in the second).

    Rows are the same statement when they share an `id`, else the same article and text; when the rows
    carry neither, they are paired by position and both files must have the same number of rows.
    """
    keys_a, keys_b = [_key(r) for r in first], [_key(r) for r in second]
    if None in keys_a or None in keys_b:
        if len(first) != len(second):
            raise StanceError(f"{second_name}: found {len(second)} row(s); expected one per row of {first_name} "
                              f"({len(first)}), in the same order (or an `id`, or `article` and `text`, on every row)")
        return list(zip(first, second)), [], []
    by_key = {k: r for k, r in zip(keys_b, second)}
    pairs = [(r, by_key[k]) for k, r in zip(keys_a, first) if k in by_key]
    if not pairs:
        raise StanceError(f"{second_name}: no statement in common with {first_name}; expected the same ids "
                          "(or the same article and text) in both files")
    seen = set(keys_a)
    return pairs, [r for k, r in zip(keys_a, first) if k not in by_key], [r for k, r in zip(keys_b, second) if k not in seen]


def field_agreement(a: list[str], b: list[str]) -> dict:
    """Percent agreement, Cohen's kappa, Krippendorff's alpha (nominal) and confusion pairs of two codings."""
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    values = sorted(set(a) | set(b))
    agree = sum(x == y for x, y in zip(a, b))
    if len(values) < 2:
        kappa = alpha = None  # one category only: chance agreement is total, both coefficients are undefined
    else:
        code = {v: i for i, v in enumerate(values)}
        kappa = round(float(cohen_kappa_score(a, b)), 4)
        data = np.array([[code[x] for x in a], [code[y] for y in b]], dtype=float)
        alpha = round(float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), 4)
    pairs = Counter((x, y) for x, y in zip(a, b) if x != y)
    return {
        "n": len(a),
        "percent_agreement": round(100 * agree / max(1, len(a)), 2),
        "cohen_kappa": kappa,
        "krippendorff_alpha": alpha,
        "confusion_pairs": [{"a": x, "b": y, "count": n} for (x, y), n in pairs.most_common()],
    }


def agreement(first_path: Path, second_path: Path, labels: Optional[LabelSet] = None) -> dict:
    """Agreement of two annotation files, per field both carry, with the disagreeing rows."""
    first = read_annotation(first_path, labels)
    second = read_annotation(second_path, labels)
    pairs, only_first, only_second = pair_rows(first, second, str(first_path), str(second_path))
    fields = [f for f in FIELDS if all(f in x and f in y for x, y in pairs)]
    if not fields:
        raise StanceError(f"{first_path}, {second_path}: no field in common; expected {', '.join(FIELDS)} in both")
    report = {"a": str(first_path), "b": str(second_path), "statements": len(pairs), "fields": fields,
              "only_in_a": len(only_first), "only_in_b": len(only_second)}
    for name in fields:
        report[name] = field_agreement([_norm(x[name]) for x, _ in pairs], [_norm(y[name]) for _, y in pairs])
    report["disagreements"] = [
        {"line_a": x["_line"], "line_b": y["_line"], **({"id": x["id"]} if "id" in x else {}),
         "text": x.get("text", y.get("text", "")),
         "a": {f: x[f] for f in fields}, "b": {f: y[f] for f in fields},
         **({"why": y["why"]} if y.get("why") else {})}
        for x, y in pairs if any(_norm(x[f]) != _norm(y[f]) for f in fields)
    ]
    return report


def _norm(value) -> str:
    return " ".join(str(value).split())


def summary_lines(report: dict) -> list[str]:
    """One line per field and one for the disagreements, for the terminal."""
    lines = []
    for name in report["fields"]:
        r = report[name]
        kappa = "n/a" if r["cohen_kappa"] is None else f"{r['cohen_kappa']:.3f}"
        alpha = "n/a" if r["krippendorff_alpha"] is None else f"{r['krippendorff_alpha']:.3f}"
        top = ", ".join(f"{p['a']}→{p['b']} ×{p['count']}" for p in r["confusion_pairs"][:3])
        lines.append(f"{name}: {r['percent_agreement']:.1f}% agree, Cohen's κ {kappa}, Krippendorff's α {alpha}"
                     + (f" (most often {top})" if top else ""))
    lines.append(f"{len(report['disagreements'])} of {report['statements']} statements disagree")
    if report["only_in_a"] or report["only_in_b"]:
        lines.append(f"not compared: {report['only_in_a']} statement(s) only in A, {report['only_in_b']} only in B")
    return lines
