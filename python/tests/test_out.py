"""out=: written in place and returned; its shape, dtype, layout and memory are checked."""
import re

import numpy as np
import pytest

import patchjit
import reference
from conftest import random_image
from reference import assert_same

ARGS = ([1, 3, 3, 1], [1, 2, 1, 1], [1, 1, 1, 1], "SAME")


def test_out_is_written_and_returned(rng):
    images = random_image(rng, (2, 9, 7, 3), np.float32)
    want = reference.extract(images, *ARGS)
    out = np.full(want.shape, 7, np.float32)
    got = patchjit.extract_image_patches(images, *ARGS, out=out)
    assert got is out
    assert_same(out, want)
    out2 = np.empty_like(want)
    kernel = patchjit.Kernel(np.float32, images.shape, *ARGS)
    assert kernel(images, out=out2) is out2
    assert_same(out2, want)


def test_out_can_be_a_contiguous_view_into_a_bigger_buffer(rng):
    images = random_image(rng, (1, 6, 6, 2), np.uint8)
    want = reference.extract(images, *ARGS)
    buffer = np.zeros((3,) + want.shape[1:], np.uint8)
    got = patchjit.extract_image_patches(images, *ARGS, out=buffer[1:2])
    assert_same(buffer[1:2], want)
    assert not buffer[0].any() and not buffer[2].any()  # nothing outside `out` is written
    assert got.base is buffer


def test_out_wrong_shape_dtype_layout():
    images = np.zeros((1, 6, 6, 2), np.float32)
    with pytest.raises(patchjit.InvalidArgumentError,
                       match=re.escape("out has shape [1,3,6,17] but the output shape is [1,3,6,18]")):
        patchjit.extract_image_patches(images, *ARGS, out=np.zeros((1, 3, 6, 17), np.float32))
    with pytest.raises(patchjit.InvalidArgumentError, match="out has shape"):
        patchjit.extract_image_patches(images, *ARGS, out=np.zeros((3, 6, 18), np.float32))
    with pytest.raises(TypeError, match="out has dtype float64 but the output has dtype float32"):
        patchjit.extract_image_patches(images, *ARGS, out=np.zeros((1, 3, 6, 18), np.float64))
    with pytest.raises(patchjit.InvalidArgumentError, match="C-contiguous"):
        patchjit.extract_image_patches(images, *ARGS, out=np.zeros((1, 3, 6, 36), np.float32)[..., ::2])
    readonly = np.zeros((1, 3, 6, 18), np.float32)
    readonly.flags.writeable = False
    with pytest.raises(patchjit.InvalidArgumentError, match="read-only"):
        patchjit.extract_image_patches(images, *ARGS, out=readonly)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray or a torch.Tensor, got list"):
        patchjit.extract_image_patches(images, *ARGS, out=[])


def test_out_overlapping_images_is_refused():
    buffer = np.zeros(1000, np.float32)
    images = buffer[:72].reshape(1, 6, 6, 2)
    out = buffer[50:50 + 324].reshape(1, 3, 6, 18)
    with pytest.raises(patchjit.InvalidArgumentError, match="overlap"):
        patchjit.extract_image_patches(images, *ARGS, out=out)
    # Also when the images are a strided view (copied before the run).
    strided = buffer[:144].reshape(1, 6, 6, 4)[..., ::2]
    with pytest.raises(patchjit.InvalidArgumentError, match="overlap"):
        patchjit.extract_image_patches(strided, *ARGS, out=buffer[100:100 + 324].reshape(1, 3, 6, 18))
    assert not buffer.any()  # nothing was written


def test_empty_out():
    images = np.zeros((0, 6, 6, 2), np.float32)
    out = np.zeros((0, 3, 6, 18), np.float32)
    assert patchjit.extract_image_patches(images, *ARGS, out=out) is out


def test_new_outputs_start_on_64_byte_boundaries(rng):
    # The kernels store 64 bytes at a time; numpy's own allocations are 16-byte aligned, which
    # splits those stores across cache lines (5% slower on 1x56x56x64 k3).
    import gc
    import torch
    images = random_image(rng, (2, 9, 7, 3), np.float32)
    want = reference.extract(images, *ARGS)
    outs = [patchjit.extract_image_patches(images, *ARGS) for _ in range(4)]
    outs.append(patchjit.Kernel(np.float32, images.shape, *ARGS)(images))
    outs.append(patchjit.extract(random_image(rng, (1, 5, 6, 7), np.float64), 3, padding="SAME", patches="columns"))
    outs.append(patchjit.fold_patches(outs[0], images.shape, *ARGS))
    for out in outs:
        assert out.ctypes.data % 64 == 0 and out.flags.c_contiguous and out.flags.writeable
    tensor = patchjit.unfold(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), 3)
    assert tensor.data_ptr() % 64 == 0 and tensor.is_contiguous()
    bf16 = patchjit.extract_image_patches(torch.zeros((1, 4, 4, 2), dtype=torch.bfloat16), *ARGS)
    assert bf16.dtype == torch.bfloat16 and bf16.data_ptr() % 64 == 0
    # The arrays keep their memory alive on their own.
    first = outs[0]
    del outs
    gc.collect()
    assert_same(first, want)


def test_large_outputs_reuse_the_last_freed_buffer(rng):
    # Outputs of 4 MiB and more get mappings of their own, and the last one freed serves the next
    # output that fits it (fresh pages cost their zeroing: 10 of 16 ms on a 115 MB output).
    args = ([1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")  # 1x48x48x160 float32: 13.3 MB of patches
    images = [random_image(rng, (1, 48, 48, 160), np.float32) for _ in range(3)]
    wants = [reference.extract(x, *args) for x in images]
    patchjit.cache_clear()
    assert patchjit.cache_stats()["kept_output_bytes"] == 0
    a = patchjit.extract_image_patches(images[0], *args)
    b = patchjit.extract_image_patches(images[1], *args)  # a is alive: its memory is a's alone
    assert a.nbytes >= 4 << 20 and a.ctypes.data % 64 == 0
    assert b.ctypes.data != a.ctypes.data and patchjit.cache_stats()["kept_output_bytes"] == 0
    address = a.ctypes.data
    assert_same(a, wants[0])
    del a  # kept
    assert patchjit.cache_stats()["kept_output_bytes"] == wants[0].nbytes
    c = patchjit.extract_image_patches(images[2], *args)
    assert c.ctypes.data == address and patchjit.cache_stats()["kept_output_bytes"] == 0
    assert_same(c, wants[2])  # every byte of the reused buffer written anew
    assert_same(b, wants[1])
    del b, c  # one buffer is kept, not two
    assert patchjit.cache_stats()["kept_output_bytes"] == wants[0].nbytes
    # An output of less than half the kept buffer takes a mapping of its own (6.1 of 13.3 MB).
    small = patchjit.extract_image_patches(images[0][:, :, :22], *args)
    assert small.nbytes >= 4 << 20 and small.nbytes * 2 < wants[0].nbytes and small.ctypes.data != address
    assert patchjit.cache_stats()["kept_output_bytes"] == wants[0].nbytes
    assert_same(small, reference.extract(np.ascontiguousarray(images[0][:, :, :22]), *args))
    small_bytes = small.nbytes
    del small  # kept instead of the larger one: the last freed
    assert patchjit.cache_stats()["kept_output_bytes"] == small_bytes
    patchjit.cache_clear()
    assert patchjit.cache_stats()["kept_output_bytes"] == 0
    # Outputs under 4 MiB are numpy's: nothing is kept for them.
    tiny = patchjit.extract_image_patches(images[0][:, :8, :8], *args)
    del tiny
    assert patchjit.cache_stats()["kept_output_bytes"] == 0
