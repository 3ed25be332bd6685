"""Register pages on the `kb` blueprint: prices, standards, patents, policies, and their CSV / JSON.

Each view reads the article records once per index generation, calls a pure register
function in kb/ and renders HTML, JSON (UTF-8, paged with `next_url`) or CSV (UTF-8 with a
BOM so that Excel opens it as Unicode).
"""

import csv
import io
import re

from flask import Response, abort, current_app, jsonify, render_template, request, url_for

from kb.content import safe_article_path
from kb.errors import KbError
from kb.frontmatter import parse_frontmatter
from kb.hittext import document_body, read_body
from kb.prices import build_products, match_products
from kb.registers import build_patents, build_policies, filter_policies, find_patent, is_policy, policy_row
from kb.standards import STAGES, build_register, filter_register, find
from webui.errors import BadRequest
from webui.services import all_documents, searcher
from webui.views import bp, parse_request

POLICY_KEYS = ("issuer", "doc_number", "published", "effective", "validity")
MAX_LIMIT = 1000
SEARCH_CSV_ROWS = 1000
# Cells a spreadsheet would read as a formula (=, @, or + / - not starting a number such as -7.51%).
FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![\d.]))")

PRICE_COLUMNS = (
    ("product", "产品"),
    ("purity", "纯度"),
    ("unit", "单位"),
    ("period", "月份"),
    ("price", "均价"),
    ("change", "环比"),
    ("kind", "数据"),
    ("article_id", "文章"),
)
STANDARD_COLUMNS = (
    ("number", "编号"),
    ("kind", "类别"),
    ("name", "名称"),
    ("nature", "性质"),
    ("action", "制修订"),
    ("status", "最新阶段"),
    ("plan_number", "计划号"),
    ("foreign_plan_number", "外文版计划号"),
    ("replaces", "代替"),
    ("replaced_by", "被代替"),
    ("committee", "归口单位"),
    ("drafters", "起草单位"),
    ("stages", "阶段"),
)
PATENT_COLUMNS = (
    ("number", "公开号"),
    ("title", "名称"),
    ("applicant", "申请人"),
    ("inventors", "发明人"),
    ("published", "公开日"),
    ("abstract", "摘要"),
    ("article_id", "文章"),
)
POLICY_COLUMNS = (
    ("title", "标题"),
    ("issuer", "发文机关"),
    ("doc_number", "发文字号"),
    ("published", "发布日期"),
    ("effective", "施行日期"),
    ("validity", "效力/期限"),
    ("id", "文章"),
)
SEARCH_COLUMNS = (
    ("rank", "序号"),
    ("title", "标题"),
    ("type", "类型"),
    ("section", "栏目"),
    ("issue", "期号"),
    ("date", "日期"),
    ("url", "链接"),
)


# ------------------------------------------------------------------ data (cached per index generation)


def _policy_extras(record):
    """Front-matter keys of a policy file that the index does not store (issuer, dates, validity),
    and its body when the record has none (the index does not store bodies)."""
    path = safe_article_path(searcher().config.content_dir, record["id"])
    if path is None:
        return {}
    try:
        meta, body = parse_frontmatter(path.read_text(encoding="utf-8"), path)
    except (KbError, OSError, UnicodeDecodeError):
        return {}
    extras = {key: meta[key] for key in POLICY_KEYS if meta.get(key)}
    if not record.get("body"):  # the index does not store bodies: the file's, as the index read it
        extras["body"] = document_body(body, meta.get("patents"))
    return extras


def _record(doc):
    meta = doc.get("meta") or {}
    body = doc.get("body")
    if body is None and (meta.get("prices") or meta.get("standards") or meta.get("plans")):
        # the index does not store bodies: the price and standard registers read them from the file
        # (policies: _policy_extras reads the file anyway)
        body = read_body(searcher().config.content_dir, doc)
    return {
        "id": doc["id"],
        "title": doc.get("title", ""),
        "type": doc.get("type", ""),
        "date": doc.get("date", ""),
        "issue": doc.get("issue", ""),
        "source": doc.get("source", ""),
        "body": body or "",
        **{k: v for k, v in meta.items() if k != "issue"},
    }


def _with_extras(record):
    return {**record, **_policy_extras(record)} if is_policy(record) else record


BUILDERS = {
    "products": lambda records: build_products(r for r in records if r.get("prices")),
    "standards": lambda records: build_register([r for r in records if r.get("standards") or r.get("plans")]),
    "patents": lambda records: build_patents(r for r in records if r.get("patents")),
    "policies": lambda records: build_policies([_with_extras(r) for r in records if is_policy(r)]),
}


def registers(name):
    """One register ("products", "standards", "patents", "policies"), built on first use and kept until
    the index changes; a page needing only prices never builds the others."""
    documents = all_documents()
    app = current_app._get_current_object()
    cache = app.extensions.get("kb_registers")
    if not cache or cache["documents"] is not documents:
        cache = {"documents": documents, "records": [_record(d) for d in documents]}
        app.extensions["kb_registers"] = cache
    if name not in cache:
        cache[name] = BUILDERS[name](cache["records"])
    return cache[name]


def product_cards(query):
    """Products a search query asks about, for the card above the results (empty when none)."""
    try:
        return match_products(query, registers("products"))
    except KbError:
        return []


def standard_life(number):
    """Register entries about a looked-up number, for the life panel of /lookup."""
    try:
        return find(registers("standards"), number) or []
    except KbError:
        return []


def patent_card(number):
    try:
        return find_patent(registers("patents"), number)
    except KbError:
        return None


def article_panel(article):
    """What the registers know about one article: its price rows, standards and policy fields."""
    products = standards = []
    if article.prices:
        products = [p for p in registers("products") if any(pt.article_id == article.id for pt in p.points)]
    if article.standards or article.plans:
        standards = [e for e in registers("standards") if any(s.article_id == article.id for s in e.stages)]
    record = {
        "id": article.id,
        "title": article.title,
        "type": article.type,
        "date": article.date or "",
        "issue": article.issue_slug,
        "source": article.source or "",
        "body": article.body,
        "doc_numbers": article.doc_numbers,
    }
    policy = policy_row(_with_extras(record)) if is_policy(record) else None
    return {"products": products, "standards": standards, "policy": policy}


# ------------------------------------------------------------------ export helpers


def _paging():
    try:
        page = int(request.args.get("page", "1") or 1)
        limit = int(request.args.get("limit", "100") or 100)
    except ValueError:
        raise BadRequest("页码和每页条数必须是整数", field="page") from None
    if page < 1 or limit < 1 or limit > MAX_LIMIT:
        raise BadRequest(f"页码须大于 0，每页 1–{MAX_LIMIT} 条", field="page")
    return page, limit


def json_rows(rows, **extra):
    """A paged JSON answer: rows, total, page, limit and next_url (None on the last page)."""
    page, limit = _paging()
    chunk = rows[(page - 1) * limit : page * limit]
    next_url = None
    if page * limit < len(rows):
        args = request.args.to_dict(flat=False)
        args["page"] = [str(page + 1)]
        next_url = url_for(request.endpoint, _external=True, **request.view_args, **args)
    return jsonify(
        {"total": len(rows), "page": page, "limit": limit, "next_url": next_url, "rows": chunk, **extra}
    )


def _cell(value):
    if isinstance(value, list):
        return "；".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v)
    text = "" if value is None else str(value)
    if FORMULA.match(text):  # a spreadsheet would run it: keep it text
        return "'" + text
    return text


def csv_response(rows, columns, name):
    """CSV with a header of Chinese column names, UTF-8 with a BOM, as a download."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _key, label in columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key, _label in columns])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}.csv"
    return response


def export_links(endpoint, **values):
    args = {**request.args.to_dict(), **values}
    args.pop("page", None)
    return {"csv": url_for(endpoint, fmt="csv", **args), "json": url_for(endpoint, fmt="json", **args)}


def _format(fmt):
    if fmt not in (None, "csv", "json"):
        abort(404)
    return fmt


# ------------------------------------------------------------------ prices


def _price_points(products):
    return [
        {"product": p.name, "purity": p.purity, "unit": p.unit, **vars(pt)}
        for p in products
        for pt in p.points
    ]


def monthly_series(points):
    """Every month from the first to the last point; months no table reports are None (a gap in
    the line, not a straight line drawn through months nobody priced)."""
    if not points:
        return {"periods": [], "prices": []}
    known = {p.period: p.price for p in points}
    year, month = int(points[0].period[:4]), int(points[0].period[5:7])
    periods = []
    while True:
        period = f"{year}-{month:02d}"
        periods.append(period)
        if period >= points[-1].period:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return {"periods": periods, "prices": [known.get(p) for p in periods]}


@bp.route("/prices")
@bp.route("/prices.<fmt>")
def prices_page(fmt=None):
    products = registers("products")
    if _format(fmt) == "json":
        return json_rows([p.as_json() for p in products])
    if fmt == "csv":
        return csv_response(_price_points(products), PRICE_COLUMNS, "prices")
    return render_template("prices.html", products=products, exports=export_links("kb.prices_page"))


@bp.route("/price/<path:key>")
def price_page(key):
    fmt = None
    for suffix in ("csv", "json"):
        if key.endswith("." + suffix):
            key, fmt = key[: -len(suffix) - 1], suffix
    product = next((p for p in registers("products") if p.key == key), None)
    if product is None:
        abort(404)
    if fmt == "json":
        return jsonify(product.as_json())
    if fmt == "csv":
        return csv_response(_price_points([product]), PRICE_COLUMNS, "price")
    series = {**monthly_series(product.points), "label": f"{product.name} {product.purity}（{product.unit}）"}
    return render_template(
        "price.html",
        product=product,
        series=series,
        exports={
            "csv": url_for("kb.price_page", key=key + ".csv"),
            "json": url_for("kb.price_page", key=key + ".json"),
        },
    )


# ------------------------------------------------------------------ standards


def _standard_filters():
    args = request.args
    values = {name: (args.get(name) or "").strip()[:100] for name in ("stage", "committee", "year")}
    values["text"] = (args.get("filter") or args.get("q") or "").strip()[:100]
    if values["stage"] and values["stage"] not in STAGES + ("提及",):
        raise BadRequest("阶段只能是：" + "、".join(STAGES + ("提及",)), field="stage")
    return values


@bp.route("/standards")
@bp.route("/standards.<fmt>")
def standards_page(fmt=None):
    register = registers("standards")
    filters = _standard_filters()
    rows = filter_register(register, **filters)
    sort = request.args.get("sort", "number")
    keys = {
        "number": lambda e: e.number,
        "name": lambda e: e.name,
        "status": lambda e: e.status,
        "committee": lambda e: e.committee,
        "year": lambda e: e.year,
    }
    rows = sorted(rows, key=lambda e: (keys.get(sort, keys["number"])(e) or "", e.number))
    if _format(fmt) == "json":
        return json_rows([e.as_json() for e in rows])
    if fmt == "csv":
        return csv_response(
            [
                e.as_json()
                | {
                    "stages": [f"{s.stage} {s.date}" for s in e.stages],
                    "replaced_by": e.replaced_by_numbers(),
                }
                for e in rows
            ],
            STANDARD_COLUMNS,
            "standards",
        )
    committees = sorted({e.committee for e in register if e.committee})
    years = sorted({s.date[:4] for e in register for s in e.stages if s.date}, reverse=True)
    return render_template(
        "standards.html",
        rows=rows,
        total=len(register),
        filters=filters,
        sort=sort,
        stages=STAGES + ("提及",),
        committees=committees,
        years=years,
        exports=export_links("kb.standards_page"),
    )


# ------------------------------------------------------------------ patents and policies


@bp.route("/patents")
@bp.route("/patents.<fmt>")
def patents_page(fmt=None):
    rows = registers("patents")
    text = (request.args.get("filter") or "").strip()[:100]
    if text:
        rows = [r for r in rows if any(text in str(v) for v in r.values())] or (
            [r] if (r := find_patent(rows, text)) else []
        )
    if _format(fmt) == "json":
        return json_rows(rows)
    if fmt == "csv":
        return csv_response(rows, PATENT_COLUMNS, "patents")
    return render_template("patents.html", rows=rows, text=text, exports=export_links("kb.patents_page"))


@bp.route("/policies")
@bp.route("/policies.<fmt>")
def policies_page(fmt=None):
    every = registers("policies")
    filters = {
        name: (request.args.get(name) or "").strip()[:100]
        for name in ("issuer", "doc_number", "year", "validity", "text")
    }
    rows = filter_policies(every, **filters)
    if _format(fmt) == "json":
        return json_rows(rows)
    if fmt == "csv":
        return csv_response(rows, POLICY_COLUMNS, "policies")
    issuers = sorted({r["issuer"] for r in every if r["issuer"]})
    years = sorted({r["published"][:4] for r in every if r["published"]}, reverse=True)
    return render_template(
        "policies.html",
        rows=rows,
        total=len(every),
        filters=filters,
        issuers=issuers,
        years=years,
        exports=export_links("kb.policies_page"),
    )


# ------------------------------------------------------------------ search results as CSV


def hit_links(hit):
    """The page and API addresses of one search hit."""
    return {
        "url": url_for("kb.article_page", article_id=hit["id"], _external=True),
        "api_url": url_for("kb.article_json", article_id=hit["id"], _external=True),
    }


def search_json_extras(data):
    """Add url / api_url to hits and next_url to the answer; drop repository file paths."""
    for hit in data.get("hits", []):
        hit.pop("path", None)
        hit.update(hit_links(hit))
    next_url = None
    if data.get("page", 1) < data.get("pages", 1):
        args = request.args.to_dict(flat=False)
        args["page"] = [str(data["page"] + 1)]
        next_url = url_for("kb.search_json", _external=True, **args)
    data["next_url"] = next_url
    for article in (data.get("number_card") or {}).get("articles", []):
        article.update(hit_links(article))
    return data


def lookup_extras(card, number):
    """The lookup answer plus the number's life in the standards register and its patent record."""
    card["life"] = [e.as_json() for e in standard_life(number)]
    card["patent"] = patent_card(number)
    for article in card.get("articles", []):
        article.update(hit_links(article))
    return card


@bp.route("/search.csv")
def search_csv():
    """Every hit of a search, best first, up to SEARCH_CSV_ROWS, as CSV."""
    req = parse_request(request.args)
    if not (req.q or req.types or req.filters):
        raise BadRequest("请输入检索词", field="q")
    req.limit, req.page, rows = 100, 1, []
    while len(rows) < SEARCH_CSV_ROWS:
        page = searcher().search(req)
        for hit in page.hits:
            rows.append(
                {
                    "rank": len(rows) + 1,
                    "title": hit.title,
                    "type": hit.type,
                    "section": hit.section,
                    "issue": hit.issue,
                    "date": hit.date,
                    **hit_links({"id": hit.id}),
                }
            )
        if page.page >= page.pages or not page.hits:
            break
        req.page += 1
    return csv_response(rows[:SEARCH_CSV_ROWS], SEARCH_COLUMNS, "search")


@bp.app_context_processor
def register_helpers():
    return {
        "product_cards": product_cards,
        "standard_life": standard_life,
        "patent_card": patent_card,
        "article_panel": article_panel,
    }


@bp.app_template_filter("trend")
def trend(change):
    """CSS class of a printed change: up (red, as Chinese market tables colour rises), down, or flat."""
    text = str(change or "").strip()
    if not text or re.fullmatch(r"[+-]?0+(?:\.0+)?%?", text):
        return ""
    return "down" if text.startswith("-") else "up"
