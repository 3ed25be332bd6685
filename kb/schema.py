"""The Whoosh schema, defined once."""

from collections import Counter

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.system import pack_uint

from kb.analysis import BigramAnalyzer, ChineseAnalyzer, pair_list

FACETS = ("type", "section", "source", "issue", "year", "date")  # filter, facet and sort columns
NUMBER_LISTS = ("standards", "plan_numbers", "patents", "doc_numbers", "inventors")  # canonical, for display


class BigramField(TEXT):
    """Character bigrams, counted in C (re + Counter) rather than token by token: the field holds
    about as many tokens as there are Chinese characters.  Stable import path (pickled)."""

    def index(self, value, **kwargs):
        for gram, count in Counter(pair_list(value)).items():
            yield gram.encode("utf-8"), count, float(count), pack_uint(count)


def make_schema():
    analyzer = ChineseAnalyzer()
    fields = {
        "id": ID(stored=True, unique=True),
        "title": TEXT(analyzer=analyzer, stored=True, field_boost=3.0),
        "body": TEXT(analyzer=analyzer, stored=True),
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
