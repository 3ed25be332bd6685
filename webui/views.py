"""Public pages and the JSON API: one blueprint, each view parse → call core → render."""

import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kb.content import is_valid_id, read_article, safe_article_path
from kb.errors import KbError
from kb.models import TYPE_LABELS
from kb.nearby import similar_numbers
from kb.numbers import loose_numbers, parse_lookup
from kb.search import FILTER_FIELDS, SearchRequest, highlight_html, parse_query
from webui.errors import BadRequest
from webui.services import issues_register, render_markdown, searcher

bp = Blueprint("kb", __name__)
MAX_Q = 1000


def parse_request(args):
    """Query-string arguments to a SearchRequest; bad values raise BadRequest (400)."""
    q = (args.get("q") or "").strip()
    if len(q) > MAX_Q:
        raise BadRequest(f"查询过长（最多 {MAX_Q} 个字符）", field="q")
    try:
        page = int(args.get("page", "1") or 1)
        default = current_app.config["KB"].page_size  # KB_PAGE_SIZE (kb.settings)
        limit = int(args.get("limit") or default)
    except ValueError:
        raise BadRequest("页码和每页条数必须是整数", field="page") from None
    if page < 1 or page > 1000 or limit < 1 or limit > 100:
        raise BadRequest("页码须在 1–1000 之间，每页 1–100 条", field="page")
    sort = args.get("sort", "relevance")
    if sort not in ("relevance", "date"):
        raise BadRequest("排序只能是 relevance 或 date", field="sort")
    filters = {name: [v for v in args.getlist(name) if v] for name in FILTER_FIELDS if args.getlist(name)}
    types = filters.pop("type", [])
    return SearchRequest(q=q, types=types, filters=filters, sort=sort, page=page, limit=limit)


def _run(req):
    """The search; an unknown filter value (UnknownFilterError, a KbError) is the request's mistake:
    400 listing the known ones, with its field (webui.errors)."""
    return searcher().search(req)


def _number_card(page):
    """What the knowledge base knows about the first number the query was read as."""
    return searcher().lookup(page.numbers[0]) if page is not None and page.numbers else None


@bp.route("/")
@bp.route("/search")
def search_page():
    req = parse_request(request.args)
    page = _run(req) if (req.q or req.types or req.filters) else None
    card = _number_card(page)
    similar = _similar_numbers(req.q) if page is not None and not page.total else []
    return render_template(
        "search.html", req=req, page=page, card=card, similar=similar, labels=TYPE_LABELS, args=request.args
    )


def _similar_numbers(text):
    """Known numbers that look like the query, for a search that found nothing."""
    from webui.services import number_register

    return similar_numbers(text, number_register())


@bp.route("/search.json")
@bp.route("/api/search")
def search_json():
    req = parse_request(request.args)
    page = _run(req)
    data = page.as_json()
    data["number_card"] = _number_card(page)
    if not page.total:
        data["similar_numbers"] = [{"number": n, "kind": k} for n, k in _similar_numbers(req.q)]
    from webui.registers import search_json_extras

    return jsonify(search_json_extras(data))


@bp.route("/api/facets")
def facets_json():
    req = parse_request(request.args)
    return jsonify({"query": req.q, "facets": _run(req).facets})


def _load(article_id):
    if not is_valid_id(article_id):  # checked against the id's shape before any lookup
        abort(404)
    config = searcher().config
    path = safe_article_path(config.content_dir, article_id)
    if path is None:
        abort(404)
    try:
        return read_article(path)
    except KbError:
        abort(404)


def _neighbours(article):
    from webui.services import all_documents

    same = [d for d in all_documents() if d.get("issue") == article.issue_slug]
    ids = [d["id"] for d in same]
    if article.id not in ids:
        return None, None
    i = ids.index(article.id)
    return (same[i - 1] if i > 0 else None), (same[i + 1] if i + 1 < len(same) else None)


def _related(article):
    words = article.title[:12]
    req = SearchRequest(q=" OR ".join([words] + article.standards[:2]), limit=6)
    try:
        hits = [h for h in searcher().search(req).hits if h.id != article.id]
    except KbError:
        hits = []
    return hits[:5]


@bp.route("/doc/<article_id>")
def article_page(article_id):
    article = _load(article_id)
    body = render_markdown(article.body)
    q = (request.args.get("q") or "")[:MAX_Q]
    if q:
        body = highlight_html(body, parse_query(q).highlight)
    previous, following = _neighbours(article)
    return render_template(
        "article.html",
        article=article,
        body=body,
        q=q,
        previous=previous,
        following=following,
        related=_related(article),
        labels=TYPE_LABELS,
    )


@bp.route("/a/<article_id>")
def article_short(article_id):
    if not is_valid_id(article_id):
        abort(404)
    return redirect(url_for("kb.article_page", article_id=article_id), code=301)


@bp.route("/api/doc/<article_id>")
def article_json(article_id):
    article = _load(article_id)
    data = article.front_matter()
    data.pop("path", None)
    data["url"] = url_for("kb.article_page", article_id=article.id, _external=True)
    data["body"] = article.body
    data["html"] = render_markdown(article.body)
    return jsonify(data)


def _lookup(number):
    if len(number) > 200:
        raise BadRequest("编号过长", field="number")
    parsed = parse_lookup(number) or next(iter(loose_numbers(number)), None)  # `XB 617`, bare digits
    if parsed is None:
        return None, None
    return parsed, searcher().lookup(number)


@bp.route("/lookup")
def lookup_form():
    number = (request.args.get("number") or request.args.get("q") or "").strip()
    if not number:
        return redirect(url_for("kb.standards_page"))
    return redirect(url_for("kb.lookup_page", number=number))


@bp.route("/lookup/<path:number>")
def lookup_page(number):
    parsed, card = _lookup(number)
    status = 200 if card and card["articles"] else 404
    return render_template("lookup.html", number=number, parsed=parsed, card=card, labels=TYPE_LABELS), status


@bp.route("/api/lookup/<path:number>")
def lookup_json(number):
    parsed, card = _lookup(number)
    if card is None:
        raise BadRequest(f"“{number}”不是可识别的标准号、计划号、专利号或文号", field="number")
    from webui.registers import lookup_extras

    return jsonify(lookup_extras(card, number))


@bp.route("/issues")
def issues_page():
    return render_template("issues.html", issues=issues_register(), labels=TYPE_LABELS)


@bp.route("/healthz")
def healthz():
    """200 with the document count; 503 with the reason while the index is missing, empty or
    being built for the first time."""
    from webui.services import health_problem

    started = time.perf_counter()
    documents, reason = 0, health_problem()
    if reason is None:
        try:
            documents = searcher().current().doc_count()
            reason = None if documents else "索引是空的：content/ 里还没有文章，先导入再建索引"
        except KbError as exc:
            reason = exc.describe()
    body = {
        "ok": reason is None,
        "documents": documents,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }
    if reason:
        body["reason"] = reason
    return jsonify(body), (200 if reason is None else 503)


@bp.route("/opensearch.xml")
def opensearch():
    root = request.url_root.rstrip("/")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>稀土知识库</ShortName>
  <Description>稀土政策、标准与专利知识库</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <Url type="text/html" template="{root}/search?q={{searchTerms}}"/>
  <Url type="application/json" template="{root}/api/search?q={{searchTerms}}"/>
</OpenSearchDescription>"""
    return Response(xml, mimetype="application/opensearchdescription+xml")


def _url_with(**changes):
    """The current search URL with some arguments changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value if isinstance(value, list) else [value]
    return url_for("kb.search_page", **args)


@bp.app_context_processor
def url_helpers():
    def toggle_url(name, value, add):
        values = [v for v in request.args.getlist(name) if v != value]
        if add:
            values.append(value)
        return _url_with(**{name: values or None, "page": None})

    def sort_url(sort):
        return _url_with(sort=sort, page=None)

    def page_url(number):
        return _url_with(page=str(number))

    return {"toggle_url": toggle_url, "sort_url": sort_url, "page_url": page_url}
