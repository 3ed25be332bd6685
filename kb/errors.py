"""Errors the library raises for expected mistakes; adapters turn them into messages."""


class KbError(Exception):
    """Base class: an expected failure with a message meant for people."""

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


class ContentError(KbError):
    """A file in content/ is unreadable or invalid."""


class IndexBusyError(KbError):
    """Another build holds the index lock."""


class IndexMissingError(KbError):
    """There is no index yet."""
