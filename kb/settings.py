"""Every setting of kb in one table: name, default, environment variable, type and help text.

kb.config builds its Config fields from SETTINGS; the CLI's `kb --help` lists them (and `--setting
NAME VALUE` sets any of them), `kb settings` prints the effective values and where each came from,
and the web app factory reads the same Config.  A new setting is one row here (datasette's
settings are the model); nothing else reads a KB_* variable.

Layers, later ones winning: the default, the environment variable, a command-line option.  A value
that cannot be read (KB_PAGE_SIZE=abc) is a SettingError naming the variable or option: exit 2, no
traceback.
"""

from dataclasses import dataclass
from pathlib import Path

from kb.errors import UsageError

MB = 1024 * 1024
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


class SettingError(UsageError):
    """A setting's value cannot be read (not a whole number, out of range, not a switch)."""


@dataclass(frozen=True)
class Setting:
    name: str  # the Config field
    default: object
    env: str  # the environment variable
    kind: str  # path | str | int | bool
    help: str  # Simplified Chinese, for staff and operators
    option: str | None = None  # a global `kb` option of its own (else `--setting NAME VALUE`)
    secret: bool = False  # masked wherever it is shown
    minimum: int | None = None
    maximum: int | None = None

    @property
    def type(self):
        """The Config field's annotation."""
        base = {"path": Path, "str": str, "int": int, "bool": bool}[self.kind]
        return base | None if self.default is None else base

    def parse(self, raw, where):
        """The value `raw` (text from `where`: `环境变量 KB_X` or `选项 --x`) in this setting's type."""
        if self.kind == "path":
            return Path(raw)
        if self.kind == "str":
            return str(raw)
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in TRUE or text in FALSE:
                return text in TRUE
            raise self._error(raw, where, "不是开关值，应为 1/0、true/false、yes/no 或 on/off")
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise self._error(raw, where, "不是整数") from None
        if self.minimum is not None and value < self.minimum:
            raise self._error(raw, where, f"不能小于 {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise self._error(raw, where, f"不能大于 {self.maximum}")
        return value

    def _error(self, raw, where, why):
        return SettingError(
            f"{where} 的值“{raw}”{why}", field=self.name, hint=f"{self.help}；默认 {self.shown_default}"
        )

    @property
    def shown_default(self):
        if self.default is None:
            return "无"
        if isinstance(self.default, bool):
            return "1" if self.default else "0"
        return str(self.default)

    def show(self, value):
        """The value as `kb settings` prints it: secrets masked."""
        if value is None:
            return "（未设置）"
        if self.secret:
            return "******（已设置）"
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)


SETTINGS = (
    Setting(
        "home",
        None,
        "KB_HOME",
        "path",
        "知识库所在的文件夹（含 content/ 与 index/）；"
        "未设置时：当前文件夹（含 content/ 时），否则 kb 的安装目录",
        option="--home",
    ),
    Setting(
        "content_dir",
        Path("content"),
        "KB_CONTENT",
        "path",
        "文章文件夹（相对路径从知识库文件夹算起）",
        option="--content",
    ),
    Setting(
        "index_dir",
        Path("index"),
        "KB_INDEX",
        "path",
        "索引文件夹（相对路径从知识库文件夹算起）",
        option="--index",
    ),
    Setting(
        "debug", False, "KB_DEBUG", "bool", "出现意外错误时打印完整的出错位置（traceback）", option="--debug"
    ),
    Setting(
        "admin_token",
        None,
        "KB_ADMIN_TOKEN",
        "str",
        "管理页 /admin 的登录令牌；未设置时管理页关闭",
        secret=True,
    ),
    Setting(
        "secret_key",
        None,
        "KB_SECRET_KEY",
        "str",
        "会话 cookie 的签名密钥；设置后重启服务管理员不必重新登录；未设置时每次启动随机生成",
        secret=True,
    ),
    Setting("userdict", None, "KB_USERDICT", "path", "额外的 jieba 词典文件（一行一个词）"),
    Setting(
        "max_upload_bytes",
        5 * MB,
        "KB_MAX_UPLOAD_BYTES",
        "int",
        "管理页上传文件的大小上限（字节）",
        minimum=1,
    ),
    Setting(
        "page_size",
        10,
        "KB_PAGE_SIZE",
        "int",
        "网页搜索结果每页条数（地址里的 limit 优先）",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "index_procs",
        0,
        "KB_INDEX_PROCS",
        "int",
        "建索引的写入进程数；0 表示大批量时每核一个（最多 4 个）",
        minimum=0,
    ),
    Setting(
        "staging_dir",
        None,
        "KB_STAGING",
        "path",
        "上传文件等待确认时存放的私有文件夹；未设置时为 index/.staging",
    ),
    Setting(
        "secure_cookies",
        False,
        "KB_SECURE_COOKIES",
        "bool",
        "即使经由普通 HTTP 也给管理会话 cookie 加 Secure 标记（经由 HTTPS 时总会加）",
    ),
    Setting(
        "proxy_hops",
        0,
        "KB_PROXY_HOPS",
        "int",
        "kb 前面的反向代理层数：登录次数限制按 X-Forwarded-For 里的客户端计算",
        minimum=0,
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def resolve(environ=None, **options):
    """{name: (value, source)} with source `default`, `env` or `option`; options that are None are
    not given.  Raises SettingError naming the variable or option of a value it cannot read."""
    environ = environ or {}
    out = {}
    for setting in SETTINGS:
        value, source = setting.default, "default"
        raw = environ.get(setting.env)
        if raw:  # an empty variable is not set
            value, source = setting.parse(raw, f"环境变量 {setting.env}"), "env"
        given = options.get(setting.name)
        if given is not None:
            where = f"选项 {setting.option}" if setting.option else f"选项 --setting {setting.name}"
            value, source = setting.parse(given, where), "option"
        out[setting.name] = (value, source)
    unknown = sorted(set(options) - set(BY_NAME))
    if unknown:
        raise SettingError(f"没有这个设置：{'、'.join(unknown)}", hint="可用的设置：" + "、".join(BY_NAME))
    return out


def help_epilog():
    """The 设置 section of `kb --help`: every setting, its variable and default (click keeps `\\b`
    paragraphs as they are)."""
    lines = ["设置（环境变量，或 `kb --setting 名称 值`；`kb settings` 显示当前值及来源）：", "", "\b"]
    for setting in SETTINGS:
        option = f"，{setting.option}" if setting.option else ""
        lines.append(f"{setting.env}{option}（{setting.name}，默认 {setting.shown_default}）")
        lines.append(f"    {setting.help}")
    return "\n".join(lines)
