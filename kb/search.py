"""Search: SearchRequest → Whoosh query → SearchPage (hits, snippets, facets, paging).

The query language is forgiving: words are ANDed, `OR` between words, `-word`
or `NOT word` excludes, "quoted phrases", and filters `type:` `section:`
`source:` `year:` `issue:`.  Anything that reads as a standard, plan, patent or
document number is matched exactly on the number keys first.  No input raises:
unbalanced quotes and lone operators are read as plain words.
"""

import functools
import html
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from whoosh import sorting
from whoosh.index import EmptyIndexError
from whoosh.query import And, Every, Not, Or, Phrase, Term

from kb.analysis import expand, fold, query_words, segmenter
from kb.bulk import BulkSearcher, Unsupported
from kb.errors import IndexMissingError
from kb.indexer import current_target, ensure_index, open_live
from kb.numbers import keys_of, parse_bare_standard, parse_lookup, parse_numbers

FILTER_FIELDS = {"type", "section", "source", "year", "issue"}
FACET_FIELDS = ("type", "section", "year", "source")
FACET_SAMPLE = 1000
SNIPPET_CHARS = 160
MAX_QUERY_CHARS = 500
NUMBER_BOOST = 20.0
REOPEN_TRIES = 5  # reads of the `current` link when the index it names vanished under the open


@dataclass
class SearchRequest:
    q: str = ""
    types: list = field(default_factory=list)
    filters: dict = field(default_factory=dict)  # field -> list of values
    sort: str = "relevance"
    page: int = 1
    limit: int = 10


@dataclass
class Hit:
    id: str
    title: str
    type: str
    section: str
    issue: str
    date: str
    score: float
    snippet: str  # HTML: escaped text with <mark> around matches
    path: str

    @property
    def snippet_text(self):
        return html.unescape(re.sub(r"</?mark>", "", self.snippet))


@dataclass
class SearchPage:
    query: str
    parsed: str
    total: int
    hits: list
    facets: dict
    page: int
    limit: int
    took_ms: float
    numbers: list = field(default_factory=list)
    total_is_estimate: bool = False
    facets_sampled: bool = False

    @property
    def pages(self):
        return max(1, -(-self.total // self.limit))

    def as_json(self):
        return {
            "query": self.query, "total": self.total, "total_is_estimate": self.total_is_estimate,
            "page": self.page, "pages": self.pages, "took_ms": round(self.took_ms, 2),
            "hits": [asdict(hit) for hit in self.hits], "facets": self.facets,
            "facets_sampled": self.facets_sampled, "numbers": self.numbers, "parsed": self.parsed,
        }


# ------------------------------------------------------------------ parsing (pure)

@dataclass
class ParsedQuery:
    must: list = field(default_factory=list)  # list of groups; a group is a list of alternatives
    must_not: list = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    numbers: list = field(default_factory=list)
    highlight: list = field(default_factory=list)


_CLAUSE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse_query(text):
    """Split a typed query into number lookups, phrases, words, exclusions and filters."""
    text = fold(text or "")[:MAX_QUERY_CHARS]
    parsed = ParsedQuery()
    numbers = parse_numbers(text)
    for number in numbers:
        parsed.numbers.append(number)
    for number in sorted(numbers, key=lambda n: -n.start):
        text = text[:number.start] + " " + text[number.end:]
    bare = None if numbers else parse_bare_standard(text)
    if bare is not None:
        parsed.numbers.append(bare)
        text = ""
    if text.count('"') % 2:
        text = text.replace('"', " ")
    pending_or, negate_next = False, False
    for match in _CLAUSE.finditer(text):
        negate, phrase, word = match.group(1), match.group(2), match.group(3)
        if word in ("or", "|") and parsed.must:
            pending_or = True
            continue
        if word in ("and", "&&"):
            continue
        if word in ("not",):
            negate_next = True
            continue
        clause = None
        if phrase is not None:
            clause = ("phrase", phrase.strip())
            negate = negate or negate_next
        elif word:
            negate = word.startswith("-") and len(word) > 1 or negate_next
            word = word[1:] if word.startswith("-") else word
            name, sep, value = word.partition(":")
            if sep and name in FILTER_FIELDS and value:
                parsed.filters.setdefault(name, []).append(value)
                negate_next = False
                continue
            word = word.strip("()[]{}<>+-!^~*?:\\/'")
            if word:
                clause = ("word", word)
        negate_next = False
        if not clause or not clause[1]:
            pending_or = False
            continue
        if negate:
            parsed.must_not.append(clause)
        elif pending_or and parsed.must:
            parsed.must[-1].append(clause)
        else:
            parsed.must.append([clause])
        pending_or = False
        parsed.highlight.append(clause[1])
        parsed.highlight.extend(query_words(clause[1]))
    for number in parsed.numbers:
        parsed.highlight.append(number.canonical)
    return parsed


def _term_query(token):
    alternatives = []
    for term in expand(token):
        alternatives += [Term("title", term, boost=2.0), Term("body", term)]
    return Or(alternatives)


def _clause_query(clause):
    kind, text = clause
    tokens = query_words(text)
    if not tokens:
        return None
    if kind == "phrase" and len(tokens) > 1:
        return Or([Phrase("title", tokens, boost=2.0), Phrase("body", tokens)])
    parts = [_term_query(token) for token in tokens]
    return parts[0] if len(parts) == 1 else And(parts)


def _number_query(number):
    """The most specific key: a year, kind code or issuer typed must match, a missing one need not."""
    return Term("numbers", max(number.keys, key=len), boost=NUMBER_BOOST)


def build_query(parsed, request):
    """ParsedQuery + request filters → (query, filter query or None)."""
    musts = []
    for group in parsed.must:
        alternatives = [q for q in (_clause_query(c) for c in group) if q is not None]
        if alternatives:
            musts.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
    if parsed.numbers:
        musts.append(Or([_number_query(n) for n in parsed.numbers]))
    query = And(musts) if len(musts) > 1 else (musts[0] if musts else Every())
    excluded = [q for q in (_clause_query(c) for c in parsed.must_not) if q is not None]
    if excluded:
        query = And([query, Not(Or(excluded))])
    filters = dict(parsed.filters)
    for name, values in (request.filters or {}).items():
        filters.setdefault(name, []).extend(values)
    if request.types:
        filters.setdefault("type", []).extend(request.types)
    clauses = [Or([Term(name, value) for value in values]) for name, values in filters.items() if values]
    return query, (And(clauses) if clauses else None)


# ------------------------------------------------------------------ snippets (pure)

def _pattern(terms):
    """One compiled pattern for a query's highlight terms (made once per query, not per hit)."""
    return _compiled(tuple(sorted({t for t in terms if t and t.strip()}, key=lambda t: (-len(t), t))))


@functools.lru_cache(maxsize=256)
def _compiled(terms):
    pieces = []
    for term in terms:
        if re.fullmatch(r"[\w./\-:〔〕]+", term, re.ASCII) or not re.search(r"[a-z0-9]", term):
            escaped = r"\s*".join(re.escape(ch) for ch in term.replace(" ", ""))
        else:
            escaped = re.escape(term)
        pieces.append(escaped)
    return re.compile("|".join(pieces), re.I) if pieces else None


def make_snippet(text, terms, size=SNIPPET_CHARS):
    """The passage of `text` with the most matches, HTML-escaped, matches in <mark>."""
    plain = re.sub(r"[#*|>\-]{2,}|\s+", " ", text).strip()
    pattern = _pattern(terms)
    spans = [m.span() for m in pattern.finditer(plain)] if pattern else []
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
    # tags and character references (&amp; &#39; &#x4e00;) are kept whole: a term never cuts into one
    parts = re.split(r"(<[^>]+>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)", rendered_html)
    return "".join(part if part[:1] in ("<", "&") else pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>",
                                                                     part)
                   for part in parts)


# ------------------------------------------------------------------ the searcher (adapter)

class Searcher:
    """A long-lived handle on the live index; reopens by itself after a rebuild swaps it."""

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._dir = None
        self._ix = None
        self._searcher = None
        self._bulk = None
        segmenter(config.userdict)

    @classmethod
    def open(cls, config, build_if_missing=False):
        if build_if_missing:
            ensure_index(config)
        searcher = cls(config)
        searcher.current()
        return searcher

    def current(self):
        """The searcher of the live index.  A rebuild may swap and remove the folder between the
        readlink and the open: then the link is read again; an index that stays unreadable answers
        from the searcher already open, or IndexMissingError when there is none."""
        with self._lock:
            for attempt in range(REOPEN_TRIES):
                try:
                    return self._current()
                except (OSError, EmptyIndexError, IndexMissingError):
                    self._dir = None
                    if attempt + 1 == REOPEN_TRIES:
                        if self._searcher is not None:
                            return self._searcher
                        raise
                    time.sleep(0.01 * (attempt + 1))

    def _current(self):
        live = current_target(self.config)
        if live is None:
            if self._searcher is not None:
                return self._searcher
            raise IndexMissingError("还没有索引", path=self.config.index_dir, hint="运行 `kb index build`")
        if live != self._dir:
            ix = open_live(self.config, live)
            self._searcher, self._ix, self._dir = ix.searcher(), ix, live
        elif not self._searcher.up_to_date():
            # A fresh searcher, not refresh(): refresh() reuses segment readers by segment id
            # and so misses deletions an update committed to an existing segment.
            self._searcher = self._ix.searcher()
        return self._searcher

    def bulk(self, searcher):
        """The bulk scorer for this index generation; segments unchanged by an update are kept."""
        with self._lock:
            if self._bulk is None or self._bulk.searcher is not searcher:
                self._bulk = BulkSearcher(searcher, self._bulk.segments if self._bulk else None)
            return self._bulk

    def warm(self):
        """Read what every query needs (field lengths, facet and date columns) before the first one."""
        self.bulk(self.current()).warm(("title", "body"), FACET_FIELDS + ("date",))

    def search(self, request):
        try:
            return self._search(request)
        except (OSError, EmptyIndexError):  # the index was swapped and removed under this query
            with self._lock:
                self._dir = None
            return self._search(request)

    def _search(self, request):
        started = time.perf_counter()
        searcher = self.current()
        parsed = parse_query(request.q)
        query, filter_query = build_query(parsed, request)
        page = max(1, request.page)
        limit = max(1, min(request.limit, 100))
        if searcher.doc_count() == 0:  # an empty index: nothing to score (Whoosh's idf is log(0) there)
            return SearchPage(query=request.q, parsed=str(query), total=0, hits=[], facets={}, page=page,
                              limit=limit, took_ms=(time.perf_counter() - started) * 1000,
                              numbers=[n.canonical for n in parsed.numbers])
        answer = self._bulk_answer(searcher, query, filter_query, request, page * limit)
        if answer is None:
            answer = self._whoosh_answer(searcher, query, filter_query, request, page * limit)
        ranked, total, facets, estimate, sampled = answer
        hits = []
        for docnum, score in ranked[(page - 1) * limit:]:
            fields = searcher.stored_fields(docnum)
            hits.append(Hit(
                id=fields["id"], title=fields["title"], type=fields.get("type", ""),
                section=fields.get("section", ""), issue=fields.get("issue", ""), date=fields.get("date", ""),
                score=round(float(score or 0), 3),
                snippet=make_snippet(fields.get("body", ""), parsed.highlight),
                path=fields.get("path", ""),
            ))
        return SearchPage(
            query=request.q, parsed=str(query) + (f" FILTER {filter_query}" if filter_query else ""),
            total=total, hits=hits, facets=facets, page=page, limit=limit,
            took_ms=(time.perf_counter() - started) * 1000, total_is_estimate=estimate,
            facets_sampled=sampled, numbers=[n.canonical for n in parsed.numbers],
        )

    def _bulk_answer(self, searcher, query, filter_query, request, want):
        """(ranked [(docnum, score)], exact total, exact facets, False, False), or None for Whoosh."""
        bulk = self.bulk(searcher)
        if isinstance(query, Every):
            return None
        try:
            scores = bulk.scores(query)
            if filter_query is not None:
                allowed = bulk.scores(filter_query)
                scores = {doc: score for doc, score in scores.items() if doc in allowed}
        except Unsupported:
            return None
        top = bulk.top(scores, want, sort_column="date" if request.sort == "date" else None)
        return ([(doc, scores[doc]) for doc in top], len(scores), bulk.facets(scores, FACET_FIELDS),
                False, False)

    def _whoosh_answer(self, searcher, query, filter_query, request, want):
        """Whoosh's own search: phrases and match-all; facets over the best 1,000 hits at most."""
        kwargs = {"filter": filter_query} if filter_query is not None else {}
        if request.sort == "date":
            kwargs["sortedby"] = sorting.FieldFacet("date", reverse=True)
        results = searcher.search(query, limit=max(want, FACET_SAMPLE), terms=False, **kwargs)
        estimate = not results.has_exact_length() and results.estimated_length() > FACET_SAMPLE
        total = results.estimated_length() if estimate else len(results)
        ranked = [(results.docnum(i), results.score(i)) for i in range(min(want, results.scored_length()))]
        best = [results.docnum(i) for i in range(min(results.scored_length(), FACET_SAMPLE))]
        facets = self.bulk(searcher).facets(best, FACET_FIELDS)
        return ranked, total, facets, estimate, len(best) < total

    def lookup(self, text):
        """Everything known about one number: articles, plan rows, what it replaces / is replaced by."""
        number = parse_lookup(text)
        if number is None:
            return None
        searcher = self.current()
        query = _number_query(number)
        articles, plans, related = [], [], []
        for hit in searcher.search(query, limit=200):
            fields = hit.fields()
            articles.append({"id": fields["id"], "title": fields["title"], "type": fields.get("type"),
                             "issue": fields.get("issue"), "date": fields.get("date")})
            for row in (fields.get("meta") or {}).get("plans", []):
                values = [row.get(k, "") for k in ("plan_number", "foreign_plan_number", "replaces")]
                keys = {key for value in values if value for key in keys_of(value)}
                if keys & set(number.keys):
                    plans.append({**row, "article_id": fields["id"]})
                    if row.get("replaces") and set(keys_of(row["replaces"])) & set(number.keys):
                        related.append({"relation": "replaced_by", "number": row.get("plan_number", "")})
                    elif row.get("replaces"):
                        related.append({"relation": "replaces", "number": row["replaces"]})
        return {"kind": number.kind, "canonical": number.canonical, "keys": list(number.keys),
                "articles": articles, "plans": plans, "related": related}

