"""Tables drawn without rules, read from the lines of a PDF page (see kb/importer/pdflayout.py).

A line whose parts (text separated by wide gaps) line up with a neighbouring line's parts is a table
row; the table's columns start where its rows' parts start, a part is cut where another row's column
starts, a row line set close under the one above holds the wrapped rest of its cells, and every row
comes out as tab-separated cells (an empty cell stays empty).
"""

from itertools import pairwise


def _aligned(a, b):
    """Do two lines split into parts share at least two column positions (left or right edges)?"""
    hits = 0
    for pa in a.parts:
        if any(abs(pa[0] - pb[0]) < 4 or abs(pa[1] - pb[1]) < 4 for pb in b.parts):
            hits += 1
    return hits >= 2


def mark_rows(lines):
    """Lines in parts that line up with a neighbour's parts are rows of a table drawn without rules.
    Per table: the columns start where the rows' parts start; a part is cut where another row's
    column starts; a row line close under the one above continues it (text wrapped in its cells)."""
    for i, line in enumerate(lines):
        if len(line.parts) < 2:
            continue
        neighbours = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if any(o.page == line.page and len(o.parts) >= 2 and _aligned(line, o) for o in neighbours):
            line.row = True
    for above, line in pairwise(lines):  # a lone wrapped cell under a row, away from the first column
        if (
            above.row
            and not line.row
            and len(line.parts) == 1
            and line.page == above.page
            and line.top - above.bottom < 0.35 * line.size
            and any(abs(line.parts[0][0] - p[0]) < 4 for p in above.parts[1:])
        ):
            line.row = True
    block = []
    for line in [*lines, None]:
        if line is not None and line.row and (not block or block[-1].page == line.page):
            block.append(line)
            continue
        if block:
            _read_table(block)
        block = [line] if line is not None and line.row else []


def _read_table(rows):
    starts = []
    for x0 in sorted(p[0] for row in rows for p in row.parts):
        if not starts or x0 - starts[-1][-1] > 4:
            starts.append([x0])
        else:
            starts[-1].append(x0)
    columns = [min(group) for group in starts]
    for row in rows:
        row.parts = _split_at_columns(row.parts, columns)
    previous = None
    for row in rows:
        gap = row.top - previous.bottom if previous is not None else None
        if gap is not None and (
            gap < 0.35 * row.size or (gap < 0.6 * row.size and row.parts[0][0] > columns[0] + 4)
        ):
            _merge_parts(previous, row, columns)
            row.parts, row.text = [], ""
            continue
        previous = row
    for row in rows:
        if not row.parts:
            continue
        cells = [""] * len(columns)
        for x0, _, text in row.parts:
            k = _column(columns, x0)
            cells[k] = (cells[k] + " " + text).strip()
        row.text = "\t".join(cells)


def _column(columns, x0):
    return max([i for i, start in enumerate(columns) if start <= x0 + 4] or [0])


def _split_at_columns(parts, columns):
    """Cut a part where a space in it sits at another row's column start (cells printed close together)."""
    out = []
    for part in parts:
        x0, x1, text = part[0], part[1], part[2]
        cuts = [
            (x, i)
            for x, i in (part[3] if len(part) > 3 else [])
            if any(abs(x - start) <= 4 for start in columns if x0 + 4 < start < x1)
        ]
        last_x, last_i = x0, 0
        for x, i in cuts:
            out.append((last_x, x, text[last_i:i].strip()))
            last_x, last_i = x, i
        out.append((last_x, x1, text[last_i:].strip()))
    return [p for p in out if p[2]]


def _merge_parts(row, more, columns):
    """Add the wrapped rest of some cells to the row above, each to the column it sits under."""
    parts = {_column(columns, p[0]): list(p[:3]) for p in row.parts}
    for x0, x1, text in more.parts:
        k = _column(columns, x0)
        if k not in parts:
            parts[k] = [x0, x1, text]
            continue
        cell = parts[k][2]
        glue = "" if cell.endswith(("-", "/")) or not (cell[-1:].isascii() and text[:1].isascii()) else " "
        parts[k][2] = cell + glue + text
    row.parts = [tuple(parts[k]) for k in sorted(parts)]
    row.bottom = more.bottom
