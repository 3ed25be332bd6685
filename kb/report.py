"""The review a staff member reads after `kb import` (and on /admin): Chinese text, or JSON."""

import re
from collections import Counter

from kb.content import ACTIONS, STALE_ACTIONS, article_path
from kb.models import TYPE_LABELS

# Why a line was dropped, as the importer says it (importer/split.py) and as staff read it.
DROP_LABELS = {
    "cover": "封面与目录",
    "page number": "页码",
    "running header": "页眉页脚",
    "watermark": "水印",
    "stray link": "孤立链接",
    "table rule": "表格线",
    "image": "图片占位",
}
FOUND_IN = {
    "cover": "封面",
    "running header": "页眉页脚",
    "single header": "一处页眉",
    "--issue": "指定的期号",
}
CHANGE_LABELS = {
    "title": "标题",
    "type": "类型",
    "section": "栏目",
    "source": "来源",
    "issue": "期号",
    "date": "日期",
    "date_from": "日期来源",
    "standards": "标准号",
    "plan_numbers": "计划号",
    "patents": "专利",
    "doc_numbers": "发文字号",
    "plans": "标准计划表",
    "prices": "价格表",
    "body": "正文",
    "issuer": "发文机关",
    "published": "发布日期",
    "effective": "施行日期",
    "validity": "时效性",
}
NO_SECTION = "（无栏目）"
READERS = {"pdf": "PDF（直接读取版面）", "markdown": "Markdown 转换稿", "text": "纯文本"}


def type_label(kind):
    return TYPE_LABELS.get(kind, kind)


def reader_label(result):
    """How the file was read: the PDF itself, a PDF-to-Markdown converter's text, or plain text."""
    reader = getattr(result, "reader", None)
    return READERS.get(reader, reader or "")


def drop_label(reason):
    return DROP_LABELS.get(reason, reason)


def issue_label(issue):
    """`离子型稀土信息简报 2020年第11期（总第85期）`, or a note that the issue is unknown."""
    if not issue.year:
        return "期号不明"
    text = f"{issue.publication + ' ' if issue.publication else ''}{issue.year}年第{issue.number}期"
    return text + (f"（总第{issue.total}期）" if issue.total else "")


def review_rows(result, write_report):
    """One dict per article: what the review table shows (CLI and /admin)."""
    from kb.importer.review import flag_labels  # here: a server loads the importer on its first review

    rows = []
    for article in result.articles:
        action = write_report.actions.get(article.id, "new") if write_report else "new"
        changes = write_report.changes.get(article.id, []) if write_report else []
        rows.append(
            {
                "id": article.id,
                "title": article.title,
                "section": article.section or NO_SECTION,
                "type": article.type,
                "type_label": type_label(article.type),
                "source": article.source,
                "date": article.date,
                "date_from": article.date_from,
                "action": action,
                "action_label": ACTIONS.get(action, action),
                "changes": [CHANGE_LABELS.get(c, c) for c in changes],
                "flags": result.flags.get(article.id, []),
                "flag_labels": flag_labels(result.flags.get(article.id, [])),
                "lines": article.origin.get("lines", []),
                "numbers": article.standards
                + article.plan_numbers
                + [p["number"] for p in article.patents]
                + article.doc_numbers,
            }
        )
    return rows


def counts_by_section(result):
    """{section: {type label: count}} in the order sections appear."""
    out = {}
    for article in result.articles:
        types = out.setdefault(article.section or NO_SECTION, Counter())
        types[type_label(article.type)] += 1
    return out


def action_summary(write_report):
    """`新增 2，修改 1，未变 9；不再属于本期 1（删除）` for one file's plan."""
    counts = Counter(write_report.actions.values())
    text = "，".join(f"{ACTIONS[a]} {counts[a]}" for a in ACTIONS if counts[a]) or "无文章"
    stale = Counter(entry["action"] for entry in write_report.stale)
    if stale:
        text += "；不再属于本期 " + "，".join(
            f"{n}（{STALE_ACTIONS[a].split('，', 1)[1]}）" for a, n in stale.items()
        )
    return text


def import_report(result, write_report, dry_run=False):
    lines = [f"== {result.path}", f"读取方式：{reader_label(result)}"]
    issue = result.issue
    if issue.slug == "documents":
        lines.append("单篇文件 → content/documents/")
    else:
        where = FOUND_IN.get(issue.found_in or "", "")
        lines.append(
            f"期号：{issue_label(issue)}"
            + (f"（取自{where}）" if where else "")
            + (f" → content/{issue.slug}/" if issue.slug else "")
        )
    for error in result.errors:
        lines.append(f"错误：{error}")
    if result.errors:
        lines.append("本文件未写入。")
    summary = f"：{action_summary(write_report)}" if write_report else ""
    lines.append(f"文章 {len(result.articles)} 篇{summary}")
    lines.append("按栏目与类型：")
    for section, types in counts_by_section(result).items():
        lines.append(f"  {section}：" + "，".join(f"{t} {n}" for t, n in types.items()))
    lines.append("逐篇：")
    for row in review_rows(result, write_report):
        action = row["action_label"] + (f"（{'、'.join(row['changes'])}）" if row["changes"] else "")
        lines.append(f"  [{action}] {row['section']} | {row['type_label']} | {row['title']}")
        span = row["lines"]
        date = row["date"] or "无"
        date_note = {"article": "文中日期", "issue": "取自期号"}.get(row["date_from"] or "", "")
        lines.append(
            f"      第 {span[0]}–{span[1]} 行；来源：{row['source'] or '无'}；日期：{date}"
            + (f"（{date_note}）" if date_note else "")
            if len(span) == 2
            else f"      来源：{row['source'] or '无'}；日期：{date}"
        )
        if row["numbers"]:
            numbers = row["numbers"]
            shown = "，".join(numbers[:8]) + (f" …（另 {len(numbers) - 8} 个）" if len(numbers) > 8 else "")
            lines.append(f"      编号：{shown}")
        if row["flag_labels"]:
            lines.append("      ⚠ " + "；".join(row["flag_labels"]))
    if write_report and write_report.stale:
        kept = all(entry["action"] == "stale" for entry in write_report.stale)
        lines.append(
            f"不再属于本期的旧文章 {len(write_report.stale)} 篇"
            + ("（已保留；加 --replace 删除）" if kept else "")
            + "："
        )
        for entry in write_report.stale:
            hint = "（加 --force 一并删除）" if entry["action"] == "stale_edited" else ""
            lines.append(f"  [{STALE_ACTIONS[entry['action']]}] {entry['title']}  {entry['path']}{hint}")
    by_reason, samples = result.summary()
    lines.append(f"删除的版面行 {sum(by_reason.values())} 行：")
    for reason, count in by_reason.most_common():
        lines.append(f"  {drop_label(reason)} {count} 行，例：" + " | ".join(s[:30] for s in samples[reason]))
    for warning in result.warnings:
        lines.append(f"警告：{warning}")
    if write_report:
        for path in write_report.skipped:
            lines.append(f"  人工编辑过，未覆盖：{path}（加 --force 覆盖）")
        for conflict in write_report.conflicts:
            lines.append(f"冲突，未写入：{conflict}")
    if dry_run:
        lines.append("（预览：没有写入任何文件）")
    return "\n".join(lines)


def import_json(results, reports, failures, content_dir, dry_run):
    documents, warnings, issues, stale, errors = [], list(failures), [], [], list(failures)
    for result, report in zip(results, reports, strict=False):
        issues.append(
            {
                **result.issue.as_dict(),
                "file": result.path,
                "found_in": result.issue.found_in,
                "reader": getattr(result, "reader", None),
            }
        )
        warnings.extend(result.warnings)
        errors.extend(f"{result.path}: {e}" for e in result.errors)
        if report is None:
            continue
        warnings.extend(f"人工编辑过，未覆盖：{p}" for p in report.skipped)
        warnings.extend(f"冲突，未写入：{c}" for c in report.conflicts)
        stale.extend(report.stale)
        rows = {row["id"]: row for row in review_rows(result, report)}
        for article in result.articles:
            meta = article.front_matter()
            row = rows[article.id]
            meta.update(
                path=str(article_path(content_dir, article)),
                action=row["action"],
                changes=report.changes.get(article.id, []),
                flags=row["flags"],
            )
            documents.append(meta)
    by_reason = Counter()
    for result in results:
        by_reason.update(result.summary()[0])
    return {
        "issue": issues[0] if len(issues) == 1 else {"issues": issues},
        "documents": documents,
        "stale": stale,
        "warnings": warnings,
        "errors": errors,
        "dropped": dict(by_reason),
        "dry_run": dry_run,
        "written": [p for r in reports if r for p in r.written],
        "removed": [p for r in reports if r for p in r.removed],
        "skipped": [p for r in reports if r for p in r.skipped],
    }


def index_progress(message):
    """The indexer's progress line (`indexed 500 documents`) as staff read it."""
    match = re.match(r"indexed (\d+) documents", message or "")
    return f"已索引 {match.group(1)} 篇" if match else (message or "")


def index_summary(action, stats, before, after):
    """`索引更新完成：新增 2 篇，更新 3 篇，删除 1 篇，用时 1.2 秒；索引现有 70 篇。`"""
    seconds = stats.get("seconds", 0)
    if action == "rebuild" or "updated" not in stats:  # an update with no index yet builds one
        text = f"索引重建完成：共 {stats.get('documents', after)} 篇，用时 {seconds:.1f} 秒"
    else:
        removed = stats.get("removed", 0)
        added = max(0, after - before + removed)
        updated = max(0, stats.get("updated", 0) - added)
        text = f"索引更新完成：新增 {added} 篇，更新 {updated} 篇，删除 {removed} 篇，用时 {seconds:.1f} 秒"
    problems = stats.get("problems") or []
    text += f"；索引现有 {after} 篇。"
    if problems:
        text += f"有 {len(problems)} 个文件无法读取，已跳过：" + "；".join(problems[:3])
    return text
