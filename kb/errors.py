"""Errors the library raises for expected mistakes; adapters turn them into messages.

Each class carries what an adapter needs to answer without a table of its own: `exit_code` for the
command line and `http_status` for the web.
"""


class KbError(Exception):
    """Base class: an expected failure with a message meant for people."""

    exit_code = 1
    http_status = 400

    def __init__(self, message, *, path=None, line=None, field=None, hint=None):
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        self.hint = hint
        super().__init__(self.describe())

    def describe(self):
        where = ""
        if self.path:
            where = str(self.path)
            if self.line:
                where += f":{self.line}"
            where += ": "
        text = where + (f"{self.field}: " if self.field else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class BulletinError(KbError):
    """A raw bulletin cannot be read or imported."""

    http_status = 400


class ContentError(KbError):
    """A file in content/ is unreadable or invalid."""

    http_status = 422


class IndexBusyError(KbError):
    """Another build holds the index lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later
    http_status = 409


class ImportBusyError(IndexBusyError):
    """Another import is writing into content/."""


class IndexMissingError(KbError):
    """There is no index yet."""

    exit_code = 2
    http_status = 503


class HomeNotFound(KbError):
    """No knowledge base where kb looked, and none was named."""

    exit_code = 2
    http_status = 503


class StorageError(KbError):
    """The disk refused a write (full, read-only, no permission); nothing live was changed."""

    exit_code = 1
    http_status = 507


class UsageError(KbError):
    """A command-line argument kb cannot use (e.g. bytes that are not text)."""

    exit_code = 2
