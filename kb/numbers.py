"""Parse and normalise standard, plan, patent and policy-document numbers.

One module owns number reading: the importer uses it on converter output, the
search uses it on what people type.  Every number has one canonical form
(`GB/T 12690.12-2003`, `20220747-T-469`, `W20222365`, `CN117446850A`,
`工信部联原〔2022〕90号`) and a few *keys*: lower-case, space-free strings stored
in the index so that a number typed without its year, kind code or country
still finds exactly the right documents and never a near miss.
"""

import re
import unicodedata
from dataclasses import dataclass

DASHES = "-‐‑‒–—―－~～"
_DASH = f"[{DASHES}]"

# Chinese sector codes of national and industry standards (GB national, XB rare
# earth, YS non-ferrous, YB ferrous, JB machinery, HG chemicals, ...).
SECTOR_CODES = (
    "GB XB YS YB JB HG SJ DZ DL NB QB HJ WS SH JC JT TB MT SY AQ GA SN CB FZ LY NY QC SL HB DB GJB"
).split()
_SECTOR = "|".join(sorted(SECTOR_CODES, key=len, reverse=True))

# GB/T 4137-2015, GBT4137, GB/Z 1.1, XB/T 403-2023, gb/t 4137 (case already folded up).
_STANDARD = re.compile(
    rf"(?<![A-Z])(?P<code>{_SECTOR})\s*(?:/\s*(?P<kind>[TZ])|(?P<kind2>[TZ])(?=\s*\d))?"
    rf"\s*(?P<num>\d{{1,6}}(?:\s*\.\s*\d{{1,3}})*)"
    rf"(?:\s*{_DASH}\s*(?P<year>(?:19|20)\d{{2}}))?(?![\d.])"
)
# Group standards T/CSRE 00123-2020, and ISO / IEC.
_GROUP = re.compile(
    rf"(?<![A-Z/])T\s*/\s*(?P<org>[A-Z]{{2,10}})\s*(?P<num>\d{{1,6}}(?:\.\d{{1,3}})*)"
    rf"(?:\s*{_DASH}\s*(?P<year>(?:19|20)\d{{2}}))?(?![\d.])"
)
_INTL = re.compile(
    r"(?<![A-Z])(?P<org>ISO(?:/IEC)?|IEC)\s*(?P<num>\d{1,6}(?:-\d{1,3})*)"
    r"(?:\s*:\s*(?P<year>(?:19|20)\d{2}))?(?![\d])"
)
# Standard plan numbers 20220747-T-469 (T 推荐性, Z 指导性, Q 强制性), tolerant of converter spaces:
# "202207 62-T-4 69".
_PLAN = re.compile(
    rf"(?<![\dA-Z])(?P<a>\d(?:\s?\d){{7}})\s*{_DASH}\s*(?P<k>[TZQ])\s*{_DASH}\s*(?P<b>\d(?:\s?\d){{2}})(?!\d)"
)
# Foreign-language plan numbers W20222365 ("W2022 2365").
_FOREIGN_PLAN = re.compile(r"(?<![A-Z\d])W\s?(?P<a>(?:19|20)\d{2})\s?(?P<b>\d{4})(?!\d)")
# Patent publication numbers CN117446850A, CN 115595458 B, cn115595458.
_PATENT = re.compile(
    r"(?<![A-Z])(?P<cc>CN|US|EP|WO|JP|KR|DE|FR|GB)\s?(?P<num>(?:19|20)?\d{6,10}(?:\.\d)?)\s?(?P<kc>[A-Z]\d?)?(?![A-Z\d])"
)
# Policy document numbers 工信部联原〔2022〕90号, 国标委发[2022]22号.
_DOC = re.compile(
    r"(?P<issuer>[\u4e00-\u9fff]{1,10}?)\s*[〔\[［(（【]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]］)）】]"
    r"\s*第?\s*(?P<num>\d{1,5})\s*号"
)
_ISSUER_NOISE = re.compile(r"^.*(?:印发|发布|下发|转发|根据|依据|按照|关于|通知|的|和|及|与|《|》)")


@dataclass(frozen=True)
class Number:
    """One number found in text: its kind, canonical form and search keys."""

    kind: str  # standard | plan | patent | doc
    canonical: str
    keys: tuple[str, ...]
    start: int = 0
    end: int = 0


# Characters that look like a number's slash or dash but that NFKC leaves alone.
_LOOKALIKES = str.maketrans({"\u2215": "/", "\u2044": "/", "\u29f8": "/", "\u2571": "/", "\u2212": "-"})


def fold(text):
    """Full-width to half-width (NFKC), slash and minus look-alikes to ASCII, upper case."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES).upper()


def _squeeze(text):
    return re.sub(r"\s+", "", text)


def standard(code, kind, num, year):
    prefix = code + (f"/{kind}" if kind else "")
    num = _squeeze(num)
    canonical = f"{prefix} {num}" + (f"-{year}" if year else "")
    keys = [f"{prefix}{num}".lower()]
    if year:
        keys.append(f"{prefix}{num}-{year}".lower())
        keys.append(f"{num}-{year}")
    return canonical, tuple(keys)


# Converters that drop a hyphen at a line end (dehyphenation) glue the pieces of a number:
# `20220747-T469`, `20220747T469`; `GB/T 41382015`, `GB/T 12690.122003`.  A plan number is
# eight digits starting with a year, T or Z and three digits; no national or industry standard
# number has more than five digits, so a run of seven to nine digits ending in a year after a
# sector code is a number and its year.
_PLAN_GLUED = re.compile(
    r"(?<![\dA-Za-z])(?P<a>(?:19|20)\d{6})\s?-?\s?(?P<k>[TZQ])\s?-?\s?(?P<b>\d{3})(?!\d)"
)
_STANDARD_GLUED = re.compile(
    rf"(?<![A-Z])(?P<head>(?:{_SECTOR})\s*(?:/\s*[TZ])?\s*)"
    r"(?P<num>\d{3,5}|\d{1,5}\.\d{1,3}?)(?P<year>(?:19|20)\d{2})(?![\d.])"
)


# Two narrow cells side by side, each wrapping its number, read across by a converter that also
# dehyphenates: `W2022236` `20220762-` over `5` `T-469` comes out `W2022236 202207625`.  A foreign
# plan number is W and eight digits, a plan number eight digits: the ninth digit is W's.
_SPLIT_PAIR = re.compile(
    r"(?<![A-Z\d])W(?P<w>(?:19|20)\d{5})(?P<gap>\s+)(?P<plan>(?:19|20)\d{6})(?P<digit>\d)(?!\d)"
)


def repair_numbers(text):
    """Close converter gaps inside numbers by their grammar.

    `202207 62-T-4 69` → `20220762-T-469`, `20220747-T469` → `20220747-T-469`,
    `W2022 2365` → `W20222365`, `GB/T 41382015` → `GB/T 4138-2015`.
    """
    if not re.search(r"\d", text):
        return text
    text = _PLAN.sub(
        lambda m: f"{_squeeze(m.group('a'))}-{m.group('k').upper()}-{_squeeze(m.group('b'))}", text
    )
    text = _SPLIT_PAIR.sub(
        lambda m: f"W{m.group('w')}{m.group('digit')}{m.group('gap')}{m.group('plan')}", text
    )
    text = _PLAN_GLUED.sub(lambda m: f"{m.group('a')}-{m.group('k')}-{m.group('b')}", text)
    text = _STANDARD_GLUED.sub(lambda m: f"{m.group('head')}{m.group('num')}-{m.group('year')}", text)
    return _FOREIGN_PLAN.sub(lambda m: f"W{m.group('a')}{m.group('b')}", text)


def join_number(head, tail):
    """`head` + `tail` when a number broken between them (a wrapped table cell) reads whole there.

    The joined text is returned only if the number grammar finds a number that starts in
    `head` and runs on into `tail`: `20220747-T-` + `469`, `GB/T 4138-` + `2015`,
    `XB/T4` + `03-202`.  Otherwise None.
    """
    head, tail = head.rstrip(), tail.strip()
    if not head or not tail or not re.match(r"[\d.\-–—TZQ]", tail) or not re.search(r"[\dTZQ.\-–—/]$", head):
        return None
    joined = repair_numbers(head + tail)
    cut = len(repair_numbers(head))
    # a piece may still end in the dot or dash the next piece continues: `GB/T12690.` `12-`
    probe = joined.rstrip(".-–—")
    if any(n.start < cut < n.end for n in parse_numbers(probe)):
        return joined
    return None


def _standard_numbers(text):
    for m in _STANDARD.finditer(text):
        kind = m.group("kind") or m.group("kind2")
        if not m.group("year") and (not kind and m.group("code") != "GB" or len(m.group("num")) < 3):
            continue
        canonical, keys = standard(m.group("code"), kind, m.group("num"), m.group("year"))
        yield Number("standard", canonical, keys, m.start(), m.end())
    for m in _GROUP.finditer(text):
        canonical, keys = standard("T", m.group("org"), m.group("num"), m.group("year"))
        yield Number("standard", canonical, keys, m.start(), m.end())
    for m in _INTL.finditer(text):
        org, num, year = m.group("org"), m.group("num"), m.group("year")
        canonical = f"{org} {num}" + (f":{year}" if year else "")
        keys = [f"{org}{num}".lower()] + ([f"{org}{num}:{year}".lower()] if year else [])
        yield Number("standard", canonical, tuple(keys), m.start(), m.end())


def _plan_numbers(text):
    for m in _PLAN.finditer(text):
        canonical = f"{_squeeze(m.group('a'))}-{m.group('k')}-{_squeeze(m.group('b'))}"
        yield Number("plan", canonical, (canonical.lower(),), m.start(), m.end())
    for m in _FOREIGN_PLAN.finditer(text):
        canonical = f"W{m.group('a')}{m.group('b')}"
        yield Number("plan", canonical, (canonical.lower(),), m.start(), m.end())


def _patent_numbers(text):
    for m in _PATENT.finditer(text):
        cc, num, kc = m.group("cc"), m.group("num"), m.group("kc") or ""
        canonical = f"{cc}{num}{kc}"
        keys = {canonical.lower(), f"{cc}{num}".lower(), num.lower()}
        yield Number("patent", canonical, tuple(sorted(keys)), m.start(), m.end())


def doc_issuer(raw):
    """Trim words that precede an issuer's abbreviation in running text."""
    issuer = _ISSUER_NOISE.sub("", raw) or raw
    return issuer


_DOC_ANCHOR = re.compile(r"[〔\[［(（【]\s*(?:19|20)\d{2}\s*[〕\]］)）】]")
_DOC_REACH = 64  # characters after the bracketed year within which `第 N 号` must follow


def _doc_matches(text):
    """_DOC.finditer(text), but tried only near a bracketed year: the lazy issuer prefix would
    otherwise be attempted at every Chinese character of a long line."""
    end = 0
    for anchor in _DOC_ANCHOR.finditer(text):
        if anchor.start() < end:
            continue
        lo = anchor.start()
        while lo > end and text[lo - 1].isspace():
            lo -= 1
        m = _DOC.search(text, max(end, lo - 10), min(len(text), anchor.end() + _DOC_REACH))
        if m and m.start() < anchor.end():
            end = m.end()
            yield m


def _doc_numbers(text):
    for m in _doc_matches(text):
        issuer = doc_issuer(m.group("issuer"))
        year, num = m.group("year"), str(int(m.group("num")))
        canonical = f"{issuer}〔{year}〕{num}号"
        keys = (f"{issuer}{year}-{num}".lower(),)
        yield Number("doc", canonical, keys, m.start(), m.end())


def parse_numbers(text):
    """Every number in `text`, in order, each once; plan numbers win over look-alikes.

    Characters already taken by a number are marked in a byte mask, so checking a candidate costs
    its own length, not a scan of every number found before (linear in the text)."""
    folded = fold(text)
    found, taken = [], bytearray(len(folded))
    for finder in (_plan_numbers, _patent_numbers, _doc_numbers, _standard_numbers):
        for number in finder(folded):
            if taken.find(1, number.start, number.end) != -1:
                continue
            found.append(number)
            taken[number.start : number.end] = b"\x01" * (number.end - number.start)
    found.sort(key=lambda n: n.start)
    return found


def unique_canonical(numbers, kind):
    seen = []
    for number in numbers:
        if number.kind == kind and number.canonical not in seen:
            seen.append(number.canonical)
    return seen


# What people type when looking a number up: bare "4137-2015", "cn115595458".
_BARE_STANDARD = re.compile(
    rf"^\s*(?P<num>\d{{1,6}}(?:\.\d{{1,3}})*)\s*{_DASH}\s*(?P<year>(?:19|20)\d{{2}})\s*$"
)
_BARE_PATENT = re.compile(r"^\s*(?:ZL\s*)?(?P<num>(?:19|20)\d{10,11})(?:\.\d)?\s*$")


def parse_bare_standard(text):
    """A standard number typed without its prefix, `4137-2015`, as the whole of `text`; else None."""
    bare = _BARE_STANDARD.match(fold(text))
    if not bare:
        return None
    key = f"{bare.group('num')}-{bare.group('year')}"
    return Number("standard", key, (key,))


def parse_lookup(text):
    """Read one typed number, however it is typed; None if it is not a number."""
    folded = fold(text).strip()
    if not folded:
        return None
    numbers = parse_numbers(folded)
    return numbers[0] if numbers else parse_bare_standard(folded)


def number_keys(numbers):
    """All index keys of the given numbers, de-duplicated, order kept."""
    keys = []
    for number in numbers:
        for key in number.keys:
            if key not in keys:
                keys.append(key)
    return keys


def keys_of(canonical):
    """Keys of one canonical number as stored in front matter."""
    numbers = parse_numbers(canonical)
    if numbers:
        return list(numbers[0].keys)
    return [_squeeze(fold(canonical)).lower()]


# ------------------------------------------------------------------ lenient reading (search side)
# What staff type that the extraction rules above rightly do not read in running text.
_LOOSE_STANDARD = re.compile(
    rf"(?<![A-Z/])(?P<code>{_SECTOR})\s*(?:/\s*(?P<kind>[TZ]))?\s*(?P<num>\d{{2,6}}(?:\.\d{{1,3}})*)(?![\d.])"
)
_LOOSE_PATENT = re.compile(
    rf"(?<![A-Z\d])(?P<cc>CN|US|EP|WO|JP|KR|DE|FR)\s*{_DASH}?\s*(?P<num>\d{{6,12}})(?:\s*{_DASH}?\s*"
    rf"(?P<kc>[A-Z]\d?))?(?![A-Z\d])"
)
# digits standing alone or after Chinese (专利号117446850), never inside a Latin word or a longer number
_LOOSE_DIGITS = re.compile(r"(?<![A-Za-z0-9_.\-/])(?P<num>\d{7,13})(?![A-Za-z0-9_.\-/])")
_LOOSE_PLAN = re.compile(
    rf"(?<![\dA-Z])(?P<a>\d{{8}})\s*{_DASH}?\s*(?P<k>[TZQ])\s*{_DASH}?\s*(?P<b>\d{{3}})(?!\d)"
)
_LOOSE_DOC = re.compile(
    r"(?P<issuer>[\u4e00-\u9fff]{2,10}?)\s*(?P<year>(?:19|20)\d{2})\s*年?\s*第?\s*(?P<num>\d{1,5})\s*号"
)
_KEY = re.compile(r"^(?P<code>[a-z]+)(?:/(?P<kind>[a-z]+))?(?P<num>\d[\d.]*)(?:-(?P<year>\d{4}))?$")


def _overlaps(number, taken):
    return any(number.start < end and start < number.end for start, end in taken)


def loose_numbers(text):
    """Numbers typed loosely, which `parse_numbers` does not read: `XB 617`, `CN-115595458-B`,
    bare patent digits `115595458`, `20220762T469`, `工信部联原2022年90号`."""
    folded = fold(text)
    found, taken = [], []
    for pattern, make in (
        (_LOOSE_PLAN, _loose_plan),
        (_LOOSE_DOC, _loose_doc),
        (_LOOSE_PATENT, _loose_patent),
        (_LOOSE_STANDARD, _loose_standard),
        (_LOOSE_DIGITS, _loose_digits),
    ):
        for m in pattern.finditer(folded):
            number = make(m)
            if number is not None and not _overlaps(number, taken):
                found.append(number)
                taken.append((number.start, number.end))
    return sorted(found, key=lambda n: n.start)


def _loose_plan(m):
    canonical = f"{m.group('a')}-{m.group('k')}-{m.group('b')}"
    return Number("plan", canonical, (canonical.lower(),), m.start(), m.end())


def _loose_doc(m):
    issuer = doc_issuer(m.group("issuer"))
    year, num = m.group("year"), str(int(m.group("num")))
    return Number("doc", f"{issuer}〔{year}〕{num}号", (f"{issuer}{year}-{num}".lower(),), m.start(), m.end())


def _loose_patent(m):
    cc, num, kc = m.group("cc"), m.group("num"), m.group("kc") or ""
    keys = {f"{cc}{num}{kc}".lower(), f"{cc}{num}".lower(), num}
    return Number("patent", f"{cc}{num}{kc}", tuple(sorted(keys)), m.start(), m.end())


def _loose_standard(m):
    canonical, keys = standard(m.group("code"), m.group("kind"), m.group("num"), None)
    return Number("standard", canonical, keys, m.start(), m.end())


def _loose_digits(m):
    return Number("patent", m.group("num"), (m.group("num"),), m.start(), m.end())


def fallback_keys(number):
    """Other keys the same number may be stored under, most specific first: a standard without its
    year, with /T, with or without its kind code; a patent without its kind code or country; a
    document number by year and serial under a shorter issuer.  Never a longer part number: the
    keys of GB/T 12690.1 never reach GB/T 12690.12."""
    best = max(number.keys, key=len)
    out = []
    if number.kind == "standard":
        m = _KEY.match(best)
        if m:
            code, kind, num, year = m.group("code"), m.group("kind"), m.group("num"), m.group("year")
            kinds = [kind] + [k for k in ("t", None, "z") if k != kind]
            for y in [year, None] if year else [None]:
                for k in kinds:
                    key = code + (f"/{k}" if k else "") + num + (f"-{y}" if y else "")
                    if key != best and key not in out:
                        out.append(key)
    elif number.kind == "patent":
        out = sorted((k for k in number.keys if k != best), key=len, reverse=True)
        digits = re.sub(r"\D", "", best)
        if digits and digits not in out and digits != best:
            out.append(digits)
    elif number.kind == "doc":
        out = [k for k in number.keys if k != best]
    return out


def keys_under(key, index_keys):
    """Keys of `index_keys` that a number prefix covers: `xb/t617` → `xb/t617.8`, `xb/t617.8-2023`;
    `gb/t12690.1` → `gb/t12690.1-2003` but never `gb/t12690.12`."""
    return [k for k in index_keys if k.startswith(key) and k[len(key) : len(key) + 1] in (".", "-", ":")]


def doc_keys_like(number, index_keys):
    """Stored document-number keys with the same year and serial whose issuer begins like the typed one
    (`工信部2022-90` → `工信部联原2022-90`)."""
    if number.kind != "doc":
        return []
    m = re.match(r"^(?P<issuer>.+?)(?P<tail>\d{4}-\d+)$", max(number.keys, key=len))
    if not m:
        return []
    issuer, tail = m.group("issuer"), m.group("tail")
    return [k for k in index_keys if k.endswith(tail) and k[:2] == issuer[:2] and k != issuer + tail]
