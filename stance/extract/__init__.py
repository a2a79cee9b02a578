"""Extraction: attributed statements (direct, indirect, mixed) with their speakers resolved to actors.

`quotes` finds quotations and their speaker tags (`quotetags`), `indirect` reported speech (its
constructions in `reports`), `untagged` the speakers of quotations with no tag, `speakers` the actor registry
and each article's mentions, `resolve` the speakers in reading order, `spans` statement boundaries, `dates`
utterance dates; `extractor` puts them together. Running it over a corpus, each article within a time
budget, is the engines' work (stance.engine.timebudget, stance.engine.extract_corpus).
"""

from stance.extract.dates import finish
from stance.extract.extractor import Extractor, extract_statements

__all__ = ["Extractor", "extract_statements", "finish"]
