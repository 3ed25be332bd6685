"""The Whoosh schema, defined once."""

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from kb.analysis import ChineseAnalyzer


def make_schema():
    analyzer = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=3.0),
        body=TEXT(analyzer=analyzer, stored=True),
        type=ID(stored=True, sortable=True),
        section=ID(stored=True, sortable=True),
        source=ID(stored=True, sortable=True),
        issue=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        numbers=KEYWORD(commas=True, lowercase=True),
        standards=KEYWORD(commas=True, stored=True),
        plan_numbers=KEYWORD(commas=True, stored=True),
        patents=KEYWORD(commas=True, stored=True),
        doc_numbers=KEYWORD(commas=True, stored=True),
        inventors=KEYWORD(commas=True, stored=True),
        meta=STORED(),
        path=STORED(),
        hash=STORED(),
    )
