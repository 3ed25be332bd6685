"""The Whoosh schema, defined once."""

from collections import Counter
from pickle import dumps

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint

from kb.analysis import BigramAnalyzer, ChineseAnalyzer, pair_list, term_positions

FACETS = ("type", "section", "source", "issue", "year", "date")  # filter, facet and sort columns
NUMBER_LISTS = ("standards", "plan_numbers", "patents", "doc_numbers", "inventors")  # canonical, for display


class BigramField(TEXT):
    """Character bigrams, counted in C (re + Counter) rather than token by token: the field holds
    about as many tokens as there are Chinese characters.  Stable import path (pickled)."""

    def index(self, value, **kwargs):
        for gram, count in Counter(pair_list(value)).items():
            yield gram.encode("utf-8"), count, float(count), pack_uint(count)


class ChineseField(TEXT):
    """jieba words with positions (title, body): the postings Whoosh's TEXT field makes from
    ChineseTokenizer, built from kb.analysis.term_positions instead of one Token per term.
    Stable import path (pickled)."""

    def index(self, value, **kwargs):
        if not isinstance(value, str) or kwargs or type(self.format) is not Positions:
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for term, positions in term_positions(value).items():
            yield term.encode("utf-8"), len(positions), len(positions) * boost, _encode_positions(positions)


def _encode_positions(positions):
    """whoosh.formats.Positions.encode: the count, then the pickled deltas."""
    if len(positions) == 1:  # most terms of a passage occur once
        position = positions[0]
        value = _ONE_POSITION.get(position)
        if value is None:
            value = _ONE_POSITION[position] = pack_uint(1) + dumps([position], 2)
        return value
    gaps = [b - a for a, b in zip([0] + positions[:-1], positions, strict=False)]
    return pack_uint(len(positions)) + dumps(gaps, 2)


_ONE_POSITION = {}


def make_schema():
    analyzer = ChineseAnalyzer()
    fields = {
        "id": ID(stored=True, unique=True),
        "title": ChineseField(analyzer=analyzer, stored=True, field_boost=3.0),
        # not stored: content/ holds the text; a hit's body is read from its file (kb/hittext.py)
        "body": ChineseField(analyzer=analyzer),
        # character bigrams of title and body, for words cut differently and one-character typos;
        # no positions (only the fallback passes read it, as bags of pairs)
        "grams": BigramField(analyzer=BigramAnalyzer(), phrase=False),
        "numbers": KEYWORD(commas=True, lowercase=True),  # every number's search keys
        "meta": STORED(),
        # what `kb index update` compares with content/, read from columns without loading documents
        "path": ID(stored=True, sortable=True),
        "hash": ID(sortable=True),
        "stamp": ID(sortable=True),  # mtime_ns:size, so unchanged files are not even hashed
    }
    fields.update({name: ID(stored=True, sortable=True) for name in FACETS})
    fields.update({name: KEYWORD(commas=True, stored=True) for name in NUMBER_LISTS})
    return Schema(**fields)
