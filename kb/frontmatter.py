"""Split, parse and dump YAML front matter: text in, values out.

Reading: the front matter kb itself writes (kb.content.render) is a flat mapping of plain or
single-quoted scalars, one level of nested mappings and lists of scalars.  `fast_yaml` reads
exactly those shapes in pure Python, resolving each plain scalar with PyYAML's own resolver, and
gives up (None) on anything else, which libyaml then parses; both give the same dict
(tests/test_frontmatter.py compares them on every file).  libyaml's parse costs about 0.3 ms an
article, a third of a build's reading time.
"""

import re

import yaml
from yaml.nodes import ScalarNode

from kb.errors import ContentError

FENCE = "---"


# libyaml's C parser and emitter when PyYAML was built with it: same documents, ten times faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def split_frontmatter(text, path=None):
    """(yaml_text, body, body_first_line); yaml_text is None when there is no front matter."""
    if not text.startswith(FENCE):
        return None, text, 1
    lines = text.split("\n")
    if lines[0].strip() != FENCE:
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in (FENCE, "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]).lstrip("\n"), i + 2
    raise ContentError(
        "front matter is not closed (头部信息没有结束行)",
        path=path,
        line=1,
        hint="end it with a line of three dashes: ---",
    )


def parse_frontmatter(text, path="<text>"):
    """(meta dict, body). Errors name the file and the line."""
    raw, body, _ = split_frontmatter(text, path) if text.startswith(FENCE) else (None, text, 1)
    if raw is None:
        return {}, body
    meta = fast_yaml(raw)
    if meta is not None:
        return meta, body
    try:
        meta = yaml.load(raw, Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        # where the broken construct began (an unclosed [ or "), else where parsing stopped
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(
            f"front matter is not valid YAML: {problem}",
            path=path,
            line=line,
            hint="fix the YAML between the --- lines",
        ) from None
    if not isinstance(meta, dict):
        raise ContentError("front matter must be a mapping of keys to values", path=path, line=2)
    return meta, body


def dump_frontmatter(meta, body):
    text = yaml.dump(meta, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return f"{FENCE}\n{text}{FENCE}\n\n{body.rstrip()}\n"


# ---- the fast reader ---------------------------------------------------------------------------
#
# What it reads (anything else: None, and libyaml reads it):
#
# | line shape                     | value                                                      |
# | ------------------------------ | ---------------------------------------------------------- |
# | `key: plain scalar`            | str, None, bool, or a decimal int, as PyYAML resolves it;  |
# |                                | other ints (0012, 1_000, 0x1f), floats, dates: libyaml     |
# | `key: 'single quoted'`         | str ('' inside stands for ')                               |
# | `key: []`, `key: {}`           | empty list, empty mapping                                  |
# | `key:` then deeper `k: v` rows | a nested mapping (any depth)                               |
# | `key:` then `- scalar` rows    | a list of scalars (rows at the key's indent or deeper)     |
# | `key:` then nothing deeper     | None                                                       |
#
# Keys are plain names ([A-Za-z_][A-Za-z0-9_]*) that resolve to str (not yes/no/on/off/null …),
# each once per mapping.  Given up on: tabs, CR, blank or comment lines, double quotes, block
# scalars (| >), flow collections with items, anchors, tags, multi-line scalars, list items that
# are mappings or lists, spaces around a value, characters str.isprintable() rejects, and any
# plain scalar holding `: ` or ` #` or ending in `:`.

_KEY_LINE = re.compile(r"( *)([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")
_INDICATORS = frozenset('-?:,[]{}#&*!|>"%@`')
_RESOLVER = yaml.resolver.Resolver()
_FIRST_CHARS = _RESOLVER.yaml_implicit_resolvers  # first character -> PyYAML's implicit resolvers
_STR, _NULL, _BOOL, _INT = (f"tag:yaml.org,2002:{name}" for name in ("str", "null", "bool", "int"))
_BOOLS = yaml.constructor.SafeConstructor.bool_values


class _Unsure(Exception):
    """A shape the fast reader does not read: libyaml reads the whole front matter instead."""


def fast_yaml(raw):
    """The front matter `raw` as PyYAML's safe loader reads it, for the shapes kb writes; None for
    any other shape (then parse it with yaml)."""
    if "\t" in raw or "\r" in raw or None in _FIRST_CHARS:
        return None
    lines = raw.split("\n")
    while lines and not lines[-1]:
        lines.pop()
    try:
        end, meta = _mapping(lines, 0, 0)
    except _Unsure:
        return None
    return meta if end == len(lines) else None


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _mapping(lines, i, indent):
    out = {}
    count = len(lines)
    while i < count:
        line = lines[i]
        match = _KEY_LINE.fullmatch(line)
        here = _indent(line) if match is None else match.end(1)
        if here < indent:
            break
        if here > indent or match is None:
            raise _Unsure
        key, text = match.group(2, 3)
        if key in out or _scalar(key) != key:
            raise _Unsure
        i += 1
        if text is not None:
            out[key] = _scalar(text)
            continue
        below = lines[i] if i < count else ""
        depth = _indent(below)
        if below[depth : depth + 2] == "- " and depth >= indent:
            i, out[key] = _sequence(lines, i, depth)
        elif depth > indent:
            i, out[key] = _mapping(lines, i, depth)
        else:
            out[key] = None
    return i, out


def _sequence(lines, i, indent):
    items = []
    count = len(lines)
    while i < count:
        line = lines[i]
        here = _indent(line)
        if here > indent:
            raise _Unsure
        if here < indent or line[here : here + 2] != "- ":
            break
        items.append(_scalar(line[here + 2 :]))
        i += 1
    return i, items


_SCALARS = {}  # text -> value (str, None, bool, int) or _UNSURE: front matter repeats most values
_SCALARS_MAX = 100_000
_UNSURE = object()


def _scalar(text):
    """One scalar on one line, as PyYAML constructs it; _Unsure when not certain."""
    if text == "[]":  # a new list (or mapping) each time: never cached
        return []
    if text == "{}":
        return {}
    value = _SCALARS.get(text, _scalar)
    if value is _scalar:
        try:
            value = _resolve(text)
        except _Unsure:
            value = _UNSURE
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        _SCALARS[text] = value
    if value is _UNSURE:
        raise _Unsure
    return value


def _resolve(text):
    if not text or text[0] == " " or text[-1] == " " or not text.isprintable():
        raise _Unsure
    first = text[0]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Unsure
        return inner.replace("''", "'")
    if first in _INDICATORS or ": " in text or " #" in text or text[-1] == ":":
        raise _Unsure
    if first not in _FIRST_CHARS:
        return text
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOLS[text.lower()]
    if tag == _INT and _DECIMAL.fullmatch(text):
        return int(text)
    raise _Unsure
