"""torch tensors in and out, without copies; torch.nn.functional.unfold as an oracle."""
import numpy as np
import pytest

import patchjit
import reference
from reference import assert_same

torch = pytest.importorskip("torch")
F = torch.nn.functional

ARGS = ([1, 3, 3, 1], [1, 1, 2, 1], [1, 2, 1, 1], "SAME")

TORCH_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int16, torch.int32,
                torch.int64, torch.uint8, torch.complex64, torch.complex128, torch.bool]


def random_tensor(gen, shape, dtype):
    raw = torch.randint(0, 256, (int(np.prod(shape)) * torch.empty(0, dtype=dtype).element_size(),),
                        dtype=torch.uint8, generator=gen)
    if dtype == torch.bool:
        return (raw[: int(np.prod(shape))] & 1).bool().reshape(shape)
    return raw.view(dtype).reshape(shape)


def as_numpy(t):
    """The bytes of tensor t as a numpy array (bfloat16 as int16)."""
    return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy()


@pytest.mark.parametrize("dtype", TORCH_DTYPES, ids=str)
def test_torch_in_torch_out(dtype):
    gen = torch.Generator().manual_seed(1)
    images = random_tensor(gen, (2, 7, 9, 3), dtype)
    got = patchjit.extract_image_patches(images, *ARGS)
    assert isinstance(got, torch.Tensor) and got.dtype == dtype and not got.requires_grad
    assert_same(as_numpy(got), reference.extract(as_numpy(images), *ARGS))
    kernel = patchjit.Kernel(dtype, images.shape, *ARGS)
    assert kernel.dtype == {torch.float16: "half"}.get(dtype, str(dtype)[6:])
    got = kernel(images)
    assert isinstance(got, torch.Tensor) and got.dtype == dtype
    assert_same(as_numpy(got), reference.extract(as_numpy(images), *ARGS))


def test_torch_out_written_in_place():
    images = torch.randn(1, 6, 5, 4)
    out = torch.full((1, 6, 3, 36), 5.0)
    pointer = out.data_ptr()
    assert patchjit.extract_image_patches(images, *ARGS, out=out) is out
    assert out.data_ptr() == pointer
    assert_same(out.numpy(), reference.extract(images.numpy(), *ARGS))
    # A numpy out for torch images (and the reverse) is fine: the result is the caller's out.
    out_np = np.zeros((1, 6, 3, 36), np.float32)
    assert patchjit.extract_image_patches(images, *ARGS, out=out_np) is out_np
    assert_same(out_np, out.numpy())


def test_torch_out_checks():
    images = torch.randn(1, 6, 5, 4)
    with pytest.raises(patchjit.InvalidArgumentError, match="requires grad"):
        patchjit.extract_image_patches(images, *ARGS, out=torch.zeros(1, 6, 3, 36, requires_grad=True))
    with pytest.raises(TypeError, match="out has dtype float64"):
        patchjit.extract_image_patches(images, *ARGS, out=torch.zeros(1, 6, 3, 36, dtype=torch.float64))
    with pytest.raises(patchjit.InvalidArgumentError, match="C-contiguous"):
        patchjit.extract_image_patches(images, *ARGS, out=torch.zeros(1, 6, 36, 3).transpose(2, 3))


def test_requires_grad_and_views():
    base = torch.randn(2, 5, 8, 6, requires_grad=True)
    got = patchjit.extract_image_patches(base, *ARGS)
    assert_same(got.numpy(), reference.extract(base.detach().numpy(), *ARGS))
    nchw = torch.randn(2, 3, 7, 5)
    nhwc_view = nchw.permute(0, 2, 3, 1)  # a non-contiguous NHWC view of an NCHW tensor
    assert_same(patchjit.extract_image_patches(nhwc_view, *ARGS).numpy(),
                reference.extract(np.ascontiguousarray(nhwc_view.numpy()), *ARGS))
    sliced = torch.randn(2, 9, 9, 8)[:, 1:8, ::2, 2:6]
    assert_same(patchjit.extract_image_patches(sliced, *ARGS).numpy(),
                reference.extract(np.ascontiguousarray(sliced.numpy()), *ARGS))


def test_conjugate_view_is_resolved():
    z = torch.randn(1, 4, 4, 2, dtype=torch.complex64)
    got = patchjit.extract_image_patches(z.conj(), *ARGS)
    assert_same(got.numpy(), reference.extract(np.conj(z.numpy()), *ARGS))


def test_no_copy_of_contiguous_input():
    # The input's memory is read in place: the kernel sees writes made through the tensor.
    images = torch.zeros(1, 4, 4, 1)
    kernel = patchjit.Kernel(torch.float32, images.shape, [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    images[0, 2, 3, 0] = 7.0
    assert kernel(images)[0, 2, 3, 0] == 7.0
    out = kernel(images)
    assert out.data_ptr() != images.data_ptr()


def test_unsupported_tensors():
    with pytest.raises(TypeError, match="dense"):
        patchjit.extract_image_patches(torch.zeros(1, 2, 2, 1).to_sparse(), *ARGS)
    if torch.cuda.is_available():
        with pytest.raises(TypeError, match="CPU tensor"):
            patchjit.extract_image_patches(torch.zeros(1, 2, 2, 1, device="cuda"), *ARGS)


def unfold_as_tf(x_nchw, k, s, r, pads):
    """torch.nn.functional.unfold [N, C*kh*kw, L] rearranged to TF's [N, OH, OW, kh*kw*C]."""
    n, c, h, w = x_nchw.shape
    cols = F.unfold(x_nchw, kernel_size=k, dilation=r, padding=pads, stride=s)
    kh, kw = k
    oh = (h + 2 * pads[0] - (r[0] * (kh - 1) + 1)) // s[0] + 1
    ow = (w + 2 * pads[1] - (r[1] * (kw - 1) + 1)) // s[1] + 1
    return cols.reshape(n, c, kh, kw, oh, ow).permute(0, 4, 5, 2, 3, 1).reshape(n, oh, ow, kh * kw * c)


def test_against_torch_unfold(rng):
    # VALID, and SAME where TensorFlow's pads are symmetric (torch pads both sides alike).
    checked = 0
    for _ in range(60):
        n, h, w, c = (int(v) for v in rng.integers(1, 9, size=4))
        kh, kw, sh, sw, rh, rw = (int(v) for v in rng.integers(1, 4, size=6))
        x = torch.randn(n, c, h, w)
        padding = str(rng.choice(["SAME", "VALID"]))
        try:
            oh, top = reference.output_size(h, kh, sh, rh, padding)
            ow, left = reference.output_size(w, kw, sw, rw, padding)
        except reference.ReferenceError:
            continue
        if padding == "SAME":
            if (oh - 1) * sh + rh * (kh - 1) + 1 - h != 2 * top or (ow - 1) * sw + rw * (kw - 1) + 1 - w != 2 * left:
                continue  # asymmetric pads: not a torch padding
        if oh <= 0 or ow <= 0:
            continue
        want = unfold_as_tf(x, (kh, kw), (sh, sw), (rh, rw), (top, left))
        got = patchjit.extract_image_patches(x.permute(0, 2, 3, 1), [1, kh, kw, 1], [1, sh, sw, 1], [1, rh, rw, 1],
                                             padding)
        assert torch.equal(got, want)
        checked += 1
    assert checked >= 10


def test_unfold_suite_bench_runs_and_matches_torch_on_every_shape():
    """bench/python_overhead.py --unfold-suite checks each result equal to F.unfold's and exits
    non-zero on a difference: run it briefly (its times are not looked at)."""
    import os
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "python_overhead.py")
    # The package's build (build/python/patchjit/__init__.py), else wherever it was imported from.
    build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(patchjit.__file__))))
    done = subprocess.run([sys.executable, script, "--build", build, "--unfold-suite", "--min-time", "0.001"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "geometric mean over 15 shapes" in done.stdout, done.stdout
    assert "float16 1x64x56x56 k3 s1 p1" in done.stdout
