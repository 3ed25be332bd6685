"""What a search that found nothing can still offer: the known numbers that look like the one typed.

A staff member who types 20220747T496 or gb/t 4137-2016 means a number the knowledge base may well
hold under another digit.  Every canonical number the index stores (standards, plan numbers,
patents, document numbers) is compared with what was typed, letters and digits only, by rapidfuzz's
weighted ratio; the close ones are offered, best first.
"""

import re

from rapidfuzz import fuzz, process

NUMBER_FIELDS = {"standards": "标准", "plan_numbers": "计划号", "patents": "专利", "doc_numbers": "文号"}
SIMILAR_CUTOFF = 70  # weighted ratio (0-100) a known number needs to be offered
SIMILAR_LIMIT = 5
MIN_DIGITS = 3  # a query with fewer digits is not read as a number

_NOT_KEY = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


def fold_number(text):
    """Letters, digits and Chinese characters of a number, lower-case: `GB/T 4137-2015` → gbt41372015."""
    return _NOT_KEY.sub("", (text or "").lower())


def known_numbers(documents):
    """{canonical number: kind label} over the stored fields of every indexed document."""
    known = {}
    for document in documents:
        for field, label in NUMBER_FIELDS.items():
            for number in (document.get(field) or "").split(","):
                if number.strip():
                    known.setdefault(number.strip(), label)
    return known


def similar_numbers(typed, known, limit=SIMILAR_LIMIT, cutoff=SIMILAR_CUTOFF):
    """[(number, kind label)] of known numbers that look like `typed`, best first; [] when `typed`
    holds fewer than MIN_DIGITS digits."""
    wanted = fold_number(typed)
    if sum(ch.isdigit() for ch in wanted) < MIN_DIGITS or not known:
        return []
    choices = {number: fold_number(number) for number in known}
    found = process.extract(wanted, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff)
    return [(number, known[number]) for _, _, number in found if choices[number] != wanted]
