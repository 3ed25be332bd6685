"""What `kb index update` compares (hash, stamp) is kept as columns only, not as searchable terms."""

from kb.engine import column_values
from kb.indexer import update
from kb.search import Searcher


def test_hash_and_stamp_are_columns_without_terms_and_update_still_reads_them(built):
    searcher = Searcher.open(built).current()
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        indexed = set(reader.indexed_field_names())
        assert "hash" not in indexed and "stamp" not in indexed
        assert "path" in indexed  # an update replaces and removes documents by their path's term
        hashes, stamps = column_values(reader, "hash"), column_values(reader, "stamp")
        assert all(len(h) == 40 and set(h) <= set("0123456789abcdef") for h in hashes if h)
        assert all(len(stamp) == 2 and all(isinstance(n, int) for n in stamp) for stamp in stamps if stamp)
        assert sum(1 for h in hashes if h) == reader.doc_count()
    assert update(built)["updated"] == 0  # nothing changed: every stamp and hash was read and matched
