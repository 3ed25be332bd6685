"""Price rows of every issue as products and series (pure functions over article records).

An article record is a dict with `id`, `title`, `date`, `issue` (slug), `body` and `prices`
(front-matter rows: product, purity, previous, current, change).  A product is its
normalised name plus its purity grade; each table row gives two points of its series,
this month's price and the previous month's, and a month's own table wins over the
next month's "previous" column.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from kb.elements import RARE_EARTHS

# Rare-earth element symbols and the character that names each element in Chinese.
ELEMENTS = {symbol: char for char, symbol in RARE_EARTHS.items()}
ELEMENT_CHARS = set(ELEMENTS.values())

# Name rules: (pattern, replacement, why), applied in order to the folded, space-free name.
NAME_RULES = (
    (r"^(.+?)金属$", r"金属\1", "“镨钕金属”与“金属镨钕”是同一产品"),
    (r"^(\d+(?:\.\d+)?%)(.+)$", r"\2", "纯度写在名称前（99.99%氧化铕）时移入纯度"),
)
# Purity rules, applied to the folded text: LaTeX and full-width signs to plain ones.
PURITY_RULES = (
    (r"\$?\\geq?\s*", "≥"),
    (r"\\%", "%"),
    (r"\$", ""),
    (r"[≧⩾]", "≥"),
    (r">=", "≥"),
    (r"\s+", ""),
    (r"([A-Z][a-z]?2O3)(\d)", r"\1 \2"),  # Nd2O375% → Nd2O3 75% (formula, then its share)
    (r"%(?=[A-Z])", "% "),  # ≥99%Gd75% → ≥99% Gd75%
)
# A unit named in the table caption or header, e.g. （单位：公斤） meaning 元/公斤.
UNIT_RULES = (
    (r"单位[：:]\s*(?:元\s*/\s*)?(?:公斤|千克|kg)", "元/公斤"),
    (r"单位[：:]\s*万元\s*/\s*吨", "万元/吨"),
    (r"单位[：:]\s*(?:元\s*/\s*)?吨", "元/吨"),
)
DEFAULT_UNIT = "元/公斤"
PRICE_WORDS = ("价格", "均价", "报价", "行情", "走势", "价钱", "多少钱")


@dataclass
class PricePoint:
    period: str  # YYYY-MM
    price: float
    change: str  # as printed, e.g. -7.51%
    kind: str  # "current": the month's own average; "previous": the next table's previous month
    article_id: str
    title: str


@dataclass
class Product:
    key: str
    name: str
    purity: str
    unit: str
    points: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # corrections made to the printed rows

    @property
    def latest(self):
        return self.points[-1] if self.points else None

    def as_json(self):
        latest = self.latest
        return {
            "key": self.key,
            "name": self.name,
            "purity": self.purity,
            "unit": self.unit,
            "latest_period": latest.period if latest else "",
            "latest_price": latest.price if latest else None,
            "latest_change": latest.change if latest else "",
            "notes": self.notes,
            "points": [vars(p) for p in self.points],
        }


def fold(text):
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def normalise_purity(text):
    text = fold(text)
    for pattern, replacement in PURITY_RULES:
        text = re.sub(pattern, replacement, text)
    return text


def normalise_name(name, purity=""):
    """(name, note): the product name in one spelling; note says what was corrected, or ""."""
    name = re.sub(r"\s+", "", fold(name))
    for pattern, replacement, _why in NAME_RULES:
        name = re.sub(pattern, replacement, name)
    return _name_from_symbol(name, purity)


def _doubtful(name):
    """A note when a name in a rare-earth price table names no rare-earth element (氧化铟: a misread)."""
    if any(c in ELEMENT_CHARS for c in name) or "稀土" in name:
        return ""
    return f"“{name}”不含稀土元素名，疑为识别错误，请核对原文"


def _name_from_symbol(name, purity):
    """An alloy's content spec names its element (钆铁 ≥99% Gd75%): a name naming another one is misread."""
    symbols = [
        s for s in re.findall(r"(?<![A-Za-z])([A-Z][a-z]?)(?=\d+(?:\.\d+)?%)", purity) if s in ELEMENTS
    ]
    named = [c for c in name if c in ELEMENT_CHARS]
    if len(symbols) != 1 or len(named) != 1 or "2O3" in purity:
        return name, ""
    wanted = ELEMENTS[symbols[0]]
    if named[0] == wanted:
        return name, ""
    fixed = name.replace(named[0], wanted)
    return fixed, f"“{name}”按纯度中的 {symbols[0]} 更正为“{fixed}”"


def product_key(name, purity):
    return (name + " " + re.sub(r"\s+", "", purity)).strip()


def _month(text):
    m = re.search(r"((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})", fold(text))
    return f"{m.group(1)}-{int(m.group(2)):02d}" if m and 1 <= int(m.group(2)) <= 12 else ""


def _previous_month(period):
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def record_period(record):
    """The month a price table reports: the article's date, else a month in its title, else its issue."""
    return (
        _month(record.get("date") or "")
        or _month(record.get("title") or "")
        or _month(record.get("issue") or "")
    )


def record_unit(record):
    body = fold(record.get("body") or "")
    for pattern, unit in UNIT_RULES:
        if re.search(pattern, body, flags=re.IGNORECASE):
            return unit
    return DEFAULT_UNIT


def _number(value):
    try:
        return float(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def iter_rows(record):
    """Normalised rows of one article: dicts with key, name, purity, unit, period, prices and note."""
    period = record_period(record)
    unit = record_unit(record)
    for row in record.get("prices") or []:
        if not isinstance(row, dict) or not row.get("product"):
            continue
        purity = normalise_purity(row.get("purity", ""))
        name, note = normalise_name(row["product"], purity)
        note = note or _doubtful(name)
        yield {
            "key": product_key(name, purity),
            "name": name,
            "purity": purity,
            "unit": unit,
            "period": period,
            "previous": _number(row.get("previous")),
            "current": _number(row.get("current")),
            "change": fold(row.get("change", "")),
            "printed": fold(row["product"]),
            "note": note,
        }


def build_products(records):
    """Every product priced in `records`, in the order the tables first list them, each with its series
    sorted by month."""
    products = {}
    points = {}  # (key, period) -> PricePoint; a month's own figure beats a later table's "previous"
    for record in records:
        for row in iter_rows(record):
            product = products.setdefault(
                row["key"], Product(row["key"], row["name"], row["purity"], row["unit"])
            )
            if row["note"] and row["note"] not in product.notes:
                product.notes.append(row["note"])
            if not row["period"]:
                continue
            made = [("current", row["period"], row["current"], row["change"])]
            made.append(("previous", _previous_month(row["period"]), row["previous"], ""))
            for kind, period, price, change in made:
                if price is None:
                    continue
                old = points.get((row["key"], period))
                if old is None or (old.kind == "previous" and kind == "current"):
                    points[(row["key"], period)] = PricePoint(
                        period, price, change, kind, record["id"], record.get("title", "")
                    )
    for (key, _period), point in points.items():
        products[key].points.append(point)
    for product in products.values():
        product.points.sort(key=lambda p: p.period)
    return list(products.values())  # in the order the tables list them


def match_products(query, products, limit=3):
    """Products a typed query asks about: `氧化镨钕 价格` → 氧化镨钕; `镨钕价格` → every 镨钕 product."""
    text = re.sub(r"\s+", " ", fold(query))
    if not text:
        return []
    asks_price = any(word in text for word in PRICE_WORDS)
    bare = text
    for word in PRICE_WORDS:
        bare = bare.replace(word, " ")
    words = [w for w in bare.split() if len(w) >= 2]
    squeezed = text.replace(" ", "")
    taken, exact = set(), []
    for name in sorted({p.name for p in products}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), squeezed):
            span = set(range(m.start(), m.end()))
            if not span & taken:  # 氧化镨 inside 氧化镨钕 is not a second product
                taken |= span
                exact.extend(p for p in products if p.name == name)
                break
    if exact:
        return exact[:limit]
    if asks_price and words:
        return [p for p in products if any(w in p.name for w in words)][:limit]
    return []
