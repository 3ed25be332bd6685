"""Reading a typed query (pure): numbers, phrases, words, exclusions, filters, and what each word
may match.

The query is normalised as the index is (full width, case, traditional → simplified, `Nd-Fe-B` →
`ndfeb`).  Each word becomes *units*; a unit matches through any of its alternatives: the jieba
word and its synonyms (镝/Dy, NdFeB/钕铁硼), its dictionary pieces as the index stacks them, and
the other names of a body it names (工信部/工业和信息化部, kb/data/abbreviations.tsv).  Question
words (怎么样, 多少 …) are not required.
"""

import functools
import re
from dataclasses import dataclass, field

from whoosh.query import And, Every, Not, Or, Phrase, Term

from kb.abbreviations import join_spaced, other_forms
from kb.analysis import (
    QUESTION_WORDS,
    dictionary_generation,
    expand,
    fold,
    index_terms,
    join_compounds,
    query_words,
    segmenter,
)
from kb.errors import KbError
from kb.models import TYPE_LABELS
from kb.numbers import loose_numbers, parse_bare_standard, parse_numbers

FILTER_FIELDS = {"type", "section", "source", "year", "issue"}
MAX_QUERY_CHARS = 500
NUMBER_BOOST = 20.0
PIECES_BOOST = 0.5  # a word matched through its pieces ranks below the word itself
TYPE_CODES = {label: code for code, label in TYPE_LABELS.items()}


class UnknownFilterError(KbError):
    """A filter value the index does not know; `known` lists the ones it does."""

    exit_code = 2  # bad input, like a bad option

    def __init__(self, name, value, known):
        self.name, self.value, self.known = name, value, list(known)
        shown = "、".join(self.known[:40]) + ("…" if len(self.known) > 40 else "")
        super().__init__(f"未知的筛选值 {name}:{value}；可用的值：{shown}", field=name)


@dataclass(frozen=True)
class Unit:
    """One required part of a query word: matched when any alternative (an AND of tokens) matches."""

    label: str
    alternatives: tuple  # (tuple of tokens, ...); the first is the query's own cut
    pieces: tuple = ()  # dictionary pieces of a single long token, an extra, weaker alternative

    @property
    def tokens(self):
        return self.alternatives[0]


@dataclass
class ParsedQuery:
    must: list = field(default_factory=list)  # list of groups; a group is a list of alternatives
    must_not: list = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    numbers: list = field(default_factory=list)
    highlight: list = field(default_factory=list)
    loose: list = field(default_factory=list)  # loosely typed numbers: used only if the index has them
    dropped: list = field(default_factory=list)  # question words not required


_CLAUSE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def normalise(text):
    """The query text as the index reads text: folded, names typed with spaces joined."""
    return join_spaced(fold(text or "")[:MAX_QUERY_CHARS])


def with_typed_case(typed, text):
    """`text` (a suggestion made from the normalised query) with each word the user typed in
    another letter case only put back as typed: Dy and NdFeB stay as they were, not dy and ndfeb.
    Other folds (full width, traditional characters) stay folded."""
    typed_words = {}
    for word in (typed or "").split():
        typed_words.setdefault(word.lower(), word)
    out = []
    for word in text.split(" "):
        original = typed_words.get(word)
        out.append(original if original is not None and normalise(original) == word else word)
    return " ".join(out)


def _cut_out(text, numbers):
    for number in sorted(numbers, key=lambda n: -n.start):
        text = text[: number.start] + " " + text[number.end :]
    return text


def parse_query(text):
    """Split a typed query into number lookups, phrases, words, exclusions and filters."""
    text = normalise(text)
    parsed = ParsedQuery()
    numbers = parse_numbers(text)
    parsed.numbers.extend(numbers)
    text = _cut_out(text, numbers)
    bare = None if numbers else parse_bare_standard(text)
    if bare is not None:
        parsed.numbers.append(bare)
        text = ""
    loose = loose_numbers(text)
    parsed.loose.extend((number, text[number.start : number.end]) for number in loose)
    text = join_compounds(_cut_out(text, loose))  # after the numbers: 20220753-T-469 is no compound
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
    _drop_question_words(parsed)
    for group in parsed.must:
        for clause in group:
            parsed.highlight.extend(highlight_forms(clause))
    for number in parsed.numbers:
        parsed.highlight.append(number.canonical)
    return parsed


# Words that only say what kind of number follows (专利号117446850, 标准号 GB/T 4137): not required
# when the query holds a number, as an article quotes the number without them.
NUMBER_LABELS = frozenset(
    """
专利号 公开号 公告号 申请号 授权号 标准号 计划号 项目号 文号 发文字号 编号 号码
""".split()
)


def _drop_question_words(parsed):
    """Question words are not required, unless the query is nothing else; nor is a word that only
    labels the number beside it."""
    labels = NUMBER_LABELS if parsed.numbers or parsed.loose else frozenset()

    def content(clause):
        if clause[0] == "phrase":
            return True
        return clause[1] not in labels and any(t not in QUESTION_WORDS for t in query_words(clause[1]))

    if not any(content(c) for group in parsed.must for c in group) and not (parsed.numbers or parsed.loose):
        return
    kept = []
    for group in parsed.must:
        for clause in group:
            words = query_words(clause[1]) if clause[0] == "word" and clause[1] not in labels else []
            if any(w not in QUESTION_WORDS for w in words):
                parsed.dropped.extend(w for w in words if w in QUESTION_WORDS)
        clauses = [c for c in group if content(c)]
        for clause in group:
            if clause not in clauses:
                parsed.dropped.extend([clause[1]] if clause[1] in labels else query_words(clause[1]))
        if clauses:
            kept.append(clauses)
    parsed.must = kept


def highlight_forms(clause):
    """Every text a clause can match in an article: the word, its pieces, synonyms, other names."""
    out = [clause[1]]
    for unit in clause_units(clause):
        for alternative in unit.alternatives:
            out.append("".join(alternative))
            for token in alternative:
                out.extend(expand(token))
        out.extend(unit.pieces)
    return out


# ------------------------------------------------------------------ units and Whoosh queries


def pieces(token):
    """Dictionary pieces that cover a long token, as the index stacks them (稀土永磁 → 稀土, 永磁);
    () when they do not cover it.  A piece may overlap the one before by a character."""
    if len(token) < 3:
        return ()
    found = [p for p in index_terms(token, segmenter().has_word) if len(p) > 1]
    cover, at = [], 0
    while at < len(token):
        starts = [
            (start, p)
            for p in found
            for start in (at, at - 1)
            if start >= 0 and token.startswith(p, start) and start + len(p) > at
        ]
        if not starts:
            return ()
        start, piece = max(starts, key=lambda sp: sp[0] + len(sp[1]))
        cover.append(piece)
        at = start + len(piece)
    return tuple(cover) if len(cover) > 1 else ()


def clause_units(clause):
    """The units of one clause: each token, or a run of tokens that names a body in the table."""
    return list(_clause_units(tuple(clause), dictionary_generation()))


@functools.lru_cache(maxsize=4096)
def _clause_units(clause, generation):
    tokens = [t for t in query_words(clause[1]) if t not in QUESTION_WORDS] or query_words(clause[1])
    units, i = [], 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            name = "".join(tokens[i:j])
            others = other_forms(name)
            if others:
                alternatives = [tuple(tokens[i:j])] + [tuple(query_words(o)) for o in others]
                units.append(Unit(name, tuple(a for a in alternatives if a)))
                i = j
                break
        else:
            units.append(Unit(tokens[i], ((tokens[i],),), pieces(tokens[i])))
            i += 1
    return tuple(units)


def term_query(token, boost=1.0):
    alternatives = []
    for term in expand(token):
        alternatives += [Term("title", term, boost=2.0 * boost), Term("body", term, boost=boost)]
    return Or(alternatives)


def _and(parts):
    return parts[0] if len(parts) == 1 else And(parts)


def unit_query(unit, extra=(), with_pieces=True):
    """Any alternative of a unit (each an AND of its tokens), its pieces, and `extra` token tuples."""
    options = [_and([term_query(t) for t in alternative]) for alternative in (*unit.alternatives, *extra)]
    if unit.pieces and with_pieces:
        options.append(_and([term_query(t, PIECES_BOOST) for t in unit.pieces]))
    return options[0] if len(options) == 1 else Or(options)


def clause_query(clause, with_pieces=False):
    """A clause's Whoosh query; its words' pieces only when asked (the relaxed pass asks)."""
    kind, text = clause
    if kind == "phrase":
        tokens = query_words(text)
        if len(tokens) > 1:
            return Or([Phrase("title", tokens, boost=2.0), Phrase("body", tokens)])
    units = clause_units(clause)
    if not units:
        return None
    return _and([unit_query(u, with_pieces=with_pieces) for u in units])


def number_query(keys):
    """The number's keys that answer (the most specific typed one, or the fallbacks found)."""
    terms = [Term("numbers", key, boost=NUMBER_BOOST) for key in keys]
    return terms[0] if len(terms) == 1 else Or(terms)


def filter_values(parsed, request):
    """Filters of the query and the request together; type labels (政策) read as their codes."""
    filters = {}
    for source in (parsed.filters, request.filters or {}):
        for name, values in source.items():
            filters.setdefault(name, []).extend(values)
    if request.types:
        filters.setdefault("type", []).extend(request.types)
    if "type" in filters:
        filters["type"] = [TYPE_CODES.get(v, v) for v in filters["type"]]
    return {name: values for name, values in filters.items() if values}


def check_filters(filters, known):
    """UnknownFilterError for the first value not in `known` ({field: known values}, fields checked)."""
    for name, values in filters.items():
        if name not in known:
            continue
        for value in values:
            if value not in known[name]:
                shown = [
                    f"{v}（{TYPE_LABELS[v]}）" if name == "type" and v in TYPE_LABELS else v
                    for v in known[name]
                ]
                raise UnknownFilterError(name, value, shown)


def filter_query(filters):
    clauses = [Or([Term(name, value) for value in values]) for name, values in filters.items()]
    return And(clauses) if clauses else None


def build_query(parsed, request, number_keys=None):
    """ParsedQuery + request filters → (query, filter query or None).

    `number_keys` maps a number's position in parsed.numbers to the keys that answer for it; by
    default each number's most specific key."""
    musts = []
    for group in parsed.must:
        alternatives = [q for q in (clause_query(c) for c in group) if q is not None]
        if alternatives:
            musts.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
    if parsed.numbers:
        keys = number_keys or {}
        musts.append(
            Or([number_query(keys.get(i) or [max(n.keys, key=len)]) for i, n in enumerate(parsed.numbers)])
        )
    query = And(musts) if len(musts) > 1 else (musts[0] if musts else Every())
    excluded = [q for q in (clause_query(c) for c in parsed.must_not) if q is not None]
    if excluded:
        query = And([query, Not(Or(excluded))])
    return query, filter_query(filter_values(parsed, request))
