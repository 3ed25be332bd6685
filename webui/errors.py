"""Error handling: one JSON shape for the API, error.html for pages; never a traceback."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import KbError

MESSAGES = {400: "请求有误", 403: "没有权限", 404: "找不到该页面", 405: "不支持该请求方法",
            413: "上传的文件太大", 500: "服务器内部错误", 503: "索引暂不可用"}


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
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register(app):
    @app.errorhandler(BadRequest)
    def bad_request(exc):
        return error_response(400, exc.message, exc.field)

    @app.errorhandler(KbError)
    def kb_error(exc):
        return error_response(503, "索引暂不可用：" + exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code or 500, MESSAGES.get(exc.code, exc.name))

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        return error_response(500, MESSAGES[500])
