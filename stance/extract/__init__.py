"""Extraction: attributed statements (direct, indirect, mixed) with their speakers resolved to actors.

`grammar` finds reporting constructions, `tags` and `untagged` the quotations' speakers, `speakers` the
actor registry and each article's mentions, `spans` statement boundaries; `extractor` puts them together.
"""

from stance.extract.extractor import Extractor, extract_articles, finish

__all__ = ["Extractor", "extract_articles", "finish"]
