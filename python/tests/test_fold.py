"""Fold from Python: fold_patches, extract_image_patches_grad, fold (torch's) and FoldKernel,
bit for bit against TensorFlow's gradient algorithm written here in numpy (every image element
starts at +0 and adds its patch elements in ascending output position, each add rounded in the
dtype), with torch.nn.functional.fold as an oracle within rounding, and their errors."""
import threading

import numpy as np
import pytest

import patchjit
import reference
from conftest import BACKENDS, random_image, random_spec
from reference import assert_same

# Every type fold adds (bool has none), as numpy holds it.
FOLD_DTYPES = [
    (np.float32, None), (np.float64, None), (np.float16, None), (np.uint16, "bfloat16"),
    (np.int8, None), (np.int32, None), (np.uint64, None), (np.complex64, None), (np.complex128, None),
]
FOLD_IDS = [name or np.dtype(t).name for t, name in FOLD_DTYPES]
FORMATS = [(l, o, p) for l in ("nhwc", "nchw") for o in ("hwc", "chw") for p in ("rows", "columns")]


def bf16_add(a, b):
    """bfloat16 bits + bits: in float32, rounded to nearest even (as Eigen::bfloat16)."""
    f = ((a.astype(np.uint32) << 16).view(np.float32) + (b.astype(np.uint32) << 16).view(np.float32))
    return bf16_round(f)


def bf16_round(f):
    bits = f.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(f), ((bits >> 16) & 0x8000 | 0x7FC0).astype(np.uint16), rounded)


def tf_fold(patches, image_shape, ksizes, strides, rates, padding, layout="nhwc", patch_order="hwc",
            as_="rows", mode="sum", bfloat16=False):
    """TensorFlow's algorithm: the index of every patch element's source (extract of an index
    image), then the patches' rows in ascending output position added into their elements."""
    dtype = patches.dtype
    count = int(np.prod(image_shape))
    index_image = np.arange(1, count + 1, dtype=np.int64).reshape(image_shape)
    index = reference.extract(index_image, ksizes, strides, rates, padding, None, layout, patch_order, as_)
    if as_ == "columns":  # positions first, as TensorFlow's rows are
        index, patches = index.transpose(0, 2, 1), patches.transpose(0, 2, 1)
    else:
        n, oh, ow, k = index.shape
        index, patches = index.reshape(n, oh * ow, k), patches.reshape(n, oh * ow, k)
    total = np.zeros(count, dtype)
    hits = np.zeros(count, np.int64)
    for p in range(index.shape[1]):  # within one position every element is reached at most once
        idx, val = index[:, p, :].ravel(), patches[:, p, :].ravel()
        keep = idx > 0
        where = idx[keep] - 1
        if bfloat16:
            total[where] = bf16_add(total[where], val[keep])
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                total[where] = total[where] + val[keep]
        hits[where] += 1
    if mode == "mean":
        div = hits > 1
        if bfloat16:
            f = (total[div].astype(np.uint32) << 16).view(np.float32) / hits[div].astype(np.float32)
            total[div] = bf16_round(f)
        elif np.issubdtype(dtype, np.complexfloating):
            part = np.float32 if dtype == np.complex64 else np.float64
            total[div] = (total[div].real / hits[div].astype(part)) + 1j * (total[div].imag / hits[div].astype(part))
        else:
            total[div] = total[div] / hits[div].astype(dtype)
    return total.reshape(image_shape)


def tame(rng, shape, dtype, bfloat16):
    """Random elements that are never NaN or infinite (SEMANTICS §11 leaves NaN payloads aside):
    floats of many magnitudes, integers of every bit pattern."""
    if bfloat16:
        return (rng.integers(0, 0x10000, size=shape) & 0xBFFF).astype(np.uint16)  # exponent never all ones
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return random_image(rng, shape, dtype)
    magnitude = lambda: rng.standard_normal(shape) * 2.0 ** rng.integers(-20, 10, size=shape)
    if dtype.kind == "c":
        return (magnitude() + 1j * magnitude()).astype(dtype)
    return magnitude().astype(dtype)


@pytest.mark.parametrize("dtype,name", FOLD_DTYPES, ids=FOLD_IDS)
def test_fold_patches_is_tensorflows_gradient_in_every_format(rng, dtype, name):
    bfloat16 = name == "bfloat16"
    for trial in range(24):
        nhwc, k, s, r, padding = random_spec(rng)
        if trial % 3 == 0:
            padding = tuple(int(v) for v in rng.integers(0, 3, size=4))
        layout, order, as_ = FORMATS[trial % len(FORMATS)]
        shape = nhwc if layout == "nhwc" else (nhwc[0], nhwc[3], nhwc[1], nhwc[2])
        try:
            probe = reference.extract(np.zeros(shape, np.int8), k, s, r, padding, None, layout, order, as_)
        except reference.ReferenceError:
            continue
        patches = tame(rng, probe.shape, dtype, bfloat16)
        floating = bfloat16 or not np.issubdtype(np.dtype(dtype), np.integer)
        mode = "mean" if floating and trial % 2 else "sum"
        want = tf_fold(patches, shape, k, s, r, padding, layout, order, as_, mode, bfloat16)
        for backend in ("auto", "interp", "reference"):
            got = patchjit.fold_patches(patches, shape, k, s, r, padding, layout=layout, patch_order=order,
                                        patches=as_, mode=mode, backend=backend, dtype=name)
            assert_same(got, want)


def test_grad_equals_tensorflows_and_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    images = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    k, s, r = [1, 3, 2, 1], [1, 2, 1, 1], [1, 1, 2, 1]
    grad = rng.standard_normal(patchjit.extract_image_patches(images, k, s, r, "SAME").shape).astype(np.float32)
    got = patchjit.extract_image_patches_grad(grad, images.shape, k, s, r, "SAME", name="ignored")
    assert_same(got, tf_fold(grad, images.shape, k, s, r, "SAME"))
    # torch's autograd of its unfold sums in its own order: equal to rounding.
    x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy()).requires_grad_()
    cols = torch.nn.functional.unfold(x, (3, 2), dilation=(1, 2), padding=(1, 1), stride=(2, 1))
    g = torch.from_numpy(rng.standard_normal(tuple(cols.shape)).astype(np.float32))
    cols.backward(g)
    mine = patchjit.fold(g, (7, 6), (3, 2), dilation=(1, 2), padding=(1, 1), stride=(2, 1))
    assert isinstance(mine, torch.Tensor)
    np.testing.assert_allclose(mine.numpy(), x.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", [((3, 3), 1, 1, 1), ((2, 3), (1, 2), (2, 0), (2, 1)), ((4, 4), 1, 1, 2), (1, 1, 0, 3)])
def test_fold_matches_torch(rng, case):
    torch = pytest.importorskip("torch")
    k, d, p, s = case
    for batch, dtype in ((2, torch.float32), (None, torch.float64), (1, torch.int32)):
        image_shape = (3, 9, 8) if batch is None else (batch, 3, 9, 8)
        blocks = torch.nn.functional.unfold(torch.zeros((1,) + image_shape[-3:]), k, d, p, s).shape
        cols_shape = blocks[1:] if batch is None else (batch,) + tuple(blocks[1:])
        cols = torch.from_numpy(rng.integers(-30, 30, size=cols_shape)).to(dtype)
        # torch folds floating types only: integers through float64 (exact here).
        want = torch.nn.functional.fold(cols if dtype.is_floating_point else cols.double(), (9, 8), k, d, p, s)
        want = want.to(dtype)
        got = patchjit.fold(cols, (9, 8), k, d, p, s)
        assert isinstance(got, torch.Tensor) and got.dtype == want.dtype and got.shape == want.shape
        assert torch.equal(got, want)  # small integers: every partial sum exact
        if dtype.is_floating_point:
            cols = torch.randn(cols_shape, dtype=dtype)
            torch.testing.assert_close(patchjit.fold(cols, (9, 8), k, d, p, s),
                                       torch.nn.functional.fold(cols, (9, 8), k, d, p, s))


def test_fold_errors_are_torchs():
    torch = pytest.importorskip("torch")
    cases = [(torch.zeros(1, 10, 16), (5, 5), 3),   # 10 not divisible by 9
             (torch.zeros(1, 9, 15), (5, 5), 3),    # 15 blocks, not 9
             (torch.zeros(1, 9, 1), (2, 2), 3),     # no block fits
             (torch.zeros(2, 3, 9, 4), (5, 5), 3)]  # 4-D
    for cols, size, k in cases:
        with pytest.raises(RuntimeError):
            torch.nn.functional.fold(cols, size, k)
        with pytest.raises(patchjit.InvalidArgumentError):
            patchjit.fold(cols, size, k)


def test_fold_kernel_reuse_out_and_views(rng):
    kernel = patchjit.FoldKernel("float32", (2, 5, 6, 3), 3, 1, 1, "SAME", mode="mean")
    assert kernel.input_shape == (2, 5, 6, 27) and kernel.output_shape == (2, 5, 6, 3) and kernel.mode == "mean"
    assert "FoldKernel(float32" in repr(kernel) and "mode=mean" in repr(kernel)
    assert "fold plan" in kernel.describe()
    images = rng.standard_normal((2, 5, 6, 3)).astype(np.float32)
    patches = patchjit.extract_image_patches(images, [1, 3, 3, 1], [1] * 4, [1] * 4, "SAME")
    for _ in range(3):
        np.testing.assert_allclose(kernel(patches), images, rtol=1e-6)  # overlap-mean reconstruction
    out = np.full((2, 5, 6, 3), np.nan, np.float32)
    assert kernel(patches, out=out) is out
    np.testing.assert_allclose(out, images, rtol=1e-6)
    wide = np.zeros((2, 5, 6, 54), np.float32)
    wide[..., ::2] = patches  # elements not contiguous: copied, then folded
    assert_same(kernel(wide[..., ::2]), kernel(patches))
    with pytest.raises(patchjit.InvalidArgumentError, match=r"patches has shape \[2,5,6,26\] but extract gives "
                                                            r"\[2,5,6,27\]"):
        kernel(patches[..., :26])
    with pytest.raises(TypeError, match="dtype"):
        kernel(patches.astype(np.float64))
    total = patchjit.FoldKernel("float32", (2, 5, 6, 3), 3, 1, 1, "SAME")
    assert total.mode == "sum"
    assert_same(total(patches), tf_fold(patches, (2, 5, 6, 3), [1, 3, 3, 1], [1] * 4, [1] * 4, "SAME"))


@pytest.mark.parametrize("as_", ["rows", "columns"])
def test_fold_reads_strided_patches_where_they_lie(rng, as_):
    patchjit.cache_clear()  # room for the signatures counted below
    image_shape = (3, 7, 6, 4)
    args = dict(ksizes=(3, 2), strides=(2, 1), rates=1, padding="SAME", patches=as_)
    dense = patchjit.extract(rng.standard_normal(image_shape).astype(np.float32), **args)
    want = patchjit.fold_patches(dense, image_shape, **args)
    # A wider patch matrix, its leading dimension padded; then every other image of twice as many.
    wide = np.zeros(dense.shape[:-1] + (dense.shape[-1] + 5,), np.float32)
    wide[..., :dense.shape[-1]] = dense
    twice = np.zeros((6,) + dense.shape[1:], np.float32)
    twice[::2] = dense
    readable = [wide[..., :dense.shape[-1]], twice[::2]]
    if as_ == "rows":
        spaced = np.zeros(dense.shape[:2] + (2 * dense.shape[2],) + dense.shape[3:], np.float32)
        spaced[:, :, ::2] = dense  # every other patch position: one stride of patches still
        readable.append(spaced[:, :, ::2])
    kernel = patchjit.FoldKernel("float32", image_shape, *[args[k] for k in ("ksizes", "strides", "rates", "padding")],
                                 patches=as_)
    for view in readable:
        assert not view.flags.c_contiguous
        before = patchjit.cache_stats()
        assert_same(patchjit.fold_patches(view, image_shape, **args), want)
        # A new signature (the patches' strides) was cached: the view was read where it lies, not
        # copied into a dense array (whose kernel is cached already).
        assert patchjit.cache_stats()["entries"] == before["entries"] + 1
        assert_same(kernel(view), want)
        assert_same(kernel(view), want)  # the strided kernel kept for the next call
        assert_same(kernel(dense), want)
    if as_ == "rows":
        # OH and OW not one stride apart (a window of a wider output) and a transposed view: copied.
        bigger = np.zeros((3, dense.shape[1], dense.shape[2] + 2, dense.shape[3]), np.float32)
        bigger[:, :, :dense.shape[2]] = dense
        copied = [bigger[:, :, :dense.shape[2]], np.asfortranarray(dense)]
        for view in copied:
            before = patchjit.cache_stats()
            assert_same(patchjit.fold_patches(view, image_shape, **args), want)
            assert patchjit.cache_stats()["entries"] == before["entries"]
            assert_same(kernel(view), want)


def test_fold_errors(rng):
    patches = np.zeros((1, 4, 4, 18), np.float32)
    with pytest.raises(patchjit.InvalidArgumentError, match=r"has shape \[1,4,4,18\] but extract gives \[1,4,5,18\] "
                                                            r"for the image shape \[1,4,5,2\]"):
        patchjit.fold_patches(patches, (1, 4, 5, 2), 3, padding="SAME")
    with pytest.raises(patchjit.InvalidArgumentError, match="bool has no sum"):
        patchjit.fold_patches(patches.astype(bool), (1, 4, 4, 2), 3, padding="SAME")
    with pytest.raises(patchjit.InvalidArgumentError, match="mode mean"):
        patchjit.fold_patches(patches.astype(np.int32), (1, 4, 4, 2), 3, padding="SAME", mode="mean")
    with pytest.raises(patchjit.InvalidArgumentError, match='mode must be "sum" or "mean"'):
        patchjit.fold_patches(patches, (1, 4, 4, 2), 3, padding="SAME", mode="max")
    with pytest.raises(patchjit.InvalidArgumentError, match="image_shape must have 4 dimensions"):
        patchjit.fold_patches(patches, (4, 4, 2), 3, padding="SAME")
    with pytest.raises(patchjit.OutOfRangeError):
        patchjit.fold_patches(patches, (1, 4, 4, 2), 0, padding="SAME")
    for backend in ("xbyak", "llvm"):  # the tf format and torch's at stride 1 they fold; torch's at 2 not
        if backend not in BACKENDS:
            continue
        patches = rng.standard_normal((1, 4, 4, 18)).astype(np.float32)
        assert_same(patchjit.fold_patches(patches, (1, 4, 4, 2), 3, padding="SAME", backend=backend),
                    patchjit.fold_patches(patches, (1, 4, 4, 2), 3, padding="SAME", backend="reference"))
        cols = rng.standard_normal((1, 18, 16)).astype(np.float32)
        assert_same(patchjit.fold(cols, (4, 4), 3, padding=1, backend=backend),
                    patchjit.fold(cols, (4, 4), 3, padding=1, backend="reference"))
        with pytest.raises(patchjit.UnimplementedError, match="fold's JIT sums whole pixels"):
            patchjit.fold(np.zeros((1, 18, 4), np.float32), (4, 4), 3, padding=1, stride=2, backend=backend)


def test_fold_from_threads(rng):
    patches = rng.standard_normal((2, 16, 16, 72)).astype(np.float32)
    want = patchjit.fold_patches(patches, (2, 16, 16, 8), 3, padding="SAME")
    errors = []

    def work():
        try:
            for _ in range(20):
                assert_same(patchjit.fold_patches(patches, (2, 16, 16, 8), 3, padding="SAME", threads=2), want)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
