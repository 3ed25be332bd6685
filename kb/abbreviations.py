"""Names of bodies and institutions and their short forms (kb/data/abbreviations.tsv), both ways.

A query that names 工信部 also finds articles that write 工业和信息化部, and the other way round.
The table is data: one body a line, its full name first, then its short names, TAB-separated.
"""

import functools
import re
from pathlib import Path

from kb.errors import KbError

TABLE = Path(__file__).with_name("data") / "abbreviations.tsv"


def read_table(path=TABLE):
    """[(line number, [names])] of a table file; a bad line raises KbError naming file and line."""
    from kb.analysis import fold

    rows, seen = [], {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        names = [name.strip() for name in line.split("\t") if name.strip()]
        if len(names) < 2:
            raise KbError(f"{path}:{number}: a body needs its full name and at least one short name")
        for name in names:
            key = fold(name)
            if key in seen:
                raise KbError(f"{path}:{number}: “{name}” is already on line {seen[key]}")
            seen[key] = number
        rows.append((number, names))
    return rows


@functools.lru_cache(maxsize=4)
def forms(path=TABLE):
    """{folded name: (every folded name of the same body)}."""
    from kb.analysis import fold

    table = {}
    for _, names in read_table(path):
        folded = tuple(fold(name) for name in names)
        for name in folded:
            table[name] = folded
    return table


def other_forms(name, path=TABLE):
    """The other names of the body `name` names (folded); () when it is not in the table."""
    group = forms(path).get(name, ())
    return tuple(form for form in group if form != name)


@functools.lru_cache(maxsize=4)
def spaced_forms(path=TABLE):
    """Names written with spaces or slashes (`sac/tc 229`), as one pattern tolerant of spacing."""
    names = sorted((n for n in forms(path) if re.search(r"[\s/]", n)), key=len, reverse=True)
    if not names:
        return None
    pieces = [r"\s*".join(re.escape(ch) for ch in name.replace(" ", "")) for name in names]
    return re.compile(r"(?<![\w/])(?:" + "|".join(pieces) + r")(?![\w/])")


def join_spaced(text, path=TABLE):
    """Write names typed with spaces or slashes as the table's full name, so the query keeps them whole."""
    pattern = spaced_forms(path)
    if pattern is None:
        return text
    table = forms(path)

    def full(match):
        typed = re.sub(r"\s+", "", match.group(0))
        for name, group in table.items():
            if name.replace(" ", "") == typed:
                return " " + group[0] + " "
        return match.group(0)

    return pattern.sub(full, text)
