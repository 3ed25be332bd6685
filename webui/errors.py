"""Error handling: one JSON shape for the API, error.html for pages; never a traceback.

KbError is mapped here once, by the status its class carries; routes let it go up.  The admin
blueprint alone renders its own page for it (webui.admin.refused), so the upload form stays.
"""

from flask import jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import KbError

MESSAGES = {
    400: "请求有误",
    403: "没有权限",
    404: "找不到该页面",
    405: "不支持该请求方法",
    409: "有任务正在运行，请稍后再试",
    413: "上传的文件太大",
    414: "网址太长",
    422: "文件内容有误",
    429: "尝试次数太多，请稍后再试",
    431: "请求头太大",
    500: "服务器内部错误",
    503: "索引暂不可用",
    507: "磁盘空间不足或不可写",
}


class BadRequest(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def _wants_json():
    return request.path.startswith("/api/") or request.path.endswith(".json")


def error_response(status, message, field=None):
    if _wants_json():
        body = {"error": {"status": status, "message": message}}
        if field:
            body["error"]["field"] = field
        return make_response(jsonify(body), status)
    return make_response(render_template("error.html", status=status, message=message), status)


def register(app):
    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return error_response(400, exc.message, exc.field)

    @app.errorhandler(KbError)
    def kb_error(exc):  # the one mapping: each error class carries its status (kb.errors)
        status = exc.http_status
        return error_response(status, MESSAGES.get(status, "请求有误") + "：" + exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        response = error_response(exc.code or 500, MESSAGES.get(exc.code, exc.name))
        retry = getattr(exc, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        return error_response(500, MESSAGES[500])
