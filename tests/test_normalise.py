"""One normalisation of returned values (law 8): honest kinds become plain data, the rest stays."""

from collections import OrderedDict, namedtuple

import numpy as np
import torch

from autograder.normalise import normalise

Row = namedtuple("Row", "type output_shape parameters")


def test_tuple_subclasses_and_numpy_integers_become_plain_data():
    rows = [Row("conv2d", torch.Size([8, np.int32(30), np.int64(30)]), np.int32(608)), Row("relu", (8, 30, 30), np.uint16(0))]
    plain = normalise(rows)
    assert plain == [("conv2d", (8, 30, 30), 608), ("relu", (8, 30, 30), 0)]
    assert [type(row) for row in plain] == [tuple, tuple] and type(plain[0][1]) is tuple
    assert {type(n) for row in plain for n in (*row[1], row[2])} == {int}
    assert type(normalise(OrderedDict(W=np.int8(1)))) is dict and type(normalise(np.int8(1))) is int


def test_other_kinds_are_left_for_the_comparisons_to_judge():
    array32, value = np.zeros(2, dtype=np.float32), object()
    for kept in (array32, np.float32(1.5), np.float64(1.5), np.bool_(True), True, 1.5, value):
        assert normalise(kept) is kept
    assert normalise([array32])[0] is array32


def test_the_input_is_never_changed_and_a_cycle_ends():
    rows = [Row("relu", (1,), np.int32(0))]
    normalise(rows)
    assert type(rows[0]) is Row and type(rows[0][2]) is np.int32
    cycle = []
    cycle.append(cycle)
    normalise(cycle)
