"""The sector's laws: selection rule, front matter from the files' own headers, validity."""

import io
import tarfile

import pytest
from conftest import CONTENT

from kb.content import iter_articles
from kb.laws import DEFAULT_ARCHIVE, main, read_corpus, select

FILES = {
    "laws/行政法规/稀土管理条例(2024-06-22).md": "# 稀土管理条例\n\n<!-- INFO END -->\n\n第一条 为有效保护稀土资源，制定本条例。\n\n"
    "第三十二条 本条例自2024年10月1日起施行。\n",
    "laws/经济法/矿产资源法(2009-08-27).md": "# 中华人民共和国矿产资源法\n\n1986年3月19日 第六届全国人民代表大会常务委员会第十五次会议通过\n\n"
    "2009年8月27日 第十一届全国人民代表大会常务委员会第十次会议第二次修正\n\n<!-- INFO END -->\n\n"
    "第一条 为了发展矿业。\n\n第五十三条 本法自1986年10月1日施行。\n",
    "laws/经济法/矿产资源法(2024-11-08).md": "# 中华人民共和国矿产资源法\n\n2024年11月8日 第十四届全国人民代表大会常务委员会第十二次会议修订\n\n"
    "<!-- INFO END -->\n\n第一条 为了促进矿产资源合理开发利用。\n\n第八十条 本法自2025年7月1日起施行。\n",
    "laws/行政法规/某矿开采办法(2001-01-01).md": "# 某矿开采办法\n\n2001年1月1日 中华人民共和国国务院令第1号发布\n\n<!-- INFO END -->\n\n"
    "第一条 根据《中华人民共和国矿产资源法》，制定本办法。\n\n第九条 本办法自发布之日起施行。\n",
    "laws/行政法规/旧矿产资源管理办法(1990-01-01).md": "# 旧矿产资源管理办法\n\n1990年1月1日 国务院发布\n\n<!-- INFO END -->\n\n第一条 为了管理。\n",
    "laws/行政法规/新办法(1999-01-01).md": "# 新办法\n\n1999年1月1日 国务院发布\n\n<!-- INFO END -->\n\n第一条 为了管理。\n\n"
    "第九条 本办法自发布之日起施行，《旧矿产资源管理办法》同时废止。\n",
    "laws/行政法规/道路运输条例(2004-04-30).md": "# 道路运输条例\n\n<!-- INFO END -->\n\n第一条 为了规范道路运输。\n",
    "laws/DLC/某省地方法规/地方性法规/某省/某省矿产资源管理条例(2020-06-05).md": "# 某省矿产资源管理条例\n\n<!-- INFO END -->\n\n第一条 为了管理稀土。\n",
    "laws/部门规章/某部/稀土指标管理办法(2012-01-01).md": "# 稀土指标管理办法\n\n<!-- INFO END -->\n\n第一条 为了管理稀土。\n",
    "laws/行政法规/_index.md": "---\nbookCollapseSection: true\n---\n",
}


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "laws.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        for name, text in FILES.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_only_national_texts_on_the_sector_are_selected(archive):
    corpus = read_corpus(archive)
    chosen = {law.title: reason for law, reason in select(corpus)}
    assert chosen == {
        "稀土管理条例": "标题含“稀土”",
        "中华人民共和国矿产资源法": "标题含“矿产资源”",
        "某矿开采办法": "依据矿产资源法制定",
        "旧矿产资源管理办法": "标题含“矿产资源”",
    }
    assert len([law for law, _ in select(corpus) if "矿产资源法" in law.title]) == 2  # both versions


def test_laws_land_in_documents_with_issuer_dates_and_validity(archive, tmp_path):
    assert main([str(archive), "--content", str(tmp_path / "content")]) == 0
    docs = {(a.title, a.published): a for a in iter_articles(tmp_path / "content")}
    assert all(a.path.startswith(str(tmp_path / "content" / "documents")) for a in docs.values())
    rare = docs[("稀土管理条例", "2024-06-22")]
    assert (rare.issuer, rare.effective, rare.validity, rare.date, rare.type, rare.section) == (
        "国务院",
        "2024-10-01",
        "有效",
        "2024-06-22",
        "policy",
        "行政法规",
    )
    old = docs[("中华人民共和国矿产资源法", "2009-08-27")]
    new = docs[("中华人民共和国矿产资源法", "2024-11-08")]
    assert (old.issuer, old.effective, old.validity) == ("全国人民代表大会常务委员会", "1986-10-01", "已修改")
    assert (new.effective, new.validity) == ("2025-07-01", "有效") and old.id != new.id
    assert docs[("某矿开采办法", "2001-01-01")].effective == "2001-01-01"  # 自发布之日起施行
    assert docs[("旧矿产资源管理办法", "1990-01-01")].validity == "已废止"
    assert "INFO END" not in rare.body
    again = main([str(archive), "--content", str(tmp_path / "content")])
    assert again == 0 and len(docs) == len(list(iter_articles(tmp_path / "content")))


def test_a_missing_archive_is_a_clear_message(tmp_path, capsys):
    assert main([str(tmp_path / "nope.tar.xz"), "--content", str(tmp_path)]) == 1
    assert "找不到法规语料" in capsys.readouterr().err


@pytest.mark.skipif(not DEFAULT_ARCHIVE.is_file(), reason="../shared/corpora/laws.tar.xz is not here")
def test_the_shipped_documents_are_the_corpus_selection():
    chosen = {(law.title, law.name_date) for law, _ in select(read_corpus(DEFAULT_ARCHIVE))}
    titles = {title for title, _ in chosen}
    assert {
        "稀土管理条例",
        "中华人民共和国矿产资源法",
        "中华人民共和国矿产资源法实施细则",
        "矿产资源开采登记管理办法",
        "矿产资源勘查区块登记管理办法",
    } <= titles
    assert len(chosen) <= 30
    shipped = {a.title for a in iter_articles(CONTENT / "documents") if a.issuer}
    assert titles <= shipped


def test_shipped_content_has_no_issue_named_after_a_file():
    folders = {p.name for p in CONTENT.iterdir() if p.is_dir()}
    assert folders and all(name == "documents" or name[:4].isdigit() and name[4] == "-" for name in folders)
