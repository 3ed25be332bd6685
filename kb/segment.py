"""Word segmentation: jieba's algorithm and dictionary, run by rjieba when it is installed.

rjieba is the Rust port of jieba (same dictionary, same DAG and HMM), about
thirty times faster and quicker to load.  It differs from jieba in one place:
a run of Latin letters and digits joined by `-`, `_` or `.` that is not a
dictionary word ("2024-01", "nd-fe-b") comes out whole, where jieba splits it
with its finalseg rule into "2024", "-", "01".  `RustSegmenter` applies that
rule, so both engines give the same words at the same offsets; the test suite
proves it on the shipped content and on real laws.

`JiebaSegmenter` is the reference and the fallback when rjieba is missing.
"""

import logging
import re
from pathlib import Path

# jieba's user-dictionary line: word, optional frequency, optional part-of-speech tag
_USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")
# jieba's finalseg split of a non-Han run: Latin/digit words, a decimal part, a percent sign
_FINALSEG_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_HAN = re.compile(r"[\u4E00-\u9FD5]")
# A Latin letter or digit beside a character that is neither one nor Han: where a word the finalseg
# rule splits can be (a word holding Han is never split); text without one needs no per-word check.
_JOINED = re.compile(r"[a-zA-Z0-9][^a-zA-Z0-9\u4E00-\u9FD5]|[^a-zA-Z0-9\u4E00-\u9FD5][a-zA-Z0-9]")


def read_userdict(path):
    """(word, freq or None, tag or None) for each line of a jieba user dictionary."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip().lstrip("\ufeff")
            if not line:
                continue
            word, freq, tag = _USERDICT_LINE.match(line).groups()
            yield word, int(freq) if freq else None, tag.strip() if tag else None


class JiebaSegmenter:
    """The reference engine: jieba's own Python tokenizer."""

    name = "jieba"

    def __init__(self):
        import jieba

        jieba.setLogLevel(logging.ERROR)
        logging.getLogger("jieba").setLevel(logging.ERROR)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()

    def add_dict(self, path):
        for word, freq, tag in read_userdict(path):
            self._jieba.add_word(word, freq, tag)

    def tokenize(self, text):
        """(word, start, end) in character offsets, jieba's default mode with HMM."""
        return self._jieba.tokenize(text, mode="default", HMM=True)

    def words(self, text):
        """The words of tokenize(text), without offsets."""
        return [word for word, _, _ in self.tokenize(text)]

    def has_word(self, word):
        return bool(self._jieba.FREQ.get(word))


class RustSegmenter:
    """rjieba, with jieba's finalseg rule for joined Latin runs."""

    name = "rjieba"

    def __init__(self):
        self._jieba = _rjieba_class()()

    def add_dict(self, path):
        for word, freq, tag in read_userdict(path):
            self._jieba.add_word(word, freq, tag)

    def tokenize(self, text):
        has_word = self._jieba.has_word
        for word, start, end in self._jieba.tokenize(text, "default", True):
            if len(word) > 1 and not word.isalnum() and not _HAN.search(word) and not has_word(word):
                for piece in _FINALSEG_SKIP.split(word):
                    if piece:
                        yield piece, start, start + len(piece)
                        start += len(piece)
            else:
                yield word, start, end

    def words(self, text):
        """The words of tokenize(text), without offsets: rjieba's list as it is unless the text has
        a place where the finalseg rule could split a word."""
        words = self._jieba.cut(text, True)
        if _JOINED.search(text) is None:
            return words
        has_word = self._jieba.has_word
        out = []
        for word in words:
            if len(word) > 1 and not word.isalnum() and not _HAN.search(word) and not has_word(word):
                out.extend(piece for piece in _FINALSEG_SKIP.split(word) if piece)
            else:
                out.append(word)
        return out

    def has_word(self, word):
        return self._jieba.has_word(word)


def _rjieba_class():
    """rjieba's Jieba class.  Its package's __init__ builds a default instance at import (a whole
    dictionary load, 0.2 s) that kb never uses: the compiled module is loaded without it when it is
    where rjieba keeps it (and registered, so a later `import rjieba` finds it)."""
    import importlib.machinery
    import importlib.util
    import sys

    module = sys.modules.get("rjieba.rjieba")
    if module is None:
        spec = importlib.util.find_spec("rjieba")
        if spec is None:
            raise ImportError("rjieba is not installed")
        for folder in spec.submodule_search_locations or ():
            for path in sorted(Path(folder).glob("rjieba*.so")):
                loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(path))
                compiled = importlib.util.spec_from_file_location("rjieba.rjieba", path, loader=loader)
                module = importlib.util.module_from_spec(compiled)
                loader.exec_module(module)
                sys.modules["rjieba.rjieba"] = module
                break
            if module is not None:
                break
    if module is None:  # laid out otherwise: the ordinary import
        import rjieba

        return rjieba.Jieba
    return module.Jieba


def best_engine():
    """rjieba when it imports, else jieba."""
    try:
        _rjieba_class()
    except ImportError:
        return JiebaSegmenter
    return RustSegmenter


def load(engine, dictionaries):
    """An engine with the given user dictionaries (paths) loaded in order."""
    segmenter = engine()
    for path in dictionaries:
        if path and Path(path).is_file():
            segmenter.add_dict(path)
    return segmenter
