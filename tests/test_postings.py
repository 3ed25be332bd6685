"""Posting blocks read without unpickling them: the same ids and weights as pickle gives."""

import pickle
import random

import numpy as np
import pytest

from kb.engine.postings import _ids_and_weights


@pytest.mark.parametrize("protocol", [2, 3])
def test_ids_and_weights_equal_unpickled(protocol):
    rng = random.Random(protocol)
    for _ in range(200):
        count = rng.randint(4, 128)
        # deltas of every size: one byte, two bytes, four bytes (a block's absolute first id)
        ids = tuple(
            rng.choice([rng.randint(0, 255), rng.randint(256, 65535), rng.randint(65536, 2**31 - 1)])
            for _ in range(count)
        )
        weights = rng.choice([None, 2.0, tuple(float(np.float32(rng.random() * 9)) for _ in range(count))])
        values = tuple(bytes(rng.randrange(256) for _ in range(rng.randint(0, 6))) for _ in range(count))
        data = pickle.dumps((ids, weights, values), protocol)
        got_ids, got_weights = _ids_and_weights(data, count)
        assert list(got_ids) == list(ids)
        if isinstance(weights, tuple):
            assert list(got_weights) == list(weights)
        else:
            assert got_weights == weights


def test_other_shapes_are_left_to_pickle():
    assert _ids_and_weights(pickle.dumps(((1, 2, 3), None, ()), 2), 3) is None  # short tuples: no MARK
    assert _ids_and_weights(pickle.dumps((tuple(range(5)), None, ()), 4), 5) is None  # framed protocol
    assert _ids_and_weights(pickle.dumps(([1, 2, 3, 4], None, ()), 2), 4) is None  # a list, not a tuple
