"""The `kb` command line: parse options, call the library, print. Nothing else lives here."""

import json
import os
import sys
import threading

import click

from kb.config import load_config
from kb.errors import KbError
from kb.settings import BY_NAME, help_epilog


def _config(ctx, needs_content=True):
    """The Config of this run, resolved on first use (so `kb --help` works anywhere); stops with
    HomeNotFound (exit 2, nothing written) when no knowledge base is found, or when it has no
    content/ folder yet and the command needs one (every command but import).  An import a crash
    interrupted is finished or rolled back here, before the command touches content/."""
    obj = ctx.find_root().obj
    if "config" not in obj:
        from kb.config import require_home
        from kb.journal import recover

        config = load_config(os.environ, **obj["options"])
        require_home(config, named=bool(obj["options"].get("content_dir") or os.environ.get("KB_CONTENT")))
        if os.path.isdir(config.content_dir):
            message = recover(config.content_dir)
            if message:
                click.echo(message, err=True)
        obj["config"] = config
    config = obj["config"]
    if needs_content and not os.path.isdir(config.content_dir):
        from kb.errors import HomeNotFound

        raise HomeNotFound(
            "这里还没有知识库：内容文件夹不存在",
            path=config.content_dir,
            hint="先用 `kb import 文件` 导入文章，或用 --home / KB_HOME 指向已有的知识库",
        )
    return config


def _fail(exc):
    """Stop with the error's message and exit code (kb.errors); --debug adds the traceback.  Called
    from KbGroup.invoke only: commands let every KbError go up to it (one mapping for the CLI)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and (ctx.find_root().obj or {}).get("debug") and sys.exc_info()[1] is not None:
        import traceback

        traceback.print_exc()
    if isinstance(exc, KbError):
        click.echo(f"错误 error: {exc.describe()}", err=True)
        sys.exit(exc.exit_code)
    raise click.ClickException(str(exc))


class KbGroup(click.Group):
    """Every expected failure is one message and its exit code; anything else is one line naming
    the error, with the traceback only under --debug."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KbError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _fail(exc)
        except BrokenPipeError:  # the reader went away (`kb settings | head`): stop quietly, as cat does
            sys.stderr.close()
            os._exit(141)
        except OSError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from kb.storage import disk_error

            _fail(disk_error(exc, exc.filename or "?"))
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"内部错误 internal error: {type(exc).__name__}: {exc}（加 --debug 可看到详细的出错位置）",
                err=True,
            )
            sys.exit(1)


@click.group(
    cls=KbGroup,
    epilog=help_epilog(),
    help="kb — 稀土政策、标准与专利知识库 (rare-earth policy, standards and patents knowledge base).",
)
@click.option("--home", type=click.Path(file_okay=False), help=BY_NAME["home"].help + "（环境变量 KB_HOME）")
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False),
    help=BY_NAME["content_dir"].help + "（环境变量 KB_CONTENT，默认 HOME/content）",
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    help=BY_NAME["index_dir"].help + "（环境变量 KB_INDEX，默认 HOME/index）",
)
@click.option("--debug", is_flag=True, default=None, help=BY_NAME["debug"].help + "（环境变量 KB_DEBUG）")
@click.option(
    "--setting",
    "settings",
    type=(str, str),
    multiple=True,
    metavar="名称 值",
    help="设定任一设置（见下方“设置”），优先于环境变量；可重复",
)
@click.version_option(package_name="kb")
@click.pass_context
def cli(ctx, home, content_dir, index_dir, debug, settings):
    ctx.ensure_object(dict)
    options = dict(settings)
    options.update(
        {
            name: value
            for name, value in (
                ("home", home),
                ("content_dir", content_dir),
                ("index_dir", index_dir),
                ("debug", debug),
            )
            if value is not None
        }
    )
    ctx.obj["options"] = options
    from_env = BY_NAME["debug"].parse(os.environ.get("KB_DEBUG", ""), "环境变量 KB_DEBUG")
    ctx.obj["debug"] = bool(debug) or from_env


def _text_argument(value, what):
    """Command-line text that is not valid UTF-8 (Python keeps the bytes as surrogates) is refused."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        from kb.errors import UsageError

        raise UsageError(
            f"{what}不是有效的 UTF-8 文本", hint="把终端或脚本的编码设为 UTF-8 后再输入"
        ) from None
    return value


# ---------------------------------------------------------------- settings

SOURCES = {"default": "默认", "env": "环境变量", "option": "选项"}


@cli.command(
    "settings", help="Print every setting's effective value and where it came from (secrets masked)."
)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def settings_cmd(ctx, as_json):
    from kb.settings import SETTINGS, resolve

    options = ctx.find_root().obj["options"]
    sources = {name: source for name, (_, source) in resolve(os.environ, **options).items()}
    config = load_config(os.environ, **options)
    rows = [
        {
            "name": s.name,
            "value": s.show(getattr(config, s.name)),
            "source": sources[s.name],
            "env": s.env,
            "default": s.shown_default,
            "help": s.help,
        }
        for s in SETTINGS
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        source = row["source"]
        click.echo(
            f"{row['name']:<{width}}  {row['value']}  （来源：{source} {SOURCES[source]}；{row['env']}）"
        )


# ---------------------------------------------------------------- import / check


@cli.command("import", help="Import raw bulletin issues (or standalone documents) into content/.")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--issue",
    metavar="YYYY-NN",
    help="the issue these files are (e.g. 2020-11); needed when the text names none",
)
@click.option("--dry-run", is_flag=True, help="report what would be written, write nothing")
@click.option(
    "--replace",
    is_flag=True,
    help="make content/<issue>/ exactly this import: remove articles no longer in it",
)
@click.option("--force", is_flag=True, help="overwrite (or with --replace remove) files edited by hand")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of the report")
@click.option(
    "--kind",
    type=click.Choice(["auto", "bulletin", "document"]),
    default="auto",
    help="bulletin (many articles) or one standalone document; auto decides from the text",
)
@click.pass_context
def import_cmd(ctx, files, issue, dry_run, replace, force, as_json, kind):
    from kb.report import import_json, import_report
    from kb.service import ImportService

    config = _config(ctx, needs_content=False)
    run = ImportService(config).import_files(
        files, kind=kind, issue=issue, dry_run=dry_run, replace=replace, force=force
    )
    if as_json:
        data = import_json(run.results, run.reports, run.failures, config.content_dir, dry_run)
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        for review in run.reviews:
            click.echo(import_report(review.result, review.plan, dry_run))
        for failure in run.failures:
            click.echo(f"错误：{failure}", err=True)
        click.echo(run.summary())
    if not run.ok:
        sys.exit(1)


@cli.command(
    help="Validate content/: front matter, duplicate ids, unreadable files; warn on suspicious titles."
)
@click.option(
    "--strict", is_flag=True, help="treat warnings (suspicious titles, repeated titles) as problems"
)
@click.pass_context
def check(ctx, strict):
    from kb.content import iter_paths
    from kb.validate import check_content

    config = _config(ctx)
    warnings = []
    problems = check_content(config.content_dir, warnings)
    for problem in problems:
        click.echo(str(problem))
    for warning in warnings:
        click.echo(f"警告 warning: {warning}")
    count = len(iter_paths(config.content_dir))
    click.echo(f"{count} file(s) checked, {len(problems)} problem(s), {len(warnings)} warning(s).")
    if problems or (strict and warnings):
        sys.exit(1)


# ---------------------------------------------------------------- index


@cli.group(help="Build, update and inspect the search index.")
def index():
    pass


@index.command("build", help="Build a new index beside the live one and swap it in when complete.")
@click.pass_context
def index_build(ctx):
    from kb.service import ImportService

    outcome = ImportService(_config(ctx)).run_index("rebuild", progress=lambda msg: click.echo(msg, err=True))
    _print_stats(outcome.stats)


index.add_command(index_build, "rebuild")


@index.command("update", help="Add, replace and remove only what changed in content/.")
@click.pass_context
def index_update(ctx):
    from kb.service import ImportService

    _print_stats(ImportService(_config(ctx)).run_index("update").stats)


@index.command("status", help="Documents, last build, and what is stale.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def index_status(ctx, as_json):
    from kb.indexer import status

    info = status(_config(ctx))
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=1))
        return
    for key, value in info.items():
        click.echo(f"{key}: {value}")


def _print_stats(stats):
    for problem in stats.get("problems", []):
        click.echo(f"skipped: {problem}", err=True)
    click.echo(", ".join(f"{k}: {v}" for k, v in stats.items() if k != "problems"))
    if stats.get("problems"):
        sys.exit(1)


# ---------------------------------------------------------------- search / lookup


@cli.command(help="Search the knowledge base. QUERY '-' reads one query a line from stdin (JSON lines out).")
@click.argument("query")
@click.option(
    "--type",
    "doc_type",
    help="only this type: policy or 政策, standard_plan or 标准计划, patent or 专利, ...",
)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--explain", is_flag=True, help="print the parsed query")
@click.pass_context
def search(ctx, query, doc_type, limit, sort, as_json, explain):
    from kb.search import Searcher, SearchRequest

    searcher = Searcher.open(_config(ctx), build_if_missing=True)
    queries = [line.rstrip("\n") for line in sys.stdin] if query == "-" else [_text_argument(query, "查询")]
    for text in queries:
        request = SearchRequest(q=text, types=[doc_type] if doc_type else [], limit=limit, sort=sort)
        page = searcher.search(request)  # an unknown filter value: UnknownFilterError, exit 2 (KbGroup)
        if explain:
            click.echo(f"query: {page.parsed}", err=True)
        if as_json or query == "-":
            click.echo(json.dumps(page.as_json(), ensure_ascii=False))
            continue
        for line in search_notes(page):
            click.echo(line)
        click.echo(f"{page.total} 条结果 ({page.took_ms:.1f} ms)")
        for i, hit in enumerate(page.hits, start=1):
            click.echo(f"{i}. [{hit.type}] {hit.title}  ({hit.issue or '-'} {hit.date or ''}) {hit.id}")
            click.echo(f"   {hit.snippet_text}")


def search_notes(page):
    """What the answer did beyond the words typed, in the page's words."""
    lines = []
    for note in page.number_fallbacks:
        used = "、".join(note["used"])
        lines.append(
            f"未找到 {note['typed']}，"
            + (f"列出其下的编号：{used}" if note["how"] == "prefix" else f"按 {used} 查找")
        )
    if page.relaxed:
        lines.append(
            "没有同时包含所有词的结果，以下为部分匹配"
            + (f"（未匹配：{'、'.join(page.dropped)}）" if page.dropped else "")
        )
    if page.suggestion:
        lines.append(f"您是不是要找：{page.suggestion}")
    return lines


@cli.command(help="Everything the knowledge base knows about one number.")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def lookup(ctx, number, as_json):
    from kb.search import Searcher

    searcher = Searcher.open(_config(ctx), build_if_missing=True)
    card = searcher.lookup(_text_argument(number, "编号"))
    if card is None:
        raise click.ClickException(
            f"“{number}” is not a standard, plan, patent or document number kb can read"
        )
    if as_json:
        click.echo(json.dumps(card, ensure_ascii=False, indent=1))
        return
    click.echo(f"{card['kind']}: {card['canonical']}")
    if card.get("how") == "fallback":
        click.echo(f"  未找到 {card['canonical']}，按 {'、'.join(card['used'])} 查找")
    elif card.get("how") == "prefix":
        click.echo(f"  {card['canonical']} 下的编号：{'、'.join(card['under'])}")
    for row in card["plans"]:
        click.echo("  plan: " + ", ".join(f"{k}={v}" for k, v in row.items()))
    for rel in card["related"]:
        click.echo(f"  {rel['relation']}: {rel['number']}")
    for article in card["articles"]:
        click.echo(f"  article: {article['title']} ({article['id']})")
    if not card["articles"]:
        click.echo("  no article mentions it")


# ---------------------------------------------------------------- serve


@cli.command(help="Serve the web UI with a production WSGI server (waitress).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.pass_context
def serve(ctx, host, port, threads):
    """Bind first (a port in use is one line, exit 2), then say where it serves; a missing index is
    built in the background meanwhile (/healthz answers 503 until it is ready)."""
    from waitress import create_server

    from kb import storage
    from kb.storage import live_dir
    from webui import create_app

    config = _config(ctx)
    app = create_app(config)
    try:
        server = create_server(app, host=host, port=port, threads=threads)
    except OSError as exc:
        click.echo(
            f"错误 error: 无法在 {host}:{port} 上服务：{exc.strerror or exc}"
            "（端口已被占用或地址不可用；用 --port 换一个端口）",
            err=True,
        )
        sys.exit(2)
    if live_dir(config) is None:
        _first_build(app, config)
    else:
        try:
            with storage.build_lock(config.index_dir, "serve", lambda m: click.echo(m, err=True)):
                storage.clean(config.index_dir, lambda m: click.echo(m, err=True))
        except KbError:
            pass  # a build or update is running: it cleans up itself
        with app.app_context():  # read columns in the background; a query arriving meanwhile waits for them
            from webui.services import searcher

            searcher().warm_in_background()
    click.echo(
        f"kb serving on http://{host}:{port}/  (内容 {config.content_dir}，索引 {config.index_dir})", err=True
    )
    server.run()


def _first_build(app, config):
    """Build the missing index in a thread; /healthz reports it until it is done."""
    from kb.indexer import rebuild

    state = app.extensions.setdefault("kb_first_build", {"state": "running", "message": ""})
    click.echo("还没有索引：正在后台从 content/ 建立索引（完成前 /healthz 返回 503）", err=True)

    def work():
        try:
            stats = rebuild(config)
            state.update(state="done", message=f"{stats['documents']} documents")
            click.echo(f"索引已建立：{stats['documents']} 篇文章", err=True)
        except KbError as exc:
            state.update(state="failed", message=exc.describe())
            click.echo(f"错误 error: {exc.describe()}", err=True)
        except Exception as exc:  # reported by /healthz and here; the server keeps answering
            state.update(state="failed", message=f"{type(exc).__name__}: {exc}")
            click.echo(f"错误 error: 建立索引失败：{type(exc).__name__}: {exc}", err=True)

    threading.Thread(target=work, name="kb-first-build", daemon=True).start()
