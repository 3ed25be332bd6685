"""Stored fields compressed a block of documents at a time.

whoosh3 keeps each document's stored fields as a zlib stream of its own (a PickleColumn over a
CompressedBytesColumn).  A document's pickle is a few hundred bytes, mostly the same key names
and values much like its neighbours', and deflate on its own finds little to share: at 145,000
passages that is about 280 bytes a document, a quarter of the index.  Here consecutive documents
share one zlib stream, as Lucene's stored fields share a compressed chunk: the pickles go into
kb's block text column (kb/engine/blocktext.py), BLOCK_DOCS documents a block, and the same passages
take about 30 bytes each.  Reading one document inflates its block (a few KB, about as long as
unpickling the document takes); the last block read is kept, so reading documents in order
(all_stored_fields, a merge) inflates each block once.
"""

from whoosh.codec.whoosh3 import W3PerDocReader, W3PerDocWriter
from whoosh.columns import PickleColumn

from kb.engine.blocktext import BlockTextColumn

BLOCK_DOCS = 16  # a hit inflates one block: a few KB, not the path column's 128 documents

STORED = PickleColumn(BlockTextColumn(block_docs=BLOCK_DOCS))


class BlockStoredPerDocWriter(W3PerDocWriter):
    """whoosh3's per-document writer with the stored fields in blocks (STORED)."""

    def _create_column(self, fieldname, column):
        super()._create_column(fieldname, STORED if fieldname == "_stored" else column)


class BlockStoredPerDocReader(W3PerDocReader):
    """whoosh3's per-document reader of a segment whose stored fields are in blocks (STORED)."""

    def stored_fields(self, docnum):
        reader = self._cached_reader("_stored", STORED)
        value = reader[docnum] if reader is not None else None
        return {} if value is None else value
