"""What a careful editor looks at before an issue is written: one flag list per article.

| code               | 提示           | when                                                           |
| ------------------ | -------------- | -------------------------------------------------------------- |
| `suspicious_title` | 标题可疑       | only digits or punctuation, starts with a closing quote or     |
|                    |                | bracket, closes a quote it never opened (`手锏”技术`), or is    |
|                    |                | shorter than four characters                                   |
| `no_source`        | 无来源行       | the article does not end with a （来源：…） line                |
| `no_section`       | 无栏目         | no section, in an issue where other articles have one          |
| `date_from_issue`  | 日期取自期号   | the article gives no date of its own                           |
| `merged_duplicate` | 同名文章已合并 | a second article with the same title was joined to this one    |
"""

import unicodedata

FLAGS = {
    "suspicious_title": "标题可疑",
    "no_source": "无来源行",
    "no_section": "无栏目",
    "date_from_issue": "日期取自期号",
    "merged_duplicate": "同名文章已合并",
}
CLOSING = "”’」』）)】〕》>,，.。、;；:：!！?？"
MIN_TITLE = 4
PAIRS = ("“”", "‘’", "《》", "（）", "()", "【】", "「」", "『』", "〔〕")


def suspicious_title(title):
    """The reason a title looks like a cutting mistake, or None."""
    text = unicodedata.normalize("NFKC", title or "").strip()
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "只有数字或标点"
    if text[0] in CLOSING or (title or "").strip()[:1] in CLOSING:
        return "以右引号或右括号开头"
    for opening, closing in PAIRS:
        depth = 0
        for ch in title:
            depth += (ch == opening) - (ch == closing)
            if depth < 0:
                return "引号或括号不成对"
    if len(text.replace(" ", "")) < MIN_TITLE:
        return "少于四个字"
    return None


def article_flags(article, has_source, issue_has_sections, merged=False):
    """Flag codes for one article, in the order of FLAGS."""
    flags = []
    if suspicious_title(article.title):
        flags.append("suspicious_title")
    if not has_source:
        flags.append("no_source")
    if issue_has_sections and not article.section:
        flags.append("no_section")
    if article.date_from == "issue":
        flags.append("date_from_issue")
    if merged:
        flags.append("merged_duplicate")
    return flags


def flag_labels(codes):
    return [FLAGS.get(code, code) for code in codes]
