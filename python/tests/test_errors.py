"""Errors: TensorFlow's classes and words (docs/SEMANTICS.md §2), TypeError for wrong types, and
no crash on any bad input."""
import re

import numpy as np
import pytest

import patchjit

X = np.zeros((1, 5, 5, 2), np.float32)
ONES = [1, 1, 1, 1]


def raises(error, text):
    """pytest.raises matching `text` literally (TensorFlow's words as a substring, §2.2)."""
    return pytest.raises(error, match=re.escape(text))


def test_classes():
    for name in ("InvalidArgumentError", "OutOfRangeError", "UnimplementedError"):
        cls = getattr(patchjit, name)
        assert issubclass(cls, ValueError) and issubclass(cls, patchjit.Error)
    assert issubclass(patchjit.ResourceExhaustedError, MemoryError)
    assert issubclass(patchjit.InternalError, RuntimeError)
    assert patchjit.InvalidArgumentError.__module__ == "patchjit"


@pytest.mark.parametrize("call", ["function", "tf2", "kernel"])
def test_tensorflow_words_in_tensorflow_order(call):
    def run(images, k, s, r, padding):
        if call == "function":
            return patchjit.extract_image_patches(images, k, s, r, padding)
        if call == "tf2":
            return patchjit.extract_patches(images, k, s, r, padding)
        return patchjit.Kernel(images.dtype, images.shape, k, s, r, padding)(images)

    with raises(patchjit.InvalidArgumentError, "input must be 4-dimensional[2,3,4]"):
        run(np.zeros((2, 3, 4), np.float32), [1, 2, 3], ONES, ONES, "FULL")
    with raises(patchjit.InvalidArgumentError,
                "ExtractImagePatches requires the ksizes attribute to contain 4 values, but got: 5"):
        run(X, [1, 1, 1, 1, 1], [1, 1], ONES, "FULL")
    with raises(patchjit.InvalidArgumentError,
                "ExtractImagePatches requires the stride attribute to contain 4 values, but got: 3"):
        run(X, [1, 0, 0, 1], [1, 1, 1], [], "SAME")
    with raises(patchjit.InvalidArgumentError,
                "ExtractImagePatches requires the rates attribute to contain 4 values, but got: 0"):
        run(X, ONES, ONES, [], "SAME")
    with raises(patchjit.InvalidArgumentError, "Attr ksizes has value 2147483648 out of range for an int32"):
        run(X, [1, 2**31, 1, 1], ONES, ONES, "SAME")
    with raises(patchjit.InvalidArgumentError, "Attr rates has value 1180591620717411303424 out of range for an int32"):
        run(X, ONES, ONES, [1, 2**70, 1, 1], "SAME")
    with raises(patchjit.UnimplementedError, "Only support ksizes across space."):
        run(X, [2, 3, 3, 1], ONES, ONES, "SAME")
    with raises(patchjit.UnimplementedError, "Only support strides across space."):
        run(X, ONES, [1, 1, 1, 2], ONES, "SAME")
    # ksizes is checked completely before strides.
    with raises(patchjit.OutOfRangeError, "ksizes is out of range."):
        run(X, [1, 0, 3, 1], [2, 1, 1, 1], ONES, "SAME")
    with raises(patchjit.OutOfRangeError, "rates is out of range."):
        run(X, ONES, ONES, [1, 1, -1, 1], "SAME")
    with raises(patchjit.InvalidArgumentError,
                "Value for attr 'padding' of \"same\" is not in the list of allowed values: \"SAME\", \"VALID\""):
        run(X, ONES, ONES, ONES, "same")
    with raises(patchjit.InvalidArgumentError,
                "Computed output size would be negative: -1 [input_size: 1, effective_filter_size: 3, stride: 1]"):
        run(np.zeros((1, 1, 5, 1), np.float32), [1, 3, 1, 1], ONES, ONES, "VALID")
    with raises(patchjit.InvalidArgumentError,
                "Computed output size would be negative: -1 [input_size: 4, effective_filter_size: 6, stride: 1]"):
        run(np.zeros((0, 5, 4, 1), np.float32), [1, 1, 2, 1], ONES, [1, 1, 5, 1], "VALID")
    with raises(patchjit.InvalidArgumentError, "Output size would overflow: 2147483647 x 2147483647 x 4"):
        run(np.zeros((0, 1, 1, 4), np.float32), [1, 2**31 - 1, 2**31 - 1, 1], ONES, ONES, "SAME")


def test_kernel_shape_errors():
    with raises(patchjit.InvalidArgumentError, "input must be 4-dimensional[1,2,3]"):
        patchjit.Kernel("float32", [1, 2, 3], ONES, ONES, ONES, "SAME")
    with raises(patchjit.InvalidArgumentError, "input_shape[1] must be non-negative, but got -3"):
        patchjit.Kernel("float32", [1, -3, 3, 1], ONES, ONES, ONES, "SAME")
    kernel = patchjit.Kernel("float32", [1, 5, 5, 2], ONES, ONES, ONES, "SAME")
    with raises(patchjit.InvalidArgumentError, "images has shape [2,5,5,2] but the kernel's input shape is [1,5,5,2]"):
        kernel(np.zeros((2, 5, 5, 2), np.float32))
    with raises(TypeError, "images has dtype float64 but the kernel's dtype is float32"):
        kernel(np.zeros((1, 5, 5, 2), np.float64))
    with raises(TypeError, "images must be a numpy.ndarray or a torch.Tensor, got list"):
        kernel([[[[0.0]]]])


def test_wrong_python_types():
    with raises(TypeError, "images must be a numpy.ndarray or a torch.Tensor, got list"):
        patchjit.extract_image_patches([[[[1.0]]]], ONES, ONES, ONES, "SAME")
    with raises(TypeError, "ksizes must be a list of 4 integers, got int"):
        patchjit.extract_image_patches(X, 3, ONES, ONES, "SAME")
    with raises(TypeError, "strides must be a list of 4 integers, got str"):
        patchjit.extract_image_patches(X, ONES, "1111", ONES, "SAME")
    with raises(TypeError, "rates must be a list of integers, but an entry is float 1.0"):
        patchjit.extract_image_patches(X, ONES, ONES, [1, 1.0, 1, 1], "SAME")
    with raises(TypeError, "padding must be \"SAME\" or \"VALID\", got NoneType"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, None)
    with raises(TypeError, "backend must be a string, got int"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", backend=3)
    with raises(TypeError, "threads must be an integer, got str"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", threads="2")
    with pytest.raises(TypeError):
        patchjit.extract_image_patches(X, ONES, ONES, ONES)  # padding missing
    with pytest.raises(TypeError):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", None, None)  # out is keyword-only


def test_unsupported_dtypes_are_type_errors():
    for dtype in (object, np.str_, "datetime64[s]", np.longdouble, "V4"):
        images = np.zeros((1, 2, 2, 1), dtype)
        with pytest.raises(TypeError, match="not a patchjit type"):
            patchjit.extract_image_patches(images, ONES, ONES, ONES, "SAME")
    with raises(TypeError, "images must hold bfloat16 as uint16 or int16 data, got float32"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", dtype="bfloat16")
    with raises(TypeError, "images has dtype float32 but dtype is int32"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", dtype="int32")
    with pytest.raises(TypeError, match="\"complex32\" is not a patchjit type"):
        patchjit.Kernel("complex32", [1, 1, 1, 1], ONES, ONES, ONES, "SAME")
    with pytest.raises(TypeError, match="dtype must be given"):
        patchjit.Kernel(None, [1, 1, 1, 1], ONES, ONES, ONES, "SAME")


def test_run_time_errors():
    with raises(patchjit.InvalidArgumentError, "num_threads must be >= 0 (0 chooses), but got -1"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", threads=-1)
    with raises(patchjit.InvalidArgumentError, "threads must be >= 0 (0 chooses) and fit an int"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", threads=2**40)
    with pytest.raises(patchjit.InvalidArgumentError, match="gpu"):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", backend="gpu")


def test_unavailable_backend_is_unimplemented():
    missing = [b for b in ("xbyak", "llvm") if not patchjit.backend_available(b)]
    if not missing:
        pytest.skip("every backend runs here")
    with pytest.raises(patchjit.UnimplementedError):
        patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME", backend=missing[0])


def test_errors_leave_no_state_behind():
    for _ in range(3):
        with pytest.raises(patchjit.OutOfRangeError):
            patchjit.extract_image_patches(X, [1, 0, 1, 1], ONES, ONES, "SAME")
        assert patchjit.extract_image_patches(X, ONES, ONES, ONES, "SAME").shape == X.shape


def test_random_garbage_never_crashes(rng):
    # Arbitrary values of arbitrary types in every argument: an exception, never a crash.
    values = [None, 0, -1, 2**63, 2**64, 1.5, "SAME", "VALID", b"SAME", [], [1] * 4, [0] * 4, [1, 2, 2, 1],
              [1, -5, 2, 1], [2**62] * 4, (1, 3, 3, 1), np.zeros(4, np.int64), object(), X, np.zeros((0, 0, 0, 0))]
    for _ in range(400):
        args = [values[i] for i in rng.integers(0, len(values), size=5)]
        try:
            patchjit.extract_image_patches(*args, threads=int(rng.integers(0, 3)))
        except (TypeError, ValueError, MemoryError):
            pass
