"""patchjit: TensorFlow's ExtractImagePatches, bit-exact, as JIT-compiled kernels.

    import numpy as np, patchjit
    images = np.random.rand(1, 56, 56, 64).astype(np.float32)
    patches = patchjit.extract_image_patches(images, ksizes=[1, 3, 3, 1], strides=[1, 1, 1, 1],
                                             rates=[1, 1, 1, 1], padding="SAME")  # (1, 56, 56, 576)

The functions take numpy arrays or CPU torch tensors and return the same kind (or write into
`out=`). The input is read where it lies (a non-contiguous view is first copied to a dense
array); the output is a new array, or `out`. `Kernel` compiles one signature once
for calls in a loop. Errors are TensorFlow's classes with TensorFlow's words:
InvalidArgumentError, OutOfRangeError and UnimplementedError (each a ValueError),
ResourceExhaustedError (a MemoryError) and InternalError (a RuntimeError), all subclasses of
patchjit.Error; an argument of the wrong Python type is a TypeError.

The exact rules are docs/SEMANTICS.md in the source tree.
"""
from ._patchjit import (
    Error,
    InternalError,
    InvalidArgumentError,
    Kernel,
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
    "extract_image_patches",
    "extract_patches",
    "host_isa",
]
