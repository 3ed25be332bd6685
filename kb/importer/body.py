"""Turn an article's lines into clean Markdown: paragraphs rejoined, tables rebuilt.

Blocks are read top to bottom: tab-separated rows become tables (a row that
continues over a page break is merged into the row above), Markdown headings and
list items keep their form, and wrapped text lines are joined into paragraphs
where a careful editor would join them.
"""

import re
from dataclasses import dataclass, field

from kb.importer.split import ENUMERATOR, SOURCE, SOURCE_END
from kb.importer.text import CJK, ends_sentence, join_fragments, width

LIST_ITEM = re.compile(r"^[-*•·]\s+")
# a lone super- or subscript: `1`, `0`, `3+`, `2-`, `5d`, `-1` — at most three characters
SCRIPT = re.compile(r"^(?:[+\-−]?\d{1,2}[+\-−]?|\d[a-z]|[+\-−])$")
# what a script attaches to: an orbital (`4f`) or an element symbol (`Nd`, `O`), not a word
SCRIPT_BASE = re.compile(r"(?<![A-Za-z])(?:\d[a-z]|[A-Z][a-z]?)$")


@dataclass
class Block:
    kind: str  # paragraph | heading | item | table | source
    text: str = ""
    rows: list = field(default_factory=list)
    level: int = 2
    tail: str = ""  # the last raw line joined in, for the wrap test
    script: bool = False  # the last line joined in was a lone super- or subscript


def _is_long(text, limit):
    return width(text) >= min(0.8 * limit, 40)


def _starts_block(text):
    return bool(ENUMERATOR.match(text) or LIST_ITEM.match(text) or SOURCE.match(text))


def read_blocks(lines, limit):
    """Lines of one article (title excluded) to blocks; `lines` may include dropped lines."""
    blocks, page_break = [], False
    for line in lines:
        if line.joined_into:
            continue
        if line.drop:
            page_break = page_break or line.drop in ("running header", "page number", "watermark")
            continue
        text = line.text.strip()
        if not text:
            continue
        glued = SOURCE_END.search(text) if not SOURCE.match(text) else None
        if glued:
            text = text[: glued.start()].rstrip()
        _read_text_line(blocks, line, text, limit, page_break)
        if glued:
            blocks.append(Block("source", glued.group().strip()))
        page_break = False
    return rebuild_cell_tables(blocks)


# What a table cell printed on a line of its own holds, for finding a table's row pattern.
CELL_KINDS = (
    ("number", re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?%?$")),
    ("purity", re.compile(r"^[≥≧>≤<]\s*\d|%")),
    ("text", re.compile(r".")),
)
MIN_ROWS = 3


def _cell_kind(text):
    return next(kind for kind, pattern in CELL_KINDS if pattern.search(text))


def _is_cell(block):
    return (
        block.kind == "paragraph"
        and block.text == block.tail
        and width(block.text) <= 24
        and not ends_sentence(block.text)
    )


def rebuild_cell_tables(blocks):
    """A table printed one cell per line (converters flatten ruled tables so) becomes a table again.

    Only where the pattern is clear: at least three rows whose cells repeat one sequence of kinds
    (text, purity, number …) with two numbers or more per row.  As many text lines just before the
    rows as a row has cells become the header; the header printed again after a page break is
    skipped.
    """
    out, i = [], 0
    while i < len(blocks):
        run = 0
        while i + run < len(blocks) and _is_cell(blocks[i + run]):
            run += 1
        if run < MIN_ROWS * 3:
            out.extend(blocks[i : i + max(run, 1)])
            i += max(run, 1)
            continue
        found = _cell_table(blocks[i : i + run])
        if found is None:
            out.extend(blocks[i : i + run])
            i += run
            continue
        start, rows, used = found
        out.extend(blocks[i : i + start])  # cells before the table stay as they were
        out.append(Block("table", rows=rows))
        i += used
    return out


def _cell_table(cells):
    """(cells before the table, rows with a header first, cells used) for the clearest row pattern."""
    texts = [c.text for c in cells]
    kinds = [_cell_kind(t) for t in texts]
    best = None
    for size in range(3, 11):
        for start in range(len(cells) - size * MIN_ROWS + 1):
            pattern = kinds[start : start + size]
            if sum(k == "number" for k in pattern) < 2 or any(
                size % k == 0 and pattern == pattern[:k] * (size // k) for k in range(1, size)
            ):
                continue  # too few numbers, or two rows taken for one
            top = (
                start - size
                if start >= size and all(k == "text" for k in kinds[start - size : start])
                else start
            )
            header, rows, at = texts[top:start], [], start
            while at + size <= len(cells):
                if header and texts[at : at + size] == header:
                    at += size  # the header printed again after a page break
                    continue
                if kinds[at : at + size] != pattern:
                    break
                rows.append(texts[at : at + size])
                at += size
            if len(rows) >= MIN_ROWS and (best is None or at - top > best[2] - best[0]):
                best = (top, [header or [""] * size] + rows, at)
        if best is not None:
            break  # the smallest row size that reads a table
    return best


def _read_text_line(blocks, line, text, limit, page_break):
    """Add one content line to the blocks: a table row, heading, list item or paragraph text."""
    last = blocks[-1] if blocks else None
    if "\t" in line.text:
        cells = [c.strip() for c in line.text.split("\t")]
        if last is None or last.kind != "table":
            blocks.append(Block("table", rows=[cells]))
        elif cells == last.rows[0]:
            pass  # the header row printed again on the next page
        elif page_break and not cells[0] and last.rows:
            _merge_row(last.rows[-1], cells)
        else:
            last.rows.append(cells)
    elif SOURCE.match(text):
        blocks.append(Block("source", text))
    elif line.heading:
        blocks.append(Block("heading", text, level=2 if line.heading <= 2 else 3))
    elif LIST_ITEM.match(text):
        blocks.append(Block("item", LIST_ITEM.sub("", text), tail=text))
    elif (
        last is not None
        and last.kind == "paragraph"
        and (
            SCRIPT.match(text)
            and (last.script or SCRIPT_BASE.search(last.text))
            or last.script
            and re.match(rf"[^\w]|[a-z{CJK}]", text)
        )
    ):
        # a super- or subscript set on a line of its own (`4f` `1` `5d` `0`), and the text after it
        last.text += text
        last.tail = last.tail if SCRIPT.match(text) else text
        last.script = bool(SCRIPT.match(text)) and not ends_sentence(text)
    elif last is not None and last.kind in ("paragraph", "item") and _continues(last.tail, text, limit):
        last.text = join_fragments(last.text, text)
        last.tail = text
    else:
        blocks.append(Block("paragraph", text, tail=text))


def _continues(previous, text, limit):
    """Is `text` the wrapped rest of `previous`?"""
    if ends_sentence(previous) or not _is_long(previous, limit):
        return False
    return not _starts_block(text)


def _merge_row(row, cells):
    for i, cell in enumerate(cells):
        if not cell:
            continue
        if i < len(row):
            if not row[i].endswith(cell):  # converters repeat a wrapped tail already printed in full
                row[i] = join_fragments(row[i], cell)
        else:
            row.append(cell)


def _cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows):
    wide = max(len(row) for row in rows)
    rows = [row + [""] * (wide - len(row)) for row in rows]
    out = ["| " + " | ".join(_cell(c) for c in rows[0]) + " |", "|" + "---|" * wide]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows[1:]]
    return "\n".join(out)


def render_blocks(blocks):
    parts = []
    for block in blocks:
        if block.kind == "table":
            parts.append(render_table(block.rows))
        elif block.kind == "heading":
            parts.append("#" * block.level + " " + block.text)
        elif block.kind == "item":
            parts.append("- " + block.text)
        else:
            parts.append(block.text)
    text = ""
    for i, part in enumerate(parts):
        sep = "\n" if i and blocks[i].kind == "item" and blocks[i - 1].kind == "item" else "\n\n"
        text += (sep if i else "") + part
    return text + "\n"
