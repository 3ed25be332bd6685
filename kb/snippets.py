"""Snippets and highlighting (pure functions of text and query terms).

make_snippet() picks the window of an article's text holding the most distinct matched words and
marks them; highlight_html() marks terms inside text nodes of already-sanitised HTML.  Chinese terms
are also matched in traditional characters, Latin terms across the spaces and hyphens authors put
between letters (ndfeb marks Nd-Fe-B).
"""

import functools
import html
import re
from collections import Counter

from kb.analysis import to_traditional

SNIPPET_CHARS = 160


def _pattern(terms):
    """One compiled pattern for a query's highlight terms (made once per query, not per hit); each
    Chinese term also in traditional characters, so an article written in them is marked too."""
    terms = {t for t in terms if t and t.strip()}
    terms |= {to_traditional(t) for t in terms}
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
    return re.compile("|".join(pieces), re.I) if pieces else None


def _spans(pattern, text):
    return [m.span() for m in pattern.finditer(text)]


_MARKUP_RUN = re.compile(r"[#*|>\-]{2,}")


def make_snippet(text, terms, size=SNIPPET_CHARS):
    """The passage of `text` with the most matches, HTML-escaped, matches in <mark>."""
    plain = " ".join(_MARKUP_RUN.sub(" ", text).split())  # split/join: white space collapsed in C
    pattern = _pattern(terms)
    spans = _spans(pattern, plain) if pattern else []
    if not spans:
        return html.escape(plain[:size]) + ("…" if len(plain) > size else "")
    # the window starting at a match that holds the most distinct matched words, then the most
    # matches; one pass with a sliding window (a long law can hold thousands of matches)
    words = [plain[s:e].lower() for s, e in spans]
    inside, end_index = Counter(), 0
    best, best_score = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        while end_index < len(spans) and spans[end_index][0] < start + size:
            inside[words[end_index]] += 1
            end_index += 1
        score = len(inside) * 100 + (end_index - i)
        if score > best_score:
            best, best_score = start, score
        inside[words[i]] -= 1
        if not inside[words[i]]:
            del inside[words[i]]
    begin = max(0, best - size // 4)
    end = min(len(plain), begin + size)
    out = "…" if begin else ""
    cursor = begin
    for s, e in spans:
        if s < begin or e > end:
            continue
        out += html.escape(plain[cursor:s]) + "<mark>" + html.escape(plain[s:e]) + "</mark>"
        cursor = e
    out += html.escape(plain[cursor:end]) + ("…" if end < len(plain) else "")
    return out


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
