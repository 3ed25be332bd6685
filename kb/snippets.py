"""Snippets and highlighting (pure functions of text and query terms).

make_snippet() picks the window of an article's text holding the most distinct matched words and
marks them; highlight_html() marks terms inside text nodes of already-sanitised HTML.  Chinese terms
are also matched in traditional characters, Latin terms across the spaces and hyphens authors put
between letters (ndfeb marks Nd-Fe-B).
"""

import bisect
import functools
import html
import re
from collections import Counter

import numpy as np

from kb.analysis import to_traditional

SNIPPET_CHARS = 160


def _pattern(terms):
    """One compiled pattern for a query's highlight terms (made once per query, not per hit); each
    Chinese term also in traditional characters, so an article written in them is marked too."""
    return _pattern_of(frozenset(t for t in terms if t and t.strip()))


@functools.lru_cache(maxsize=256)
def _pattern_of(terms):
    terms = set(terms) | {to_traditional(t) for t in terms}
    return _compiled(tuple(sorted(terms, key=lambda t: (-len(t), t))))


@functools.lru_cache(maxsize=256)
def _compiled(terms):
    pieces = []
    for term in terms:
        if re.fullmatch(r"[\w./\-:〔〕]+", term, re.ASCII):
            # Latin and digits: spaces and hyphens between letters as converters and authors write
            # them (ndfeb marks Nd-Fe-B), never inside a longer Latin word (nd is not in "and")
            chars = [re.escape(ch) for ch in term.replace(" ", "")]
            # the look-behind after the first character: a pattern opening with a literal is fast
            escaped = chars[0] + rf"(?<![a-z0-9]{chars[0]})" + "".join(r"[\s\-]*" + c for c in chars[1:])
            escaped += r"(?![a-z0-9])"
        elif not re.search(r"[a-z0-9]", term):
            escaped = r"\s*".join(re.escape(ch) for ch in term.replace(" ", ""))
        else:
            escaped = re.escape(term)
        pieces.append(escaped)
    # one capturing group around the whole: snippet_of_plain splits on it (text, match, text ...),
    # and finditer's spans are the same; one compile a query, not a second for the split
    return re.compile("(" + "|".join(pieces) + ")", re.I) if pieces else None


def _spans(pattern, text):
    return [m.span() for m in pattern.finditer(text)]


_MARKUP_RUN = re.compile(r"[#*|>\-]{2,}")


def plain_text(text):
    """An article's text as snippets read it: Markdown runs gone, white space collapsed (in C)."""
    return " ".join(_MARKUP_RUN.sub(" ", text).split())


def make_snippet(text, terms, size=SNIPPET_CHARS):
    """The passage of `text` with the most matches, HTML-escaped, matches in <mark>."""
    return snippet_of_plain(plain_text(text), terms, size)


def snippet_of_plain(plain, terms, size=SNIPPET_CHARS):
    """make_snippet() of a text already made plain by plain_text() (a searcher keeps those of
    recent hits)."""
    pattern = _pattern(terms)
    # split on the pattern (one capturing group): text, match, text, match ... cut in C, and each
    # match's start is the sum of the lengths before it, no Python call per match
    parts = pattern.split(plain) if pattern else [plain]
    if len(parts) == 1:
        return html.escape(plain[:size]) + ("…" if len(plain) > size else "")
    found = parts[1::2]
    offsets = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    starts = offsets[:-1:2].tolist()
    words = list(map(str.lower, found))
    best = _best_window(starts, words, size)
    begin = max(0, best - size // 4)
    end = min(len(plain), begin + size)
    out = "…" if begin else ""
    cursor = begin
    for i in range(bisect.bisect_left(starts, begin), bisect.bisect_left(starts, end)):
        s, e = starts[i], starts[i] + len(found[i])
        if e > end:
            continue
        out += html.escape(plain[cursor:s]) + "<mark>" + html.escape(found[i]) + "</mark>"
        cursor = e
    out += html.escape(plain[cursor:end]) + ("…" if end < len(plain) else "")
    return out


def _best_window(starts, words, size):
    """The start of the window, beginning at a match, that holds the most distinct matched words,
    then the most matches (the first such window)."""
    if len(starts) > 64:  # a long law can hold thousands of matches: the same choice, in arrays
        return _best_window_arrays(starts, words, size)
    inside, end_index = Counter(), 0
    best, best_score = starts[0], 0
    for i, start in enumerate(starts):
        while end_index < len(starts) and starts[end_index] < start + size:
            inside[words[end_index]] += 1
            end_index += 1
        score = len(inside) * 100 + (end_index - i)
        if score > best_score:
            best, best_score = start, score
        inside[words[i]] -= 1
        if not inside[words[i]]:
            del inside[words[i]]
    return best


def _best_window_arrays(starts, words, size):
    begins = np.asarray(starts)
    positions = np.arange(len(begins))
    ends = np.searchsorted(begins, begins + size, side="left")  # first match past each window
    codes = {}
    word_codes = np.fromiter(
        (codes.setdefault(w, len(codes)) for w in words), dtype=np.int64, count=len(words)
    )
    distinct = np.zeros(len(begins), dtype=np.int64)
    for code in range(len(codes)):
        at = np.flatnonzero(word_codes == code)  # where this word matches, in order
        following = np.searchsorted(at, positions, side="left")  # its next match from each window
        nxt = np.where(following < len(at), at[np.minimum(following, len(at) - 1)], len(begins))
        distinct += nxt < ends
    score = distinct * 100 + (ends - positions)
    return starts[int(np.argmax(score))]


def highlight_html(rendered_html, terms):
    """<mark> query terms inside text nodes of already-sanitised HTML."""
    pattern = _pattern(terms)
    if pattern is None:
        return rendered_html
    out = []
    # tags and character references (&amp; &#39; &#x4e00;) are kept whole: a term never cuts into one
    parts = re.split(r"(<[^>]+>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)", rendered_html)
    for index, part in enumerate(parts):
        if index % 2:  # a tag or a character reference
            out.append(part)
            continue
        cursor = 0
        for start, end in _spans(pattern, part):
            out.append(part[cursor:start] + "<mark>" + part[start:end] + "</mark>")
            cursor = end
        out.append(part[cursor:])
    return "".join(out)
