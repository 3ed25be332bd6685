"""Snippets of long texts: the window chosen in arrays is the one the plain loop chooses."""

import random

from kb.snippets import _best_window, _best_window_arrays, make_snippet


def test_window_in_arrays_matches_the_loop():
    rng = random.Random(16)
    for _ in range(300):
        count = rng.randint(2, 400)  # both sides of the 64 matches where arrays take over
        starts = sorted(rng.sample(range(count * 40), count))
        words = [rng.choice(["稀土", "钕铁硼", "出口", "dy", "价格"][: rng.randint(1, 5)]) for _ in starts]
        size = rng.choice([20, 160, 500])
        assert _best_window_arrays(starts, words, size) == _reference(starts, words, size)
        assert _best_window(starts, words, size) == _reference(starts, words, size)


def _reference(starts, words, size):
    best, best_score = starts[0], 0
    for i, start in enumerate(starts):
        window = [w for s, w in zip(starts[i:], words[i:], strict=True) if s < start + size]
        score = len(set(window)) * 100 + len(window)
        if score > best_score:
            best, best_score = start, score
    return best


def test_long_text_snippet_holds_the_densest_window():
    text = ("稀土" + "。" * 300) * 100 + "钕铁硼与稀土出口" + ("稀土" + "。" * 300) * 100
    html = make_snippet(text, ["稀土", "钕铁硼", "出口"])
    assert "<mark>钕铁硼</mark>与<mark>稀土</mark><mark>出口</mark>" in html
    assert html.startswith("…") and html.endswith("…")
