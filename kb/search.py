"""Search: SearchRequest → Whoosh query → SearchPage (hits, snippets, facets, paging).

The query language is forgiving: words are ANDed, `OR` between words, `-word`
or `NOT word` excludes, "quoted phrases", and filters `type:` `section:`
`source:` `year:` `issue:` (type also by its Chinese label, 政策).  Anything that
reads as a standard, plan, patent or document number is matched exactly on the
number keys first; when the exact key finds nothing, the number's other keys
in the index answer and the page says so ("按 GB/T 4137-2015 查找"), and a
number prefix lists the numbers under it.  No input raises: unbalanced quotes
and lone operators are read as plain words.  (Reading the query: kb/query.py.)

Strict first, then relaxed (kb/relax.py): when every word together finds
nothing or very little, the answer is the documents that match most of the
words, marked `relaxed` with the words dropped, and a "did you mean" from the
index's own vocabulary.  The best hits get a bonus for query words that stand
next to each other.  An unknown filter value raises UnknownFilterError.
"""

import gc
import html
import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field

from whoosh import sorting
from whoosh.index import EmptyIndexError
from whoosh.query import And, Every

from kb.analysis import segmenter
from kb.engine import BulkSearcher, Hits, Unsupported
from kb.errors import IndexMissingError
from kb.hittext import hit_text
from kb.models import TYPE_LABELS
from kb.numbers import (
    doc_keys_like,
    fallback_keys,
    keys_of,
    keys_under,
    loose_numbers,
    parse_lookup,
)
from kb.query import (  # noqa: F401  (re-exported: callers import the query language from here)
    FILTER_FIELDS,
    MAX_QUERY_CHARS,
    NUMBER_BOOST,
    ParsedQuery,
    UnknownFilterError,
    build_query,
    check_filters,
    clause_query,
    filter_values,
    number_query,
    parse_query,
    term_query,
    with_typed_case,
)
from kb.relax import (
    FEW,
    PROXIMITY_TOP,
    Vocabulary,
    needs_of,
    relaxed_scores,
    rerank,
    sequences,
    suggest,
)
from kb.relpaths import full_path
from kb.snippets import SNIPPET_CHARS, highlight_html, make_snippet, plain_text, snippet_of_plain  # noqa: F401
from kb.storage import current_target, open_live

FACET_FIELDS = ("type", "section", "year", "source")
CHECKED_FILTERS = ("type", "section", "year", "issue")  # filters whose values are checked
FACET_SAMPLE = 1000
PRELOAD_DOCS = 5_000  # warm() reads the hit texts of an index this small (while they fit)
HIT_TEXT_CHARS = 4_000_000  # text (stored + plain) of recent hits kept per generation (~16 MB at most)
WARM_WAIT_S = 30  # longest a query waits for a background warm-up's columns
WARM_EXTRAS_AFTER_S = 3  # the suggestion tables load after the first answer, or this long after warming
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
    relaxed: bool = False  # the answer matches most of the words, not all (or a corrected word)
    dropped: list = field(default_factory=list)  # words the best relaxed hit does not contain
    suggestion: str = ""  # 您是不是要找: the query with words of the index's vocabulary
    number_fallbacks: list = field(default_factory=list)  # [{"typed", "used": [...], "how"}]
    ignored: list = field(default_factory=list)  # question words not required

    @property
    def pages(self):
        return max(1, -(-self.total // self.limit))

    def as_json(self):
        return {
            "query": self.query,
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "page": self.page,
            "pages": self.pages,
            "took_ms": round(self.took_ms, 2),
            "hits": [asdict(hit) for hit in self.hits],
            "facets": self.facets,
            "facets_sampled": self.facets_sampled,
            "numbers": self.numbers,
            "parsed": self.parsed,
            "relaxed": self.relaxed,
            "dropped": self.dropped,
            "suggestion": self.suggestion,
            "number_fallbacks": self.number_fallbacks,
            "ignored": self.ignored,
        }


# ------------------------------------------------------------------ the searcher (adapter)


def _chars(stored):
    fields, plain = stored
    return len(fields.get("body", "")) + len(plain) + len(fields.get("title", ""))


class Searcher:
    """A long-lived handle on the live index; reopens by itself after a rebuild swaps it."""

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._dir = None
        self._ix = None
        self._searcher = None
        self._bulk = None
        self._hit_texts = (None, OrderedDict(), 0)  # (searcher, docnum -> (fields, plain), characters)
        self._paths = None  # (searcher, its `path` column reader)
        self._essentials = self._answered = None  # threading.Events of warm_in_background()
        segmenter(config.userdict)

    @classmethod
    def open(cls, config, build_if_missing=False):
        if build_if_missing:
            from kb.indexer import (
                ensure_index,  # only the CLI and the evaluation build on first use
            )

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
        self._warm_essentials()
        self._warm_extras()

    def warm_in_background(self, first_answer_wait=WARM_EXTRAS_AFTER_S):
        """warm() in a thread, for a server that starts answering at once: a query arriving meanwhile
        waits for the part every query needs (rather than reading the same columns beside it), and the
        suggestion tables load after the first answer (or `first_answer_wait` seconds), not against it."""
        self._essentials = threading.Event()
        self._answered = threading.Event()

        def work():
            try:
                self._warm_essentials()
                self._essentials.set()
                self._answered.wait(first_answer_wait)
                self._warm_extras()
            except Exception:  # noqa: BLE001 (an unreadable index: the queries report it themselves)
                pass
            finally:
                self._essentials.set()

        thread = threading.Thread(target=work, name="kb-warm", daemon=True)
        thread.start()
        return thread

    def _warm_essentials(self):
        searcher = self.current()
        bulk = self.bulk(searcher)
        bulk.warm(("title", "body"), FACET_FIELDS + ("date",))
        self.known_filters(bulk)
        # the query reader's and the highlighter's tables (abbreviations, simplified and traditional
        # converters), loaded on first use: about 0.1 s the first query would otherwise pay
        make_snippet("稀土", parse_query("稀土 ndfeb 工信部").highlight)

    def _warm_extras(self):
        searcher = self.current()
        self.vocabulary(searcher)  # what suggestions read, so the first query needing one is quick
        self._preload_hit_texts(searcher)
        # what was just read lives as long as the process: out of the garbage collector's way, or its
        # next full collection walks every word of the vocabulary (45 ms inside some query at 145k)
        gc.collect()
        gc.freeze()

    def search(self, request):
        essentials = self._essentials
        if essentials is not None:  # a background warm-up is reading what this query needs
            essentials.wait(WARM_WAIT_S)
        try:
            page = self._search(request)
        except (OSError, EmptyIndexError):  # the index was swapped and removed under this query
            with self._lock:
                self._dir = None
            page = self._search(request)
        if self._answered is not None:  # a background warm-up may now load the suggestion tables
            self._answered.set()
        return page

    def _search(self, request):
        started = time.perf_counter()
        searcher = self.current()
        bulk = self.bulk(searcher)
        parsed = parse_query(request.q)
        page = max(1, request.page)
        limit = max(1, min(request.limit, 100))
        if searcher.doc_count() == 0:  # an empty index: nothing to score (Whoosh's idf is log(0) there)
            return SearchPage(
                query=request.q,
                parsed="",
                total=0,
                hits=[],
                facets={},
                page=page,
                limit=limit,
                took_ms=(time.perf_counter() - started) * 1000,
                numbers=[n.canonical for n in parsed.numbers],
            )
        filters = filter_values(parsed, request)
        check_filters(filters, self.known_filters(bulk))
        number_keys, fallbacks = self._resolve_numbers(searcher, parsed)
        query, filter_q = build_query(parsed, request, number_keys)
        want = max(page * limit, PROXIMITY_TOP)
        answer = self._bulk_answer(searcher, query, filter_q, request, want)
        if answer is None:
            answer = self._whoosh_answer(searcher, query, filter_q, request, want)
        ranked, total, facets, estimate, sampled = answer
        highlight = list(parsed.highlight)
        relaxed, suggestion = None, ""
        if total < FEW and parsed.must and not isinstance(query, Every):
            relaxed, suggestion, extra = self._relaxed(searcher, bulk, parsed, number_keys, filter_q)
            suggestion = with_typed_case(request.q, suggestion)
            widen = total == 0 or (relaxed is not None and relaxed.parts >= 3)
            if widen and relaxed is not None and set(relaxed.scores) - {doc for doc, _ in ranked}:
                ranked, total, facets = self._merge(bulk, ranked, relaxed, request, want)
                estimate = sampled = False
                highlight += relaxed.grams + extra
            else:
                relaxed = None

        def fields_of(docnum):
            return self._stored(searcher, docnum)[0]

        if request.sort != "date":
            ranked = rerank(ranked, fields_of, sequences(parsed))
        hits = [
            self._hit(*self._stored(searcher, docnum), score, highlight)
            for docnum, score in ranked[(page - 1) * limit : page * limit]
        ]
        for note in fallbacks:
            note["used"] = self._canonical(searcher, ranked[:limit], note.pop("keys")) or note["used"]
        return SearchPage(
            query=request.q,
            parsed=str(query) + (f" FILTER {filter_q}" if filter_q else ""),
            total=total,
            hits=hits,
            facets=facets,
            page=page,
            limit=limit,
            took_ms=(time.perf_counter() - started) * 1000,
            total_is_estimate=estimate,
            facets_sampled=sampled,
            numbers=[n.canonical for n in parsed.numbers],
            relaxed=bool(relaxed and relaxed.scores),
            dropped=relaxed.dropped if relaxed else [],
            suggestion=suggestion,
            number_fallbacks=fallbacks,
            ignored=parsed.dropped,
        )

    def _preload_hit_texts(self, searcher):
        """The hit texts of a small knowledge base, every document's, while they fit in the hit-text
        budget: the first queries then cut their snippets and proximity from memory rather than
        reading each hit's file under content/ (the texts a search keeps anyway, read before it).
        An archive of more than PRELOAD_DOCS documents is left to fill the cache hit by hit."""
        if searcher.doc_count_all() > PRELOAD_DOCS:
            return
        for docnum in searcher.reader().all_doc_ids():
            self._stored(searcher, docnum)
            if self._hit_texts[2] >= HIT_TEXT_CHARS * 3 // 4:  # room left for the hits to come
                return

    def _stored(self, searcher, docnum):
        """(stored fields, plain text) of a document, kept for recent hits of this index generation;
        the body is read from its file in content/ (kb/hittext.py).  Decoding stored fields (zlib +
        pickle), reading the file and making the text plain are most of a hit's cost,
        and the same articles come back query after query.  At most HIT_TEXT_CHARS characters."""
        with self._lock:
            owner, cache, size = self._hit_texts
            if owner is not searcher:
                owner, cache, size = searcher, OrderedDict(), 0
                self._hit_texts = (owner, cache, size)
            found = cache.get(docnum)
            if found is not None:
                cache.move_to_end(docnum)
                return found
        fields = searcher.stored_fields(docnum)
        if "path" not in fields:  # kept once, in its column (`kb index update` reads it there too)
            fields = {**fields, "path": self._path_of(searcher, docnum)}
        else:  # stored by an older kb, maybe relative to content/ (kb.relpaths)
            fields = {**fields, "path": full_path(self.config.content_dir, fields["path"])}
        fields, text = hit_text(self.config.content_dir, fields)
        found = (fields, plain_text(text))
        with self._lock:
            owner, cache, size = self._hit_texts
            if owner is searcher and docnum not in cache:
                cache[docnum] = found
                size += _chars(found)
                while size > HIT_TEXT_CHARS and len(cache) > 1:
                    size -= _chars(cache.popitem(last=False)[1])
                self._hit_texts = (owner, cache, size)
        return found

    def _path_of(self, searcher, docnum):
        """A document's path from the `path` column (the index does not store it twice), joined back
        with the content folder it is kept relative to (kb.relpaths)."""
        paths = self._paths
        if paths is None or paths[0] is not searcher:
            reader = searcher.reader()
            column = reader.column_reader("path", translate=True) if reader.has_column("path") else None
            paths = self._paths = (searcher, column)
        return full_path(self.config.content_dir, paths[1][docnum]) if paths[1] is not None else ""

    def _hit(self, fields, plain, score, highlight):
        return Hit(
            id=fields["id"],
            title=fields["title"],
            type=fields.get("type", ""),
            section=fields.get("section", ""),
            issue=fields.get("issue", ""),
            date=fields.get("date", ""),
            score=round(float(score or 0), 3),
            snippet=snippet_of_plain(plain, highlight),
            path=fields.get("path", ""),
        )

    # -- filters

    def known_filters(self, bulk):
        """{field: known values} of the checked filters: type codes and labels, values in the index."""
        known = getattr(bulk, "kb_known_filters", None)
        if known is None:
            known = {name: set(bulk.column_values(name)) for name in CHECKED_FILTERS}
            known["type"] |= set(TYPE_LABELS)
            known = {name: sorted(values) for name, values in known.items()}
            bulk.kb_known_filters = known
        return known

    # -- numbers

    def number_keys(self, searcher):
        """Every key of the `numbers` field, per index generation."""
        cached = getattr(self, "_number_keys", None)
        if cached is None or cached[0] is not searcher:
            keys = (
                [t.decode("utf-8") for t in searcher.reader().lexicon("numbers")]
                if "numbers" in searcher.schema
                else []
            )
            cached = self._number_keys = (searcher, keys)
        return cached[1]

    def answering_keys(self, searcher, number):
        """(keys, how): the exact key if the index has it; else its other keys ("fallback"), the numbers
        under it ("prefix"), or a document number under a longer issuer; ([], None) if none."""

        def present(key):
            return searcher.doc_frequency("numbers", key) > 0

        best = max(number.keys, key=len)
        if present(best):
            return [best], "exact"
        others = fallback_keys(number)
        for key in others:
            if present(key):
                return [key], "fallback"
        for key in [best, *others]:  # XB 617 → xb/t617 → XB/T 617.8-2023
            under = keys_under(key, self.number_keys(searcher))
            if under:
                return under, "prefix"
        like = doc_keys_like(number, self.number_keys(searcher))
        return (like, "fallback") if like else ([], None)

    def _resolve_numbers(self, searcher, parsed):
        """Keys per number (by position) where the exact key finds nothing, notes for the page; loosely
        typed numbers the index does not hold go back to being words."""
        keys, notes = {}, []
        for number, typed in parsed.loose:
            found, how = self.answering_keys(searcher, number)
            if found:
                parsed.numbers.append(number)
            else:
                parsed.must.append([("word", typed)])
                parsed.highlight.append(typed)
        for i, number in enumerate(parsed.numbers):
            found, how = self.answering_keys(searcher, number)
            if how in ("fallback", "prefix"):
                keys[i] = found
                notes.append({"typed": number.canonical, "used": found, "how": how, "keys": found})
        return keys, notes

    def _canonical(self, searcher, ranked, keys):
        """Canonical numbers, as the hits store them, whose keys are among `keys`."""
        wanted, out = set(keys), []
        for docnum, _ in ranked:
            fields = self._stored(searcher, docnum)[0]  # the hits just shown: kept
            meta = fields.get("meta") or {}
            numbers = [
                n
                for name in ("standards", "plan_numbers", "patents", "doc_numbers")
                for n in (fields.get(name) or "").split(",")
                if n
            ]
            numbers += [
                row.get(k) for row in meta.get("plans", []) for k in ("plan_number", "replaces") if row.get(k)
            ]
            for number in numbers:
                if number not in out and wanted & set(keys_of(number)):
                    out.append(number)
        return out

    # -- relaxed

    def vocabulary(self, searcher):
        cached = getattr(self, "_vocabulary", None)
        if cached is None or cached.searcher is not searcher:
            cached = self._vocabulary = Vocabulary(searcher)
        return cached

    def _relaxed(self, searcher, bulk, parsed, number_keys, filter_q):
        """(Relaxed or None, suggestion text, extra highlight words) for a query that found little."""
        vocabulary = self.vocabulary(searcher)

        def together(word, others):
            return len(bulk.scores(And([term_query(w) for w in [word, *others]])))

        corrections, suggestion = suggest(vocabulary, parsed, together)
        numbers = [
            (n.canonical, number_query(number_keys.get(i) or [max(n.keys, key=len)]))
            for i, n in enumerate(parsed.numbers)
        ]
        needs = needs_of(parsed, numbers, corrections)
        try:
            allowed = bulk.scores(filter_q) if filter_q is not None else None
            excluded = [bulk.scores(q) for q in map(clause_query, parsed.must_not) if q is not None]
            result = relaxed_scores(bulk, needs, allowed, excluded)
        except Unsupported:
            return None, suggestion, []
        extra = [word for fixes in corrections.values() for _, _, word in fixes]
        return result, suggestion, extra

    def _merge(self, bulk, strict, relaxed, request, want):
        """Strict hits first, then the relaxed ones; total and facets over both."""
        scores = dict(relaxed.scores)
        lift = (max(scores.values()) if scores else 0.0) + 1.0
        for doc, score in strict:
            scores[doc] = lift + (score or 0.0)
        merged = Hits.from_dict(scores)
        top = bulk.top(merged, want, sort_column="date" if request.sort == "date" else None)
        return [(doc, scores[doc]) for doc in top], len(scores), bulk.facets(merged, FACET_FIELDS)

    def _bulk_answer(self, searcher, query, filter_query, request, want):
        """(ranked [(docnum, score)], exact total, exact facets, False, False), or None for Whoosh."""
        bulk = self.bulk(searcher)
        if isinstance(query, Every):
            return None
        try:
            hits = bulk.scores(query)
            if filter_query is not None:
                hits = hits.within(bulk.scores(filter_query))
        except Unsupported:
            return None
        top = bulk.top(hits, want, sort_column="date" if request.sort == "date" else None)
        return (
            [(doc, hits.get(doc)) for doc in top],
            len(hits),
            bulk.facets(hits, FACET_FIELDS),
            False,
            False,
        )

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
        """Everything known about one number: articles, plan rows, what it replaces / is replaced by.

        When the exact key finds nothing, the number's other keys answer (`how` is "fallback") or the
        numbers under a prefix are listed (`how` is "prefix", `under` names them)."""
        number = parse_lookup(text)
        if number is None:
            loose = loose_numbers(text)
            number = loose[0] if loose else None
        if number is None:
            return None
        searcher = self.current()
        found, how = self.answering_keys(searcher, number)
        keys = set(found or number.keys)
        articles, plans, related, docnums = [], [], [], []
        for hit in searcher.search(number_query(sorted(keys)), limit=200):
            fields = hit.fields()
            docnums.append((hit.docnum, hit.score))
            articles.append(
                {
                    "id": fields["id"],
                    "title": fields["title"],
                    "type": fields.get("type", ""),
                    "issue": fields.get("issue", ""),
                    "date": fields.get("date", ""),
                }
            )
            for row in (fields.get("meta") or {}).get("plans", []):
                values = [row.get(k, "") for k in ("plan_number", "foreign_plan_number", "replaces")]
                row_keys = {key for value in values if value for key in keys_of(value)}
                if row_keys & keys:
                    plans.append({**row, "article_id": fields["id"]})
                    if row.get("replaces") and set(keys_of(row["replaces"])) & keys:
                        related.append({"relation": "replaced_by", "number": row.get("plan_number", "")})
                    elif row.get("replaces"):
                        related.append({"relation": "replaces", "number": row["replaces"]})
        card = {
            "kind": number.kind,
            "canonical": number.canonical,
            "keys": list(number.keys),
            "articles": articles,
            "plans": plans,
            "related": related,
            "how": how or "none",
        }
        if how in ("fallback", "prefix"):
            card["used"] = self._canonical(searcher, docnums, found) or found
        if how == "prefix":
            card["under"] = card["used"]
        return card
