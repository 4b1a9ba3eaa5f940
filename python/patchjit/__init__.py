"""patchjit: TensorFlow's ExtractImagePatches, bit-exact, as JIT-compiled kernels.

    import numpy as np, patchjit
    images = np.random.rand(1, 56, 56, 64).astype(np.float32)
    patches = patchjit.extract_image_patches(images, ksizes=[1, 3, 3, 1], strides=[1, 1, 1, 1],
                                             rates=[1, 1, 1, 1], padding="SAME")  # (1, 56, 56, 576)

The functions take numpy arrays or CPU torch tensors and return the same kind (or write into
`out=`). The input is read where it lies, strided views too (through the library's input
strides) when their innermost dimension is contiguous; other views are copied first. The output
is a new array, or `out`. `extract` has every option of the engine (explicit pads, a pad value,
NCHW, torch's patch order, patches as columns); `unfold` is torch.nn.functional.unfold. Fold goes
back, patches to images, bit-identical to TensorFlow's gradient: `extract_image_patches_grad`
(TensorFlow's), `fold` (torch.nn.functional.fold's shapes) and `fold_patches` (every option,
mode "sum" or "mean"). `Kernel` and `FoldKernel` compile one signature once for calls in a loop. Errors are TensorFlow's classes with TensorFlow's words:
InvalidArgumentError, OutOfRangeError and UnimplementedError (each a ValueError),
ResourceExhaustedError (a MemoryError) and InternalError (a RuntimeError), all subclasses of
patchjit.Error; an argument of the wrong Python type is a TypeError.

The exact rules are docs/SEMANTICS.md in the source tree.
"""
import numpy as _np

from . import _patchjit
from ._patchjit import (
    Error,
    InternalError,
    InvalidArgumentError,
    OutOfRangeError,
    ResourceExhaustedError,
    UnimplementedError,
    __version__,
    backend_available,
    cache_clear,
    cache_stats,
    extract_image_patches,
    extract_patches,
    host_isa,
)

__all__ = [
    "Error",
    "FoldKernel",
    "InternalError",
    "InvalidArgumentError",
    "Kernel",
    "OutOfRangeError",
    "ResourceExhaustedError",
    "UnimplementedError",
    "__version__",
    "backend_available",
    "cache_clear",
    "cache_stats",
    "extract",
    "extract_image_patches",
    "extract_patches",
    "extract_image_patches_grad",
    "fold",
    "fold_patches",
    "host_isa",
    "unfold",
]

_FORMATS = {"tf": ("nhwc", "hwc", "rows"), "torch": ("nchw", "chw", "columns")}


def _formats(format, layout, patch_order, patches):
    """(layout, patch_order, patches): a named format's, each overridden where given."""
    if format is None:
        format = "tf"
    if format not in _FORMATS:
        raise InvalidArgumentError(f'format must be "tf" or "torch", but got {format!r}')
    named = _FORMATS[format]
    return tuple(named[i] if v is None else v for i, v in enumerate((layout, patch_order, patches)))


def _attribute(value, name):
    """An int or (rows, cols) as TensorFlow's [1, rows, cols, 1]; any other list as it is (the
    binding reports TensorFlow's length error)."""
    if isinstance(value, (int, _np.integer)) and not isinstance(value, bool):
        return [1, int(value), int(value), 1]
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return [1, value[0], value[1], 1]
    return value


_pair = _patchjit._pair  # torch's int-or-pair argument (fold's; unfold reads its own in C++)


def _numpy_dtype(dtype):
    """(numpy dtype, is bfloat16) of a dtype argument: a name, a numpy or a torch dtype."""
    name = str(dtype)
    if name in ("bfloat16", "torch.bfloat16"):
        return _np.dtype(_np.uint16), True
    if name.startswith("torch."):
        name = name[6:]
    return _np.dtype({"half": "float16"}.get(name, name) if isinstance(dtype, str) or str(dtype).startswith("torch.")
                     else dtype), False


def _images_dtype(images, dtype):
    if dtype is not None:
        numpy_dtype, bfloat16 = _numpy_dtype(dtype)
        if bfloat16 and isinstance(images, _np.ndarray):
            return images.dtype, True
        return numpy_dtype, bfloat16
    if isinstance(images, _np.ndarray):
        return images.dtype, False
    return _numpy_dtype(getattr(images, "dtype", None))


def _pad_bytes(pad_value, dtype, bfloat16):
    """One element of `dtype` as bytes in memory order: bytes as given; a number converted
    (integers must fit; bfloat16 rounds from float32 to nearest even, as TensorFlow's)."""
    if pad_value is None or isinstance(pad_value, bytes):
        return pad_value
    if bfloat16:
        f = _np.array(pad_value, dtype=_np.float32)
        bits = int(f.view(_np.uint32))
        half = (bits >> 16) | 0x40 if _np.isnan(f) else (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return _np.array(half & 0xFFFF, dtype=dtype.str.replace("i", "u")).tobytes()
    if dtype.kind in "biu":
        if not isinstance(pad_value, (int, _np.integer, bool, _np.bool_)):
            raise TypeError(f"pad_value for {dtype} must be an integer, got {type(pad_value).__name__}")
        low, high = (0, 1) if dtype.kind == "b" else (_np.iinfo(dtype).min, _np.iinfo(dtype).max)
        if not low <= int(pad_value) <= high:
            raise InvalidArgumentError(f"pad_value {int(pad_value)} does not fit {dtype} [{low}, {high}]")
    return _np.array(pad_value, dtype=dtype).tobytes()


class Kernel(_patchjit.Kernel):
    __doc__ = _patchjit.Kernel.__doc__

    def __init__(self, dtype, shape, ksizes, strides, rates, padding, *, backend="auto", pad_value=None,
                 layout=None, patch_order=None, patches=None, format=None):
        layout, patch_order, patches = _formats(format, layout, patch_order, patches)
        pad = None
        if pad_value is not None:
            numpy_dtype, bfloat16 = _numpy_dtype(dtype)
            pad = _pad_bytes(pad_value, numpy_dtype, bfloat16)
        super().__init__(dtype, shape, _attribute(ksizes, "ksizes"), _attribute(strides, "strides"),
                         _attribute(rates, "rates"), padding, backend=backend, pad_value=pad, layout=layout,
                         patch_order=patch_order, patches=patches)


def extract(images, ksizes, strides=1, rates=1, padding="VALID", pad_value=None, layout=None, patch_order=None,
            patches=None, format=None, *, out=None, backend="auto", threads=0, dtype=None):
    """Patch extraction with every option of the engine (docs/SEMANTICS.md §6-§9).

    ksizes, strides, rates   an int, (rows, cols) or TensorFlow's [1, rows, cols, 1]
    padding      "SAME", "VALID" or explicit pads (top, bottom, left, right)
    pad_value    written where a tap falls outside the image: a number of the images' dtype (an
                 integer must fit it) or its bytes; None is zero bytes, TensorFlow's
    format       "tf" (nhwc, hwc, rows; the default) or "torch" (nchw, chw, columns): the
                 defaults of the three below, each of which overrides it where given
    layout       "nhwc" [N, H, W, C] or "nchw" [N, C, H, W]: the images'
    patch_order  "hwc" (TensorFlow) or "chw" (torch, Caffe, ONNX): where tap (i, j), channel c sits
    patches      "rows" [N, OH, OW, K] or "columns" [N, K, OH*OW]
    out, backend, threads, dtype   as in extract_image_patches

    Strided views whose innermost dimension is contiguous are read in place (the library's
    input strides); other views are copied first.
    """
    layout, patch_order, patches = _formats(format, layout, patch_order, patches)
    if pad_value is not None:
        pad_value = _pad_bytes(pad_value, *_images_dtype(images, dtype))
    return _patchjit._extract_ex(images, _attribute(ksizes, "ksizes"), _attribute(strides, "strides"),
                                 _attribute(rates, "rates"), padding, pad_value, layout, patch_order, patches, out,
                                 backend, threads, dtype)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1, *, out=None, backend="auto", threads=0, dtype=None):
    """torch.nn.functional.unfold: [N, C, H, W] (or unbatched [C, H, W]) to
    [N, C*kh*kw, L] (or [C*kh*kw, L]), bit-exact, with torch's shapes.

    kernel_size, dilation, padding, stride: an int or a pair, as torch takes them (padding pads
    both sides). Numpy arrays and CPU torch tensors of every patchjit type; out, backend,
    threads and dtype as in extract_image_patches. Errors are patchjit's classes: the library's
    words for bad sizes, torch's when a dimension would have no block.
    """
    if getattr(input, "ndim", 4) != 3:
        return _patchjit._unfold(input, kernel_size, dilation, padding, stride, out, backend, threads, dtype)
    # Unbatched [C, H, W]: a batch of one.
    result = _patchjit._unfold(input[None], kernel_size, dilation, padding, stride, None if out is None else out[None],
                               backend, threads, dtype)
    return result[0]


class FoldKernel(_patchjit.Kernel):
    """FoldKernel(dtype, image_shape, ksizes, strides, rates, padding, *, mode="sum", backend="auto",
    layout=None, patch_order=None, patches=None, format=None)

    The fold of one extract signature (the image shape and attributes it had), compiled once:
    kernel(patches, *, out=None, threads=0) returns the image. input_shape is the patches' shape,
    output_shape the image's. Options as in fold_patches.
    """

    def __init__(self, dtype, image_shape, ksizes, strides, rates, padding, *, mode="sum", backend="auto",
                 layout=None, patch_order=None, patches=None, format=None):
        layout, patch_order, patches = _formats(format, layout, patch_order, patches)
        super().__init__(dtype, image_shape, _attribute(ksizes, "ksizes"), _attribute(strides, "strides"),
                         _attribute(rates, "rates"), padding, backend=backend, layout=layout,
                         patch_order=patch_order, patches=patches, mode=mode)


def fold_patches(input, image_shape, ksizes, strides=1, rates=1, padding="VALID", layout=None, patch_order=None,
                 patches=None, format=None, mode="sum", *, out=None, backend="auto", threads=0, dtype=None):
    """Patches back into the image they were extracted from (col2im; docs/SEMANTICS.md §11).

    input        the patches, exactly as extract gives them for `image_shape` and these options
    image_shape  the image's shape in the layout's order ([N, H, W, C] or [N, C, H, W])
    mode         "sum": each image element is the sum of every patch element extract copied
                 from it, added in ascending output position and rounded in the dtype, so it is
                 bit-identical to TensorFlow's gradient; "mean": that sum over the number of
                 contributions (floating and complex types; 0 where none)
    ksizes, strides, rates, padding, layout, patch_order, patches, format   as in extract (there
                 is no pad value: padding positions are dropped)
    out, backend, threads, dtype   as in extract_image_patches (out receives the image)

    Patches that are not C-contiguous are read where they lie when the kernel can take their
    strides (the innermost dimension contiguous; for rows, OH and OW one stride of patches
    apart: a slice of a wider patch matrix, every other image), else copied first.
    """
    layout, patch_order, patches = _formats(format, layout, patch_order, patches)
    return _patchjit._fold_ex(input, image_shape, _attribute(ksizes, "ksizes"), _attribute(strides, "strides"),
                              _attribute(rates, "rates"), padding, layout, patch_order, patches, mode, out, backend,
                              threads, dtype)


def extract_image_patches_grad(grad, image_shape, ksizes, strides, rates, padding, name=None, *, out=None,
                               backend="auto", threads=0, dtype=None):
    """The gradient of extract_image_patches with respect to its images, bit-identical to
    TensorFlow's (_ExtractImagePatchesGrad): grad [N, OH, OW, K] -> [N, H, W, C] = image_shape.
    Arguments as extract_image_patches took them; `name` is accepted and ignored.
    """
    return _patchjit._fold_ex(grad, list(image_shape), ksizes, strides, rates, padding, "nhwc", "hwc", "rows", "sum",
                              out, backend, threads, dtype)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1, *, out=None, backend="auto", threads=0,
         dtype=None):
    """torch.nn.functional.fold: [N, C*kh*kw, L] (or unbatched [C*kh*kw, L]) to [N, C, H, W]
    (or [C, H, W]) with (H, W) = output_size, each pixel the sum of its blocks' elements.

    The sums are added in TensorFlow's order (ascending block), each rounded in the dtype; torch
    adds in another order, so floating results agree with torch's to rounding (exactly when
    every partial sum is exact). Numpy arrays and CPU torch tensors of every patchjit type
    except bool; out, backend, threads and dtype as in extract_image_patches. Shape errors are
    torch's words, as InvalidArgumentError.
    """
    (kh, kw), (dh, dw) = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    (ph, pw), (sh, sw) = _pair(padding, "padding"), _pair(stride, "stride")
    (oh, ow) = _pair(output_size, "output_size")
    shape = tuple(input.shape)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise InvalidArgumentError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                                   f"non-zero dimensions for input, but got: {list(shape)}")
    unbatched = len(shape) == 2
    if unbatched:
        input = input[None]
        if out is not None:
            out = out[None]
        shape = (1,) + shape
    if min(kh, kw, dh, dw, sh, sw) >= 1 and min(ph, pw) >= 0:
        if shape[1] % (kh * kw) != 0:
            raise InvalidArgumentError("Expected size of input's dimension 1 to be divisible by the product of "
                                       f"kernel_size, but got input.size(1)={shape[1]} and kernel_size=({kh}, {kw}).")
        blocks = [(size + 2 * p - (d * (k - 1) + 1)) // s + 1
                  for size, k, d, p, s in ((oh, kh, dh, ph, sh), (ow, kw, dw, pw, sw))]
        if min(blocks) < 1:
            raise InvalidArgumentError(
                f"Given output_size=({oh}, {ow}), kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), "
                f"padding=({ph}, {pw}), stride=({sh}, {sw}), calculated shape of the array of sliding blocks as "
                f"({blocks[0]}, {blocks[1]}), which is too small (non-positive)")
        if shape[2] != blocks[0] * blocks[1]:
            raise InvalidArgumentError(
                f"Given output_size=({oh}, {ow}), kernel_size=({kh}, {kw}), dilation=({dh}, {dw}), "
                f"padding=({ph}, {pw}), stride=({sh}, {sw}), expected size of input's dimension 2 to match the "
                f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                f"input.size(2)={shape[2]}.")
    channels = shape[1] // (kh * kw) if kh * kw > 0 else 0
    result = _patchjit._fold_ex(input, [shape[0], channels, oh, ow], [1, kh, kw, 1], [1, sh, sw, 1],
                                [1, dh, dw, 1], (ph, ph, pw, pw), "nchw", "chw", "columns", "sum", out, backend,
                                threads, dtype)
    return result[0] if unbatched else result
