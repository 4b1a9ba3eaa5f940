"""The engine formats (docs/SEMANTICS.md §6-§9): extract's every option, unfold against
torch.nn.functional.unfold, strided views read in place, and Kernel with formats."""
import itertools
import re

import numpy as np
import pytest

import patchjit
import reference
from conftest import BACKENDS, random_image
from reference import assert_same

FORMATS = list(itertools.product(["nhwc", "nchw"], ["hwc", "chw"], ["rows", "columns"]))


def random_padding(rng):
    kind = rng.integers(0, 3)
    if kind == 0:
        return "SAME"
    if kind == 1:
        return "VALID"
    return tuple(int(v) for v in rng.integers(0, 4, size=4))


@pytest.mark.parametrize("layout,patch_order,patches", FORMATS, ids=["-".join(f) for f in FORMATS])
@pytest.mark.parametrize("dtype", [np.uint8, np.float16, np.float32, np.complex128])
def test_every_format_against_reference(rng, layout, patch_order, patches, dtype):
    checked = 0
    for _ in range(10):
        n, h, w, c = (int(v) for v in rng.integers(0, 8, size=4))
        shape = (n, c, h, w) if layout == "nchw" else (n, h, w, c)
        images = random_image(rng, shape, dtype)
        k, s, r = ([1] + [int(v) for v in rng.integers(1, 4, size=2)] + [1] for _ in range(3))
        padding = random_padding(rng)
        pad_value = None if rng.integers(0, 2) else random_image(rng, (), dtype)[()]
        backend = BACKENDS[int(rng.integers(0, len(BACKENDS)))]
        options = dict(pad_value=pad_value, layout=layout, patch_order=patch_order, patches=patches)
        try:
            want = reference.extract(images, k, s, r, padding, **options)
        except reference.ReferenceError as e:
            with pytest.raises(patchjit.InvalidArgumentError, match=re.escape(str(e))):
                patchjit.extract(images, k, s, r, padding, **options, backend=backend)
            continue
        got = patchjit.extract(images, k, s, r, padding, **options, backend=backend)
        assert_same(got, want)
        kernel = patchjit.Kernel(dtype, shape, k, s, r, padding, **options)
        assert kernel.output_shape == want.shape
        assert_same(kernel(images), want)
        checked += 1
    assert checked > 3


def test_named_formats_and_short_attributes():
    x = np.arange(1, 7).reshape(1, 1, 2, 3)  # SEMANTICS.md §8's nchw example
    assert patchjit.extract(x, 2, layout="nchw").tolist() == [[[[1, 2, 4, 5], [2, 3, 5, 6]]]]
    assert patchjit.extract(x, (2, 2), format="torch").tolist() == [[[1, 2], [2, 3], [4, 5], [5, 6]]]
    assert patchjit.extract(x, [1, 2, 2, 1], format="torch", patches="rows").shape == (1, 1, 2, 4)
    xla = np.array([[[[1, 5], [2, 6]], [[3, 7], [4, 8]]]])
    assert patchjit.extract(xla, 2, patch_order="chw").tolist() == [[[[1, 2, 3, 4, 5, 6, 7, 8]]]]
    with pytest.raises(patchjit.InvalidArgumentError, match='format must be "tf" or "torch"'):
        patchjit.extract(x, 2, format="jax")
    with pytest.raises(patchjit.InvalidArgumentError, match='layout must be "nhwc" or "nchw", but got "NHWC"'):
        patchjit.extract(x, 2, layout="NHWC")
    with pytest.raises(TypeError, match="patches must be"):
        patchjit.extract(x, 2, patches=1)


def test_explicit_pads_rules():
    x = np.zeros((1, 1, 5, 1), np.float32)
    # SEMANTICS.md §6: H = 1, kh = 5, pads (1, 0) -> -2.
    with pytest.raises(patchjit.InvalidArgumentError, match=re.escape(
            "Computed output size would be negative: -2 [input_size: 1, effective_filter_size: 5, stride: 1]")):
        patchjit.extract(x, (5, 1), padding=(1, 0, 0, 0))
    with pytest.raises(patchjit.InvalidArgumentError,
                       match="pads: the left padding must be non-negative and fit an int32, but got -1"):
        patchjit.extract(x, 1, padding=(0, 0, -1, 0))
    with pytest.raises(patchjit.InvalidArgumentError, match="4 pads"):
        patchjit.extract(x, 1, padding=(1, 1))
    assert patchjit.extract(x, (5, 1), strides=(3, 1), padding=(0, 1, 0, 0)).shape == (1, 0, 5, 5)
    # TF's extract_image_patches takes SAME/VALID only.
    with pytest.raises(TypeError):
        patchjit.extract_image_patches(x, [1] * 4, [1] * 4, [1] * 4, (0, 0, 0, 0))


@pytest.mark.parametrize("dtype,value,bits", [
    (np.uint8, 128, b"\x80"), (np.float32, -np.inf, b"\x00\x00\x80\xff"), (np.float16, -np.inf, b"\x00\xfc"),
    (np.int16, -2, b"\xfe\xff"), (np.bool_, True, b"\x01"), (np.complex64, 1j, b"\0\0\0\0\0\0\x80\x3f"),
    (np.float32, b"\x01\x00\xc0\x7f", b"\x01\x00\xc0\x7f"),  # a NaN with a payload, bit for bit
])
def test_pad_values(dtype, value, bits):
    x = np.zeros((1, 1, 1, 1), dtype)
    got = patchjit.extract(x, 2, padding="SAME", pad_value=value)  # taps (0,1), (1,0), (1,1) are padding
    assert got.shape == (1, 1, 1, 4)
    assert got.tobytes()[got.itemsize:] == bits * 3
    kernel = patchjit.Kernel(dtype, x.shape, 2, 1, 1, "SAME", pad_value=value)
    assert kernel(x).tobytes() == got.tobytes()


def test_bfloat16_pad_value_rounds_to_nearest_even():
    x = np.zeros((1, 1, 1, 1), np.uint16)
    got = patchjit.extract(x, (1, 2), padding="SAME", pad_value=1.0 + 2**-8, dtype="bfloat16")  # a tie: to even
    assert got[0, 0, 0].tolist() == [0, 0x3F80]
    got = patchjit.extract(x, (1, 2), padding="SAME", pad_value=-np.inf, dtype="bfloat16")
    assert got[0, 0, 0].tolist() == [0, 0xFF80]


def test_pad_value_errors():
    x = np.zeros((1, 2, 2, 1), np.uint8)
    with pytest.raises(patchjit.InvalidArgumentError, match=re.escape("pad_value 300 does not fit uint8 [0, 255]")):
        patchjit.extract(x, 2, padding="SAME", pad_value=300)
    with pytest.raises(TypeError, match="pad_value for uint8 must be an integer"):
        patchjit.extract(x, 2, padding="SAME", pad_value=1.5)
    with pytest.raises(patchjit.InvalidArgumentError, match="pad_value: 2 bytes given, but one uint8 element has 1"):
        patchjit.extract(x, 2, padding="SAME", pad_value=b"\0\0")


# ---- unfold -------------------------------------------------------------------------------

torch = pytest.importorskip("torch")
F = torch.nn.functional


def test_unfold_against_torch(rng):
    checked = 0
    for trial in range(80):
        n, c, h, w = (int(v) for v in rng.integers(1, 7, size=4))
        k = tuple(int(v) for v in rng.integers(1, 4, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        p = tuple(int(v) for v in rng.integers(0, 3, size=2))
        s = tuple(int(v) for v in rng.integers(1, 3, size=2))
        if trial % 3 == 0:  # ints as torch takes them
            k, d, p, s = k[0], d[0], p[0], s[0]
        dtype = [torch.float32, torch.float64, torch.int64][trial % 3]
        x = (torch.randn(n, c, h, w) * 100).to(dtype)
        args = dict(kernel_size=k, dilation=d, padding=p, stride=s)
        if trial % 5 == 0:
            x = x[0]  # unbatched [C, H, W]
        try:
            want = F.unfold(x.double() if dtype == torch.int64 else x, **args).to(dtype)
        except RuntimeError as e:
            # torch 1.13 prints the spatial size wrongly for unbatched inputs; the rest must agree.
            with pytest.raises(patchjit.InvalidArgumentError, match=re.escape(str(e)[str(e).index("kernel_size"):])):
                patchjit.unfold(x, **args)
            continue
        got = patchjit.unfold(x, **args)
        assert isinstance(got, torch.Tensor) and got.dtype == dtype and got.shape == want.shape
        assert torch.equal(got, want)
        assert_same(patchjit.unfold(x.numpy(), **args), want.numpy())
        checked += 1
    assert checked > 40


def test_unfold_out_and_checks():
    x = torch.randn(2, 3, 8, 8)
    want = F.unfold(x, 3, padding=1)
    out = torch.empty_like(want)
    assert patchjit.unfold(x, 3, padding=1, out=out) is out
    assert torch.equal(out, want)
    out3 = torch.empty_like(want[0])
    assert torch.equal(patchjit.unfold(x[0], 3, padding=1, out=out3), want[0]) and torch.equal(out3, want[0])
    with pytest.raises(patchjit.OutOfRangeError, match="ksizes is out of range"):
        patchjit.unfold(x, 0)
    with pytest.raises(patchjit.InvalidArgumentError, match="It is expected kernel_size equals to 2, but got size 3"):
        patchjit.unfold(x, (1, 2, 3))
    with pytest.raises(patchjit.InvalidArgumentError, match="but its components must be at least one"):
        patchjit.unfold(x, 9)
    # One short at stride 2: TensorFlow's rule would give an empty output, torch's refuses.
    with pytest.raises(RuntimeError):
        F.unfold(x, 9, stride=2)
    with pytest.raises(patchjit.InvalidArgumentError, match=r"sliding blocks as \(0, 0\)"):
        patchjit.unfold(x, 9, stride=2)


def test_unfold_arguments_as_torch_reads_them():
    x = torch.randn(1, 2, 8, 8)
    # No block along a dimension: torch's words and counts (floor division), whatever the stride.
    for k, s in [(9, 2), (10, 2), (11, 2), (12, 5)]:
        with pytest.raises(RuntimeError) as torch_error:
            F.unfold(x, k, stride=s)
        with pytest.raises(patchjit.InvalidArgumentError) as ours:
            patchjit.unfold(x, k, stride=s)
        assert str(ours.value) == str(torch_error.value).splitlines()[0]
    # numpy integers are integers; pairs may mix them.
    assert torch.equal(patchjit.unfold(x, np.int64(3), padding=np.int32(1)), F.unfold(x, 3, padding=1))
    assert torch.equal(patchjit.unfold(x, (np.int32(3), 2), stride=[2, 1]), F.unfold(x, (3, 2), stride=(2, 1)))
    with pytest.raises(TypeError, match="kernel_size must be a pair of integers, but an entry is float 3.0"):
        patchjit.unfold(x, (3.0, 3))
    for bad in ["ab", True, 3.0, None]:
        with pytest.raises(TypeError, match="kernel_size must be an int or a pair of ints, got"):
            patchjit.unfold(x, bad)
    with pytest.raises(TypeError, match="stride must be an int or a pair of ints, got float"):
        patchjit.unfold(x, 3, stride=1.0)
    with pytest.raises(patchjit.InvalidArgumentError, match="It is expected dilation equals to 2, but got size 1"):
        patchjit.unfold(x, 3, dilation=[2])
    with pytest.raises(patchjit.InvalidArgumentError, match="Attr padding has value 1180591620717411303424 out of range"):
        patchjit.unfold(x, 3, padding=2**70)
    # Any int64 values, counted as Python counts (no overflow); large pads are the library's to name.
    big = 2**40
    count = (8 - (big * (big - 1) + 1)) // 1 + 1
    with pytest.raises(patchjit.InvalidArgumentError, match=re.escape(f"sliding blocks as ({count}, {count})")):
        patchjit.unfold(x, big, dilation=big)
    with pytest.raises(patchjit.InvalidArgumentError, match="top padding must be non-negative and fit an int32"):
        patchjit.unfold(x, 3, padding=2**62)
    with pytest.raises(patchjit.InvalidArgumentError, match=r"input must be 4-dimensional\[2,3\]"):
        patchjit.unfold(np.zeros((2, 3), np.float32), 3)
    with pytest.raises(TypeError, match="input must be a numpy.ndarray or a torch.Tensor, got list"):
        patchjit.unfold([[1.0]], 3)


# ---- strided views -------------------------------------------------------------------------

def test_strided_views_are_read_in_place(rng):
    base = random_image(rng, (3, 10, 12, 16), np.float32)
    views = [base[:, :, :, 4:12], base[::2], base[:, 1:9:2, ::3, :], base[1:2, :, :, :5]]  # 4 signatures
    for view in views:
        assert not view.flags.c_contiguous
        args = ((3, 2), (1, 2), (2, 1), "SAME")
        want = reference.extract(np.ascontiguousarray(view), [1, 3, 2, 1], [1, 1, 2, 1], [1, 2, 1, 1], "SAME")
        before = patchjit.cache_stats()
        assert_same(patchjit.extract(view, *args), want)
        if patchjit.backend_available("xbyak"):
            # A new signature (the strides) was built: the view was not copied into a dense array,
            # which would have hit the dense kernel built below.
            assert patchjit.cache_stats()["misses"] == before["misses"] + 1
        assert_same(patchjit.extract(np.ascontiguousarray(view), *args), want)
        kernel = patchjit.Kernel(np.float32, view.shape, *args)
        assert_same(kernel(view), want)
        assert_same(kernel(view), want)  # the strided kernel kept for the next call
        assert_same(kernel(np.ascontiguousarray(view)), want)


def test_strided_views_in_nchw_and_torch(rng):
    base = torch.randn(2, 8, 9, 10)
    view = base[:, 2:6]  # a channel group of an NCHW tensor (SEMANTICS.md §9)
    assert torch.equal(patchjit.unfold(view, 3, padding=1), F.unfold(view, 3, padding=1))
    nhwc_group = base.permute(0, 2, 3, 1)[..., 1:5]  # channels 1-4 of an NHWC view: pixel stride > C
    args = ([1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    want = reference.extract(np.ascontiguousarray(nhwc_group.numpy()), *args)
    assert_same(patchjit.extract_image_patches(nhwc_group, *args).numpy(), want)
