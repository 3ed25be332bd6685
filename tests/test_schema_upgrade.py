"""An index built before the `grams` field still answers, and `kb index update` rebuilds it whole."""

import shutil

from conftest import CONTENT, make_config

from kb import indexer
from kb.schema import make_schema
from kb.search import Searcher, SearchRequest


def test_an_index_without_the_bigram_field_answers_and_update_rebuilds_it(tmp_path, monkeypatch):
    config = make_config(tmp_path)
    shutil.copytree(CONTENT, config.content_dir)

    def old_schema():
        schema = make_schema()
        schema.remove("grams")
        return schema

    def old_document(article, to_document=indexer.to_document):
        document = to_document(article)
        document.pop("grams")
        return document

    with monkeypatch.context() as patch:
        patch.setattr(indexer, "make_schema", old_schema)
        patch.setattr(indexer, "to_document", old_document)
        indexer.rebuild(config)
    old = Searcher.open(config)
    assert "grams" not in old.current().schema
    page = old.search(SearchRequest(q="钕铁朋 热变形"))  # the relaxed pass without its field
    assert page.suggestion == "钕铁硼 热变形" and page.hits

    indexer.update(config)
    assert "grams" in Searcher.open(config).current().schema
