"""Sentence and span bookkeeping for the extractor, in time linear in the text: syntok on bounded
blocks, long sentences read in pieces, bisection instead of scans."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Optional

import syntok.segmenter as segmenter


@lru_cache(maxsize=64)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the sentences of a text (syntok's segmentation)."""
    spans = []
    for block_start, block_end in _blocks(text):
        for paragraph in segmenter.analyze(text[block_start:block_end]):
            for sentence in paragraph:
                if sentence:
                    last = sentence[-1]
                    spans.append((block_start + sentence[0].offset, block_start + last.offset + len(last.value)))
    return tuple(spans)


SEGMENT_BLOCK = 4000  # syntok's cost grows faster than its input: it is given blank-line blocks of bounded size


def _blocks(text: str) -> list[tuple[int, int]]:
    """Blank-line separated blocks of text, long ones cut at spaces into pieces of about SEGMENT_BLOCK."""
    blocks, start = [], 0
    for gap in re.finditer(r"\n[ \t]*\n", text):
        blocks.append((start, gap.start()))
        start = gap.end()
    blocks.append((start, len(text)))
    pieces = []
    for start, end in blocks:
        while end - start > SEGMENT_BLOCK:
            cut = text.rfind(" ", start + SEGMENT_BLOCK // 2, start + SEGMENT_BLOCK)
            cut = cut if cut > start else start + SEGMENT_BLOCK
            pieces.append((start, cut))
            start = cut
        if text[start:end].strip():
            pieces.append((start, end))
    return pieces


def sentence_context(text: str, start: int, end: int) -> str:
    """The sentence(s) of `text` that contain the span [start, end)."""
    all_spans = sentence_spans(text)
    index = max(0, bisect_right(sentence_starts(text), start) - 1)
    spans = []
    while index < len(all_spans) and all_spans[index][0] < end:
        if all_spans[index][1] > start:
            spans.append(all_spans[index])
        index += 1
    if not spans:
        return text[start:end]
    return text[spans[0][0]: max(spans[-1][1], end)]


@lru_cache(maxsize=8)
def sentence_starts(text: str) -> list[int]:
    return [s[0] for s in sentence_spans(text)]


MAX_SENTENCE = 1200  # longer "sentences" (tables, run-on lines) are read in pieces, so cost stays linear


def split_long(start: int, end: int, text: str) -> list[tuple[int, int]]:
    """[start, end) cut at spaces into pieces of at most about MAX_SENTENCE characters."""
    pieces = []
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def sentences_in(text: str, paras: list[tuple[int, int]]) -> "SpanList":
    """Sentence spans clipped to the paragraphs (both sorted), long ones cut into pieces."""
    result, p = [], 0
    for s_start, s_end in sentence_spans(text):
        while p < len(paras) and paras[p][1] <= s_start:
            p += 1
        q = p
        while q < len(paras) and paras[q][0] < s_end:
            start, end = max(s_start, paras[q][0]), min(s_end, paras[q][1])
            if start < end:
                result.extend(split_long(start, end, text))
            q += 1
    return SpanList(result)


class SpanList(list):
    """Sorted, disjoint (start, end) spans with their starts kept for bisection."""

    def __init__(self, spans=()):
        super().__init__(spans)
        self.starts = [span[0] for span in self]


def span_at(spans: SpanList, position) -> Optional[int]:
    """Index of the span that contains position, or None."""
    index = bisect_right(spans.starts, position) - 1
    return index if index >= 0 and spans[index][0] <= position < spans[index][1] else None


def sentence_at(sentences: SpanList, position) -> tuple[int, int]:
    index = bisect_right(sentences.starts, position) - 1
    return sentences[index] if index >= 0 else (position, position)


def sentence_end_after(sentences: SpanList, position) -> int:
    index = bisect_right(sentences.starts, position) - 1
    if index >= 0 and sentences[index][0] <= position <= sentences[index][1]:
        return sentences[index][1]
    return position


def _overlaps_any(span, spans) -> bool:
    return any(span[0] < b and a < span[1] and (min(span[1], b) - max(span[0], a)) > 0.5 * (span[1] - span[0]) for a, b in spans)


class SpanSet:
    """Spans added in any order, queried for overlap without scanning them all."""

    def __init__(self, spans=()):
        self.starts: list[int] = []
        self.spans: list[tuple[int, int]] = []
        self.longest = 0
        for span in spans:
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        index = bisect_right(self.starts, span[0])
        self.starts.insert(index, span[0])
        self.spans.insert(index, span)
        self.longest = max(self.longest, span[1] - span[0])

    def near(self, span: tuple[int, int]) -> list[tuple[int, int]]:
        """The stored spans that can overlap `span`."""
        low = bisect_left(self.starts, span[0] - self.longest)
        high = bisect_left(self.starts, span[1])
        return self.spans[low:high]

    def overlaps(self, span: tuple[int, int]) -> bool:
        """Whether more than half of `span` lies in one stored span."""
        return _overlaps_any(span, self.near(span))

    def covered_by_half(self, span: tuple[int, int]) -> bool:
        """Whether `span` covers more than half of some stored span."""
        return any(_overlaps_any(kept, [span]) for kept in self.near(span))


def next_sentence_end(sentences: SpanList, position: int) -> int:
    """The end of the first sentence that starts at or after `position` (or `position`)."""
    index = bisect_left(sentences.starts, position)
    return sentences[index][1] if index < len(sentences) else position
