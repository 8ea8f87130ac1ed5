"""Kernel conventions that numba does not enforce by itself."""

import numba
import numpy as np

from leolat._kernels import frames as kf


def test_named_tuple_fields_written_inside_prange_are_lost_so_kernels_unpack_first():
    # Pins the numba behaviour docs/design.md and _kernels/_jit.py describe: a write
    # through a tuple's field inside a prange loop does not reach the caller's array,
    # while the same write through an array unpacked before the loop does. If a numba
    # release fixes it, this test says so and the rule can go.
    @numba.njit(parallel=True)
    def through_field(n, out):
        for i in numba.prange(n):
            out.error[i, 0] = 7

    @numba.njit(parallel=True)
    def unpacked(n, out):
        error = out.error
        for i in numba.prange(n):
            error[i, 0] = 7

    def states():
        z = np.zeros((4, 1, 3))
        return kf.States(True, z, z.copy(), z.copy(), z.copy(), np.zeros((4, 1), np.uint8))

    a, b = states(), states()
    through_field(4, a)
    unpacked(4, b)
    assert np.all(b.error == 7)
    assert not np.all(a.error == 7)
