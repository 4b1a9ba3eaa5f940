"""extract_image_patches / extract_patches / Kernel against the numpy reference (reference.py)."""
import re

import numpy as np
import pytest

import patchjit
import reference
from conftest import BACKENDS, DTYPE_IDS, DTYPES, random_image, random_spec
from reference import assert_same


def test_seed_examples():
    # SEMANTICS.md §4: the XLA test and the 1..9 image.
    x = np.array([[[[1, 5], [2, 6]], [[3, 7], [4, 8]]]], np.float32)
    got = patchjit.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    np.testing.assert_array_equal(got, [[[[1, 5, 2, 6, 3, 7, 4, 8]]]])
    y = np.arange(1, 10, dtype=np.int32).reshape(1, 3, 3, 1)
    got = patchjit.extract_image_patches(y, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    assert got.shape == (1, 3, 3, 4)
    np.testing.assert_array_equal(got[0, 0, 0], [1, 2, 4, 5])
    np.testing.assert_array_equal(got[0, 0, 2], [3, 0, 6, 0])
    np.testing.assert_array_equal(got[0, 2, 0], [7, 8, 0, 0])
    np.testing.assert_array_equal(got[0, 2, 2], [9, 0, 0, 0])
    got = patchjit.extract_patches(y, [1, 2, 2, 1], [1, 1, 1, 1], [1, 2, 2, 1], "VALID")
    np.testing.assert_array_equal(got, [[[[1, 3, 7, 9]]]])


def test_tensorflow_shape_function_cases():
    x = np.zeros((1, 7, 7, 2), np.float32)
    assert patchjit.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 2, 2, 1], "VALID").shape == (1, 5, 5, 8)
    assert patchjit.extract_image_patches(x, [1, 1, 1, 1], [1, 1, 1, 1], [1, 2, 2, 1], "VALID").shape == (1, 7, 7, 2)


@pytest.mark.parametrize("dtype,name", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_random_specs_every_dtype_and_backend(rng, dtype, name, backend):
    checked = 0
    for _ in range(12):
        shape, k, s, r, padding = random_spec(rng)
        images = random_image(rng, shape, dtype)
        try:
            want = reference.extract(images, k, s, r, padding)
        except reference.ReferenceError as e:
            with pytest.raises(patchjit.InvalidArgumentError, match=re.escape(str(e))):
                patchjit.extract_image_patches(images, k, s, r, padding, backend=backend, dtype=name)
            continue
        got = patchjit.extract_image_patches(images, k, s, r, padding, backend=backend, dtype=name)
        assert_same(got, want)
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("dtype,name", DTYPES, ids=DTYPE_IDS)
def test_kernel_object_matches_reference(rng, dtype, name):
    for _ in range(6):
        shape, k, s, r, padding = random_spec(rng)
        try:
            want_shape = reference.extract(np.zeros(shape, np.uint8), k, s, r, padding).shape
        except reference.ReferenceError:
            continue
        kernel = patchjit.Kernel(name or dtype, shape, k, s, r, padding)
        assert kernel.output_shape == want_shape
        assert kernel.input_shape == shape
        assert kernel.dtype == (name or patchjit_name(dtype))
        for _ in range(2):  # call many times, new data each time
            images = random_image(rng, shape, dtype)
            assert_same(kernel(images), reference.extract(images, k, s, r, padding))


def patchjit_name(dtype):
    return {"float16": "half", "bool": "bool"}.get(np.dtype(dtype).name, np.dtype(dtype).name)


def test_suite_shapes_tf_format(rng):
    # A few of the suite's shapes (DESIGN.md), bigger than the random ones.
    cases = [((1, 56, 56, 64), 3, 1, 1, "SAME", np.float32), ((1, 64, 64, 1), 3, 1, 2, "VALID", np.float32),
             ((2, 33, 33, 17), 3, 2, 1, "SAME", np.float32), ((1, 224, 224, 3), 7, 2, 1, "SAME", np.uint8),
             ((1, 28, 28, 32), 3, 1, 1, "SAME", np.float64), ((1, 7, 7, 2048), 1, 1, 1, "VALID", np.float32)]
    for shape, k, s, r, padding, dtype in cases:
        images = random_image(rng, shape, dtype)
        args = ([1, k, k, 1], [1, s, s, 1], [1, r, r, 1], padding)
        assert_same(patchjit.extract_image_patches(images, *args, threads=2), reference.extract(images, *args))


def test_threads_argument_gives_the_same_bytes(rng):
    images = random_image(rng, (3, 40, 40, 8), np.float32)
    args = ([1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    want = reference.extract(images, *args)
    for threads in (0, 1, 2, 3, 8, np.int32(2)):
        assert_same(patchjit.extract_image_patches(images, *args, threads=threads), want)


def test_name_is_accepted_and_ignored():
    x = np.ones((1, 2, 2, 1), np.float32)
    a = patchjit.extract_image_patches(x, [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID", "my_op")
    b = patchjit.extract_patches(x, sizes=[1, 1, 1, 1], strides=[1, 1, 1, 1], rates=[1, 1, 1, 1],
                                 padding="VALID", name="x")
    assert_same(a, x)
    assert_same(b, x)


def test_attributes_as_tuples_and_numpy_integers():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    want = reference.extract(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    got = patchjit.extract_image_patches(x, (1, 2, 2, 1), np.array([1, 2, 2, 1]), [np.int32(1)] * 4, "VALID")
    assert_same(got, want)


def test_empty_outputs():
    for shape, padding in [((0, 4, 4, 3), "SAME"), ((1, 0, 4, 3), "SAME"), ((2, 4, 4, 0), "VALID"),
                           ((1, 1, 5, 2), "VALID")]:  # the last: (1-3+2)/2 truncates to 0 rows
        x = np.zeros(shape, np.float32)
        got = patchjit.extract_image_patches(x, [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], padding)
        assert_same(got, reference.extract(x, [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], padding))
        assert got.size == 0


def test_byte_order_is_kept():
    # The op moves bytes: a big-endian array gives big-endian patches with the same values.
    x = np.arange(36, dtype=">f4").reshape(1, 6, 6, 1)
    got = patchjit.extract_image_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    assert got.dtype == np.dtype(">f4")
    np.testing.assert_array_equal(got, reference.extract(x.astype(np.float32), [1, 2, 2, 1], [1, 2, 2, 1],
                                                         [1, 1, 1, 1], "VALID"))


@pytest.mark.parametrize("view", ["slice", "transpose", "reversed", "broadcast", "fortran", "unaligned_channels"])
def test_non_contiguous_inputs(rng, view):
    base = random_image(rng, (2, 11, 13, 6), np.float32)
    images = {
        "slice": base[:, 1:9, ::2, 1:5],
        "transpose": base.transpose(0, 2, 1, 3),
        "reversed": base[::-1, ::-1, :, ::-1],
        "broadcast": np.broadcast_to(base[:1, :, :1, :], (3, 11, 5, 6)),
        "fortran": np.asfortranarray(base),
        "unaligned_channels": base[..., ::2],
    }[view]
    args = ([1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME")
    want = reference.extract(np.ascontiguousarray(images), *args)
    assert_same(patchjit.extract_image_patches(images, *args), want)
    kernel = patchjit.Kernel(np.float32, images.shape, *args)
    assert_same(kernel(images), want)


def test_readonly_input(rng):
    images = random_image(rng, (1, 5, 5, 2), np.int16)
    images.flags.writeable = False
    args = ([1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    assert_same(patchjit.extract_image_patches(images, *args), reference.extract(images, *args))


def test_kernel_describe_and_repr():
    kernel = patchjit.Kernel("float32", [1, 56, 56, 64], [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    assert kernel.backend in ("xbyak", "llvm", "interp")
    assert "56x56x64" in kernel.describe() or "56" in kernel.describe()
    assert repr(kernel).startswith("patchjit.Kernel(float32, [1,56,56,64]")
    kernel = patchjit.Kernel(np.dtype("float16"), [1, 4, 4, 1], [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID",
                             backend="reference")
    assert kernel.backend == "reference" and kernel.dtype == "half"


def test_cache_reuses_compiled_code():
    x = np.zeros((1, 9, 9, 3), np.float32)
    args = ([1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    patchjit.extract_image_patches(x, *args)
    before = patchjit.cache_stats()
    for _ in range(5):
        patchjit.extract_image_patches(x, *args)
    after = patchjit.cache_stats()
    if patchjit.backend_available("xbyak"):
        assert after["hits"] - before["hits"] == 5
        assert after["misses"] == before["misses"]
