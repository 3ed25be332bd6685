"""Chinese analysis for Whoosh: jieba segmentation with real token positions.

Stable import path: Whoosh pickles the analyzer into the index, so moving or
renaming these classes breaks existing indexes.

At index time each jieba word gets the next position; its search-mode
sub-words (稀土永磁 → 稀土, 永磁) and the element characters inside it
(氧化镝 → 镝) share that position, so both 钕铁硼 and 永磁体 find 钕铁硼永磁体
and phrases still line up.  Text is folded first: full width to half width,
lower case, traditional characters to simplified (OpenCC t2s, where it keeps
the length, so offsets hold).  One-letter Latin tokens are kept: element
symbols matter here.

`BigramTokenizer` feeds the `grams` field: overlapping character pairs of
every run of Chinese characters, so a word cut differently, or typed with one
wrong character, still shares most of its pairs with the article.
"""

import functools
import re
import threading
import unicodedata
from pathlib import Path

import opencc
from whoosh.analysis import Token, Tokenizer

from kb import segment
from kb.elements import OXIDES, RARE_EARTHS

USERDICT = Path(__file__).with_name("data") / "userdict.txt"
ELEMENTS = {char: symbol.lower() for char, symbol in RARE_EARTHS.items()}
SYNONYMS = {
    "钕铁硼": ["ndfeb"],
    "ndfeb": ["钕铁硼"],
    "镨钕": ["prnd", "ndpr"],
    "prnd": ["镨钕", "ndpr"],
    "ndpr": ["镨钕", "prnd"],
    "稀土": ["re", "ree"],
    "re": ["稀土"],
    "ree": ["稀土"],
    "工信部": ["工业和信息化部"],
    "工业和信息化部": ["工信部"],
    "国家标准委": ["国家标准化管理委员会"],
    "国家标准化管理委员会": ["国家标准委"],
}
# Other elements this field names: query synonyms only (not stacked at index time: 金, 铁, 铜 … sit
# inside too many ordinary words).
OTHER_ELEMENTS = {
    "铁": "fe",
    "钴": "co",
    "镍": "ni",
    "铜": "cu",
    "铂": "pt",
    "钯": "pd",
    "铑": "rh",
    "钛": "ti",
    "锆": "zr",
    "铌": "nb",
    "钽": "ta",
    "钨": "w",
    "钼": "mo",
    "硼": "b",
    "镓": "ga",
    "锗": "ge",
    "铟": "in",
    "铝": "al",
    "锌": "zn",
    "锰": "mn",
    "铬": "cr",
    "钒": "v",
    "锂": "li",
    "钍": "th",
    "铀": "u",
    "锶": "sr",
    "钡": "ba",
    "铋": "bi",
    "锑": "sb",
    "镁": "mg",
    "钙": "ca",
    "硅": "si",
}
for _char, _symbol in (*ELEMENTS.items(), *OTHER_ELEMENTS.items()):
    SYNONYMS.setdefault(_char, []).append(_symbol)
    SYNONYMS.setdefault(_symbol, []).append(_char)
for _char, _formula in OXIDES.items():  # Dy2O3 finds 氧化镝 and the other way round
    SYNONYMS.setdefault("氧化" + _char, []).append(_formula.lower())
    SYNONYMS.setdefault(_formula.lower(), []).append("氧化" + _char)
# Words that make a query a question but name nothing an article contains: not required.
QUESTION_WORDS = frozenset(
    """
怎么样 怎么 怎样 如何 多少 什么 啥 哪些 哪个 哪家 哪里 哪儿 为什么 为何 是否 是不是
有没有 有哪些 是什么 有什么
吗 呢 吧 啊 呀 么 的 了 有 是 请问 一下 最近 最新 近期 目前 现在 情况 相关 有关 关于
""".split()
)

_SKIP = re.compile(r"^[\W_]+$")
_COMPOUND = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_lock = threading.Lock()
_segmenter = None
_extra_dicts = set()
_terms = {}
_generation = []  # one entry per dictionary added after loading: caches of cut words key on its length
TERMS_CACHE_SIZE = 500_000


_converters = threading.local()
_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")


def to_simplified(text):
    """Traditional characters to simplified (OpenCC t2s); the text unchanged if that changed its length."""
    if not _HAN_CHAR.search(text):
        return text
    converter = getattr(_converters, "t2s", None)
    if converter is None:
        converter = _converters.t2s = opencc.OpenCC("t2s")
    simplified = converter.convert(text)
    return simplified if len(simplified) == len(text) else text


@functools.lru_cache(maxsize=4096)
def to_traditional(term):
    """A query term in traditional characters (OpenCC s2t), to mark articles written in them."""
    if not _HAN_CHAR.search(term):
        return term
    converter = getattr(_converters, "s2t", None)
    if converter is None:
        converter = _converters.s2t = opencc.OpenCC("s2t")
    return converter.convert(term)


def fold(text):
    """Full width to half width, lower case, traditional to simplified."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def segmenter(userdict=None):
    """The process-wide segmenter with the domain dictionary (and `userdict`), loaded once."""
    global _segmenter
    with _lock:
        if _segmenter is None:
            _segmenter = segment.load(segment.best_engine(), [USERDICT])
        if userdict and str(userdict) not in _extra_dicts and Path(userdict).is_file():
            _segmenter.add_dict(userdict)
            _extra_dicts.add(str(userdict))
            _terms.clear()
            _generation.append(userdict)
        return _segmenter


def dictionary_generation():
    """Changes whenever a user dictionary is added, so caches of cut words know to start again."""
    return len(_generation)


def is_word(token):
    """False for whitespace and punctuation, which are not indexed."""
    return bool(token.strip()) and not _SKIP.match(token)


def words(text):
    """Base jieba words of folded text with their start offsets (no sub-words)."""
    for word, start, _ in segmenter().tokenize(text):
        if is_word(word):
            yield word, start


def stacked_terms(word):
    """The terms indexed at one word's position: the word, then its sub-words; () for punctuation.

    Memoised: a corpus repeats a few tens of thousands of words millions of times.
    """
    terms = _terms.get(word)
    if terms is None:
        terms = (word, *index_terms(word, segmenter().has_word)) if is_word(word) else ()
        if len(_terms) >= TERMS_CACHE_SIZE:
            _terms.clear()
        _terms[word] = terms
    return terms


def index_terms(word, has_word):
    """Extra terms that share a base word's position: search-mode sub-words and element characters."""
    extra = []
    n = len(word)
    if n > 2:
        for size in (2, 3):
            if n <= size:
                continue
            for i in range(n - size + 1):
                gram = word[i : i + size]
                if gram not in extra and has_word(gram):
                    extra.append(gram)
    if n > 1:
        extra.extend(ch for ch in word if ch in ELEMENTS and ch not in extra)
    return extra


class ChineseTokenizer(Tokenizer):
    """jieba words with sequential positions and char offsets; sub-words stacked in index mode."""

    def __init__(self, subwords=True):
        self.subwords = subwords

    def __eq__(self, other):
        return type(other) is type(self) and other.subwords == self.subwords

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        text = fold(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = text
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        stack = self.subwords and mode != "query"
        pos = start_pos
        for word, start, end in segmenter().tokenize(text):
            if stack:
                terms = stacked_terms(word)
            elif is_word(word):
                terms = (word,)
            else:
                continue
            for term in terms:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = term
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + start
                    token.endchar = start_char + end
                yield token
            if terms:
                pos += 1
        if stack:
            for match in _COMPOUND.finditer(text):
                token.text = match.group(0).replace("-", "")
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = start_char + match.start(), start_char + match.end()
                yield token
                pos += 1


def term_positions(value):
    """{term: [positions]} of `value` exactly as ChineseTokenizer indexes it (index mode, sub-words
    stacked), without a Token object per term: what the index's word fields store."""
    text = fold(value)
    out = {}
    cache = _terms
    pos = 0
    for word in segmenter().words(text):
        terms = cache.get(word)
        if terms is None:
            terms = stacked_terms(word)
        if not terms:
            continue
        for term in terms:
            found = out.get(term)
            if found is None:
                out[term] = [pos]
            else:
                found.append(pos)
        pos += 1
    for match in _COMPOUND.finditer(text):
        term = match.group(0).replace("-", "")
        out.setdefault(term, []).append(pos)
        pos += 1
    return out


def ChineseAnalyzer(subwords=True):
    return ChineseTokenizer(subwords=subwords)


_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


def bigrams(text):
    """Overlapping pairs of Chinese characters of folded `text`, with their start offsets."""
    for run in _CJK_RUN.finditer(text):
        chars = run.group(0)
        for i in range(len(chars) - 1):
            yield chars[i : i + 2], run.start() + i


_PAIRS = re.compile(r"(?=([\u3400-\u9fff]{2}))")


def pair_list(text):
    """The bigrams of `bigrams(text)` as a plain list, found in C: what the index stores."""
    return _PAIRS.findall(fold(text))


class BigramTokenizer(Tokenizer):
    """Character bigrams of every run of Chinese characters (the `grams` field)."""

    def __eq__(self, other):
        return type(other) is type(self)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (gram, start) in enumerate(bigrams(fold(value)), start=start_pos):
            token.text = gram
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = gram
            if positions:
                token.pos = pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + start + 2
            yield token


def BigramAnalyzer():
    return BigramTokenizer()


def join_compounds(text):
    """`nd-fe-b` → `ndfeb`, as the index joins it; runs of digits only (`2016-2020`) stay apart."""
    return _COMPOUND.sub(
        lambda m: m.group(0).replace("-", "") if re.search(r"[a-z]", m.group(0)) else m.group(0), text
    )


def query_words(text):
    """What one query word is split into: base jieba words, folded."""
    return [word for word, _ in words(fold(text))]


def expand(term):
    """A query term and its synonyms (element names and symbols, NdFeB, PrNd, …)."""
    return [term] + [s for s in SYNONYMS.get(term, []) if s != term]
