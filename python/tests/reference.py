"""A pure-numpy reference of ExtractImagePatches, written from docs/SEMANTICS.md (§3, §4, §6-§8).

It moves raw bytes (every dtype is viewed as bytes), so it is bit-exact for NaN payloads,
negative zeros and bool, as patchjit must be. It raises ReferenceError with TensorFlow's words
where the output size is negative (§3).
"""
import numpy as np


class ReferenceError(ValueError):
    """The reference's verdict that a spec is invalid; the message is TensorFlow's."""


def trunc_div(a, b):
    """C++ integer division (truncates toward zero), SEMANTICS.md's `/`."""
    q = abs(a) // b
    return q if a >= 0 else -q


def output_size(n, k, s, r, padding):
    """(output size, leading pad) along one axis; padding is "SAME", "VALID" or (before, after)."""
    k_eff = k + (k - 1) * (r - 1)
    if padding == "SAME":
        out = trunc_div(n + s - 1, s)
        need = max(0, (out - 1) * s + k_eff - n)
        return out, need // 2
    before, after = (0, 0) if padding == "VALID" else padding
    out = trunc_div(n + before + after - k_eff + s, s)
    if out < 0:
        raise ReferenceError(f"Computed output size would be negative: {out} "
                             f"[input_size: {n}, effective_filter_size: {k_eff}, stride: {s}]")
    return out, before


def extract(images, ksizes, strides, rates, padding, pad_value=None, layout="nhwc",
            patch_order="hwc", patches="rows"):
    """The patches of `images` (any dtype) as SEMANTICS.md §8 defines them.

    padding: "SAME", "VALID" or (top, bottom, left, right). pad_value: None (zero bytes) or a
    scalar of the images' dtype. Returns rows [N, OH, OW, K] or columns [N, K, OH*OW].
    """
    x = np.asarray(images)
    if layout == "nchw":
        x = x.transpose(0, 2, 3, 1)
    n, h, w, c = x.shape
    (_, kh, kw, _), (_, sh, sw, _), (_, rh, rw, _) = ksizes, strides, rates
    if isinstance(padding, str):
        rows_padding = cols_padding = padding
    else:
        rows_padding, cols_padding = tuple(padding[0:2]), tuple(padding[2:4])
    oh, top = output_size(h, kh, sh, rh, rows_padding)
    ow, left = output_size(w, kw, sw, rw, cols_padding)

    e = x.dtype.itemsize
    raw = np.ascontiguousarray(x).view(np.uint8).reshape(n, h, w, c, e)
    fill = np.zeros(e, np.uint8)
    if pad_value is not None:
        fill = np.frombuffer(np.array(pad_value, dtype=x.dtype).tobytes(), np.uint8)
    out = np.empty((n, oh, ow, kh, kw, c, e), np.uint8)
    for i in range(kh):
        rows = np.arange(oh) * sh - top + i * rh
        rows_in = (rows >= 0) & (rows < h)
        for j in range(kw):
            cols = np.arange(ow) * sw - left + j * rw
            cols_in = (cols >= 0) & (cols < w)
            if h and w:
                taps = raw[:, np.clip(rows, 0, h - 1)][:, :, np.clip(cols, 0, w - 1)]
            else:
                taps = np.zeros((n, oh, ow, c, e), np.uint8)
            inside = (rows_in[:, None] & cols_in[None, :])[None, :, :, None, None]
            out[:, :, :, i, j] = np.where(inside, taps, fill)
    if patch_order == "chw":
        out = out.transpose(0, 1, 2, 5, 3, 4, 6)
    k = kh * kw * c
    out = np.ascontiguousarray(out).view(x.dtype).reshape(n, oh, ow, k)
    if patches == "columns":
        out = np.ascontiguousarray(out.reshape(n, oh * ow, k).transpose(0, 2, 1))
    return out


def assert_same(got, want):
    """Equal shape, dtype and bytes; on failure, the first differing element."""
    assert isinstance(got, np.ndarray), type(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    bytes_of = lambda x: np.ascontiguousarray(x).view(np.uint8).reshape(x.shape + (x.dtype.itemsize,))
    a, b = bytes_of(got), bytes_of(want)
    if not np.array_equal(a, b):
        where = tuple(int(i) for i in np.argwhere((a != b).any(axis=-1))[0])
        raise AssertionError(f"first difference at {where}: got {got[where]!r}, want {want[where]!r}")
