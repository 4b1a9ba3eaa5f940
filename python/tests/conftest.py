"""Shared pieces of the patchjit Python tests: dtypes, backends, random specs and images."""
import zlib

import numpy as np
import pytest

import patchjit

# Every patchjit type as numpy holds it: (numpy dtype, the dtype= keyword or None).
DTYPES = [
    (np.float32, None), (np.float64, None), (np.float16, None), (np.uint16, "bfloat16"),
    (np.int8, None), (np.int16, None), (np.int32, None), (np.int64, None),
    (np.uint8, None), (np.uint16, None), (np.uint32, None), (np.uint64, None),
    (np.complex64, None), (np.complex128, None), (np.bool_, None),
]
DTYPE_IDS = [name or np.dtype(t).name for t, name in DTYPES]

BACKENDS = [b for b in ("auto", "interp", "reference", "xbyak", "llvm") if patchjit.backend_available(b)]


def random_image(rng, shape, dtype):
    """Random bytes of `dtype` (NaNs with payloads, negative zeros and all); bool as 0/1."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    count = int(np.prod(shape)) * dtype.itemsize
    return rng.integers(0, 256, size=count, dtype=np.uint8).view(dtype).reshape(shape)


def random_spec(rng):
    """(shape, ksizes, strides, rates, padding): small, with empty outputs and VALID errors."""
    n = int(rng.choice([0, 1, 1, 2, 3]))
    h, w = (int(v) for v in rng.integers(0, 12, size=2))
    c = int(rng.choice([0, 1, 2, 3, 4, 5, 7, 16]))
    k = [1] + [int(v) for v in rng.integers(1, 5, size=2)] + [1]
    s = [1] + [int(v) for v in rng.integers(1, 4, size=2)] + [1]
    r = [1] + [int(v) for v in rng.integers(1, 4, size=2)] + [1]
    return (n, h, w, c), k, s, r, str(rng.choice(["SAME", "VALID"]))


@pytest.fixture
def rng(request):
    """A generator seeded by the test's name: failures repeat."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
