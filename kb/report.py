"""The review report a staff member reads after `kb import`: text or JSON."""

from collections import Counter

from kb.content import article_path

READERS = {"pdf": "PDF（直接读取 read directly）", "markdown": "Markdown 转换稿 (PDF-to-Markdown converter text)",
           "text": "纯文本 plain text"}


def import_report(result, write_report, dry_run=False):
    issue = result.issue
    lines = [f"== {result.path}"]
    reader = getattr(result, "reader", None)
    if reader:
        lines.append(f"读取方式 reader: {READERS.get(reader, reader)}")
    if issue.year:
        lines.append(f"期号 issue: {issue.publication or ''} {issue.year}年 第{issue.number:02d}期"
                     + (f" 总第{issue.total}期" if issue.total else ""))
    lines.append(f"文章 articles: {len(result.articles)}")
    by_section = Counter((a.section or "（无栏目）", a.type) for a in result.articles)
    for (section, kind), count in sorted(by_section.items()):
        lines.append(f"  {section:<8} {kind:<14} {count}")
    for article in result.articles:
        numbers = article.standards + article.plan_numbers + [p["number"] for p in article.patents] \
            + article.doc_numbers
        lines.append(f"  - [{article.type}] {article.title}  (lines {article.origin['lines'][0]}-"
                     f"{article.origin['lines'][1]}, 来源: {article.source or '—'})")
        if numbers:
            shown = ", ".join(numbers[:8]) + (f" … (+{len(numbers) - 8})" if len(numbers) > 8 else "")
            lines.append(f"      numbers: {shown}")
    by_reason, samples = result.summary()
    lines.append(f"删除的版面行 dropped lines: {sum(by_reason.values())}")
    for reason, count in by_reason.most_common():
        lines.append(f"  {reason}: {count}  e.g. " + " | ".join(s[:30] for s in samples[reason]))
    for warning in result.warnings:
        lines.append(f"警告 warning: {warning}")
    verb = "would write" if dry_run else "written"
    lines.append(f"files: {len(write_report.written)} {verb}, {len(write_report.unchanged)} unchanged, "
                 f"{len(write_report.skipped)} skipped (edited by hand; use --force to overwrite)")
    for path in write_report.skipped:
        lines.append(f"  skipped: {path}")
    for conflict in write_report.conflicts:
        lines.append(f"冲突 conflict, not written: {conflict}")
    return "\n".join(lines)


def import_json(results, reports, failures, content_dir, dry_run):
    documents, warnings, issues = [], list(failures), []
    for result, report in zip(results, reports):
        reader = getattr(result, "reader", None)
        issues.append({**result.issue.as_dict(), "file": result.path, "reader": reader})
        warnings.extend(result.warnings)
        warnings.extend(f"skipped (edited by hand): {p}" for p in report.skipped)
        warnings.extend(f"conflict, not written: {c}" for c in report.conflicts)
        for article in result.articles:
            meta = article.front_matter()
            meta["path"] = str(article_path(content_dir, article))
            documents.append(meta)
    by_reason = Counter()
    for result in results:
        by_reason.update(result.summary()[0])
    return {
        "issue": issues[0] if len(issues) == 1 else {"issues": issues},
        "documents": documents,
        "warnings": warnings,
        "dropped": dict(by_reason),
        "dry_run": dry_run,
        "written": [p for r in reports for p in r.written],
        "skipped": [p for r in reports for p in r.skipped],
    }
