"""Split, parse and dump YAML front matter: text in, values out."""

import yaml

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
