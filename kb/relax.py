"""When every word cannot match: the relaxed pass, "did you mean", and the proximity bonus.

Strict first (kb/search.py): every word must match.  Only when that finds nothing or very little,
`relaxed_scores` scores the documents that match *most* of the query's parts, as Elasticsearch's
`minimum_should_match` and Meilisearch's matching strategy do.  A part matches fully through its
words (synonyms, pieces, other names) and partly through the character bigrams it shares with the
article (the `grams` field), so a word cut differently or typed with one wrong character still
counts.  Documents are ranked by how much of the query they cover, then by score.

`suggest` looks for words of the index's own vocabulary one edit away from what was typed
(rapidfuzz), for "您是不是要找".  `proximity_factor` rewards query words found next to each other.
"""

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh.query import And, Or, Term

from kb.analysis import bigrams, expand, fold
from kb.query import clause_query, clause_units, unit_query

_ONE_HAN = re.compile(r"^[\u3400-\u9fff]$")
GRAM_WEIGHT = 0.3  # a bigram scores below a word
COMMON_GRAM_SHARE = 0.2  # bigrams in more than this share of the articles do not count
FEW = 3  # a strict answer with fewer hits than this is widened (queries of three parts or more)
RELAXED_LIMIT = 50  # a relaxed answer lists at most this many documents
PROXIMITY_TOP = 10  # the best hits reordered by the proximity bonus (a page: their text is read anyway)
BODY_CHARS = 30_000  # how much of a long body the proximity check reads


@dataclass
class Need:
    """One part of the query that a relaxed answer should cover."""

    label: str
    query: object  # Whoosh query of its words
    grams: tuple = ()  # its character bigrams, for partial matches
    corrected: str = ""  # the vocabulary word suggested for it, if any
    weight: float = 1.0  # 0 for a one-character word: scored, never required


def _weight(unit):
    """One Chinese character that names no element says little: it need not be covered."""
    label = unit.label
    return 0.0 if len(label) == 1 and _ONE_HAN.match(label) and len(expand(label)) == 1 else 1.0


def _and(queries):
    return queries[0] if len(queries) == 1 else And(queries)


@dataclass
class Relaxed:
    scores: dict = field(default_factory=dict)  # docnum -> score (ranked by coverage, then score)
    coverage: dict = field(default_factory=dict)  # docnum -> share of needs covered
    dropped: list = field(default_factory=list)  # labels the best document does not cover
    grams: list = field(default_factory=list)
    parts: int = 0  # how many parts the query has


def required_coverage(count):
    """How many of `count` parts a relaxed answer must cover: all but a third (at least one)."""
    return max(1.0 if count > 1 else 0.5, count - max(1, count // 3))


def _grams(text):
    return tuple(dict.fromkeys(gram for gram, _ in bigrams(text)))


def needs_of(parsed, number_queries, corrections):
    """The parts of a query: each unit of each plain word, each OR group, each number."""
    needs = []
    for group in parsed.must:
        if len(group) > 1:
            queries = [q for q in (clause_query(c, with_pieces=True) for c in group) if q is not None]
            if queries:
                needs.append(Need(" OR ".join(c[1] for c in group), Or(queries)))
            continue
        units = clause_units(("word", group[0][1]))
        i = 0
        while i < len(units):
            fixes = corrections.get(group[0][1], ())
            fix = next(((j, word) for (start, j, word) in fixes if start == i), None)
            if fix:
                j, word = fix
                label = "".join(u.label for u in units[i:j])
                typed = [unit_query(u) for u in units[i:j]]
                meant = [unit_query(u) for u in clause_units(("word", word))]  # pieces too
                needs.append(Need(label, Or([_and(typed), _and(meant)]), _grams(word), word))
                i = j
                continue
            unit = units[i]
            needs.append(Need(unit.label, unit_query(unit), _grams(unit.label), weight=_weight(unit)))
            i += 1
    for number, query in number_queries:
        needs.append(Need(number, query))
    return needs


def relaxed_scores(bulk, needs, allowed=None, excluded=()):
    """Documents covering enough of `needs`, with their scores and coverage; None when no need.
    `allowed` (hits of the filters, or None) and `excluded` (hits of the NOT clauses) limit them."""
    if not needs:
        return None
    size = bulk.doc_count
    coverage, score = np.zeros(size), np.zeros(size)  # dense over the index: vector operations
    per_need = []
    searcher = bulk.searcher
    common = max(50, searcher.doc_count() * COMMON_GRAM_SHARE)
    for need in needs:
        words = bulk.scores(need.query)
        in_words = np.zeros(size, dtype=bool)
        in_words[words.docs] = True
        partial, gram_score = np.zeros(size), np.zeros(size)
        # a pair found in a large share of the articles is no evidence: left out (and cheap to skip)
        grams = [
            g
            for g in need.grams
            if "grams" in searcher.schema  # (an index built before the field)
            and searcher.doc_frequency("grams", g) <= common
        ]
        need.grams = tuple(grams)
        for gram in grams:
            hits = bulk.scores(Term("grams", gram))
            outside = ~in_words[hits.docs]
            partial[hits.docs[outside]] += 1
            gram_score[hits.docs[outside]] += hits.scores[outside]
        coverage[words.docs] += need.weight
        score[words.docs] += words.scores
        if need.grams:
            share = need.weight / len(need.grams)
            touched = np.flatnonzero(partial)
            coverage[touched] += partial[touched] * share
            score[touched] += GRAM_WEIGHT * gram_score[touched]
        per_need.append((in_words, partial))
    least = required_coverage(sum(need.weight for need in needs) or len(needs))
    eligible = coverage >= least - 1e-9
    for hits in excluded:
        eligible[hits.docs] = False
    if allowed is not None:
        inside = np.zeros(size, dtype=bool)
        inside[allowed.docs] = True
        eligible &= inside
    result = Relaxed(parts=len(needs))
    docs = np.flatnonzero(eligible)
    if not len(docs):
        return result
    cover = coverage[docs]
    near = cover >= cover.max() - 1.0 - 1e-9  # within one part of the best
    docs, cover = docs[near], cover[near]
    # coverage first (in quarter steps), then score: one number that sorts both ways
    top = score[docs].max() or 1.0
    ranked = np.round(cover * 4) * top * 10 + score[docs]
    order = np.lexsort((docs, -ranked))[:RELAXED_LIMIT]
    result.scores = dict(zip(docs[order].tolist(), ranked[order].tolist(), strict=True))
    result.coverage = dict(zip(docs[order].tolist(), cover[order].tolist(), strict=True))
    best = int(docs[order[0]])
    for need, (in_words, partial) in zip(needs, per_need, strict=True):
        if need.weight and not in_words[best] and not (need.grams and partial[best] >= len(need.grams)):
            result.dropped.append(need.label)
    result.grams = [g for need in needs for g in need.grams]
    return result


# ------------------------------------------------------------------ did you mean


class Vocabulary:
    """The words of an index's titles and bodies, bucketed by length, for suggestions."""

    def __init__(self, searcher):
        self.searcher = searcher
        words = set()
        reader = searcher.reader()
        for name in ("title", "body"):
            if name in searcher.schema:
                words.update(t.decode("utf-8") for t in reader.lexicon(name))
        self.words = words
        self.by_length = defaultdict(list)
        self.pairs = defaultdict(list)  # two-character words by their first ("a") and second ("b") character
        self.by_char = defaultdict(list)  # the words of by_length under each character they hold
        for word in sorted(words):
            if len(word) >= 2 and not word.isdigit():
                self.by_length[len(word)].append(word)
                for char in set(word):
                    self.by_char[char].append(word)
            if len(word) == 2:
                self.pairs[("a", word[0])].append(word)
                self.pairs[("b", word[1])].append(word)
        sounds_alike("稀土", "稀土")  # loads the pinyin tables now, not on the first suggestion

    def _choices(self, word, limit):
        """The words of length len(word) ± limit that may lie within `limit` edits of it, in the
        order of by_length (length, then word).  Each edit changes one character, so such a word
        keeps at least one of any limit + 1 characters of `word`: only the words holding one of
        its first limit + 1 characters are compared (a few hundred, not the whole vocabulary)."""
        low, high = len(word) - limit, len(word) + limit
        pool = set()
        for char in set(word[: limit + 1]):
            pool.update(self.by_char.get(char, ()))
        return sorted((w for w in pool if low <= len(w) <= high), key=lambda w: (len(w), w))

    def known(self, word):
        return any(form in self.words for form in expand(word))

    def candidates(self, word, count=20):
        """Vocabulary words one edit away (two for long words), nearest first, then most used."""
        limit = 1 if len(word) < 7 else 2
        if len(word) == 2:  # two characters: keep one of them in place (矿删 → 矿山, not 删除)
            choices = self.pairs.get(("a", word[0]), []) + self.pairs.get(("b", word[1]), [])
        else:
            choices = self._choices(word, limit)
        found = process.extract(word, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=count)
        freq = self.searcher.doc_frequency
        found.sort(
            key=lambda f: (
                f[1],
                not (sounds_alike(word, f[0]) or looks_alike(word, f[0])),
                -freq("body", f[0]) - freq("title", f[0]),
                f[0],
            )
        )
        return [w for w, _, _ in found if w != word]

    def closest(self, word):
        found = self.candidates(word)
        return found[0] if found else None


# Characters people (and character recognition) take for one another by their shape: a typo within
# a group is as likely as a slip of the pinyin input method (稀士 for 稀土, 己经 for 已经).
LOOK_ALIKE_GROUPS = (
    "土士",
    "己已巳",
    "未末",
    "日曰",
    "人入八",
    "干千于",
    "刀力",
    "大太犬",
    "王玉主",
    "木本术",
    "贝见",
    "折拆",
    "戊戌戍",
    "甲申由",
    "旦且",
    "候侯",
    "即既",
    "辨辩辫",
    "冶治",
    "钻钴",
    "拨拔",
    "徽微",
    "幸辛",
    "衰哀",
    "师帅",
    "免兔",
    "鸟乌",
    "汩汨",
)
_LOOK_ALIKE = {char: group for group in LOOK_ALIKE_GROUPS for char in group}


def looks_alike(typed, word):
    """True when the two differ only in characters of one look-alike group each (稀士 / 稀土)."""
    if len(typed) != len(word) or typed == word:
        return False
    return all(a == b or b in _LOOK_ALIKE.get(a, "") for a, b in zip(typed, word, strict=True))


def sounds_alike(typed, word):
    """True when the two read the same in pinyin (tones aside): the usual slip of a pinyin input
    method (钕铁朋 for 钕铁硼, 矿删 for 矿山)."""
    return len(typed) == len(word) and _pinyin(typed) == _pinyin(word)


@functools.lru_cache(maxsize=16384)
def _pinyin(text):
    from pypinyin import lazy_pinyin  # loaded on the first suggestion only

    return tuple(lazy_pinyin(text))


def suggest(vocabulary, parsed, together=None):
    """{clause text: [(first unit, end unit, word)]} for runs of units with an unknown word whose
    joined text is one edit from a vocabulary word, and the corrected query text (or "").

    A run longer than one unit takes the most used such word (钕 铁朋 → 钕铁硼); one unknown word
    alone takes the candidate found most often with the query's other words (`together(word,
    others)` counts those documents): 江西 绿色 矿删 → 矿山."""
    corrections, text = {}, []
    known_words = [
        u.label
        for group in parsed.must
        for kind, clause in group
        for u in clause_units((kind, clause))
        if vocabulary.known(u.label)
    ]
    for group in parsed.must:
        alternatives = []
        for kind, clause in group:
            units = clause_units((kind, clause))
            fixes, taken = [], set()
            unknown = [not vocabulary.known(u.label) and len(u.alternatives) == 1 for u in units]
            spans = sorted(
                (
                    (i, j)
                    for i in range(len(units))
                    for j in range(i + 1, min(len(units), i + 3) + 1)
                    if any(unknown[i:j])
                ),
                key=lambda s: (s[0] - s[1], s[0]),
            )
            for i, j in spans:
                joined = "".join(u.label for u in units[i:j])
                if taken & set(range(i, j)) or not 3 <= len(joined) <= 12 or vocabulary.known(joined):
                    continue
                word = vocabulary.closest(joined)
                if word and word != joined:
                    fixes.append((i, j, word))
                    taken |= set(range(i, j))
            # one unknown word (or two single characters, 材 廖) alone: the candidate found most
            # often with the query's other words
            short = [(i, i + 1) for i in range(len(units))] + [(i, i + 2) for i in range(len(units) - 1)]
            for i, j in short:
                typed = "".join(u.label for u in units[i:j])
                if (
                    together is None
                    or taken & set(range(i, j))
                    or not any(unknown[i:j])
                    or not 2 <= len(typed) <= 6
                    or (j - i == 2 and len(typed) != 2)
                ):
                    continue
                others = [w for w in known_words if w not in {u.label for u in units[i:j]}]
                scored = [
                    (sounds_alike(typed, word) or looks_alike(typed, word), together(word, others), word)
                    for word in vocabulary.candidates(typed, 30)
                ]
                # two characters with one changed are a typo only when they sound or look alike
                scored = [row for row in scored if row[1] > 0 and (row[0] or len(typed) > 2)]
                if scored:
                    fixes.append((i, j, max(scored, key=lambda row: row[:2])[2]))
                    taken |= set(range(i, j))
            if fixes:
                corrections[clause] = sorted(fixes)
                labels, i = [], 0
                for start, end, word in sorted(fixes):
                    labels += [u.label for u in units[i:start]] + [word]
                    i = end
                labels += [u.label for u in units[i:]]
                alternatives.append(_clause_text(kind, "".join(labels)))
            else:
                alternatives.append(_clause_text(kind, clause))
        text.append(" OR ".join(alternatives))
    if not corrections:
        return corrections, ""
    # the whole query again, so that following the suggestion keeps its numbers, exclusions and filters
    text = [n.canonical for n in parsed.numbers] + text
    text += ["-" + _clause_text(kind, clause) for kind, clause in parsed.must_not]
    text += [f"{name}:{value}" for name, values in parsed.filters.items() for value in values]
    return corrections, " ".join(text)


def _clause_text(kind, clause):
    return f'"{clause}"' if kind == "phrase" else clause


# ------------------------------------------------------------------ proximity


def sequences(parsed):
    """Token runs of the query's plain words, in order, for the proximity bonus."""
    runs = []
    for group in parsed.must:
        if len(group) == 1:
            runs.append([u.label for u in clause_units(group[0])])
    return [run for run in runs if run]


def proximity_factor(title, body, runs):
    """1 + a bonus for query words that stand next to each other: the whole query in the title
    (a title copied as the query), pairs of neighbouring words in the title, then in the body."""
    tokens = [t for run in runs for t in run]
    if len(tokens) < 2:
        return 1.0
    title = re.sub(r"\s+", "", fold(title or ""))
    body = (body or "")[:BODY_CHARS].lower()  # not folded: too slow on long bodies, rarely needed
    whole = "".join(tokens)
    bonus = 0.0
    if whole in title or (len(title) >= 6 and title in whole):
        bonus += 1.0
    pairs = [a + b for run in runs for a, b in pairwise(run)]
    pairs += [a[-1] + b[0] for a, b in pairwise(runs)]  # the words around a space typed between
    if pairs:
        bonus += 0.5 * sum(p in title for p in pairs) / len(pairs)
        bonus += 0.3 * sum(p in body for p in pairs) / len(pairs)
    return 1.0 + bonus


def rerank(ranked, fields_of, runs, top=PROXIMITY_TOP):
    """`ranked` [(doc, score)] with the first `top` reordered by score × proximity factor."""
    if not runs or sum(len(r) for r in runs) < 2 or len(ranked) < 2:
        return ranked
    head = []
    for doc, score in ranked[:top]:
        fields = fields_of(doc)
        head.append((doc, (score or 0.0) * proximity_factor(fields.get("title"), fields.get("body"), runs)))
    head.sort(key=lambda pair: (-pair[1], pair[0]))
    return head + ranked[top:]
