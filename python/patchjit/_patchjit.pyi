# Type stubs of patchjit's compiled core (python/src/_patchjit.cc).
from typing import Any, Optional, Sequence, SupportsIndex, Tuple, TypeVar, Union

import numpy as np

# A numpy array, or a CPU torch.Tensor (typed loosely: torch is optional).
ArrayT = TypeVar("ArrayT")
IntList = Union[Sequence[SupportsIndex], np.ndarray]
DTypeLike = Union[str, np.dtype, type, Any]  # a name ("float32", "half", "bfloat16"), numpy or torch dtype

__version__: str

class Error(Exception): ...
class InvalidArgumentError(Error, ValueError): ...
class OutOfRangeError(Error, ValueError): ...
class UnimplementedError(Error, ValueError): ...
class ResourceExhaustedError(Error, MemoryError): ...
class InternalError(Error, RuntimeError): ...

def extract_image_patches(
    images: ArrayT,
    ksizes: IntList,
    strides: IntList,
    rates: IntList,
    padding: str,
    name: Optional[str] = None,
    *,
    out: Optional[ArrayT] = None,
    backend: str = "auto",
    threads: int = 0,
    dtype: Optional[DTypeLike] = None,
) -> ArrayT: ...
def extract_patches(
    images: ArrayT,
    sizes: IntList,
    strides: IntList,
    rates: IntList,
    padding: str,
    name: Optional[str] = None,
    *,
    out: Optional[ArrayT] = None,
    backend: str = "auto",
    threads: int = 0,
    dtype: Optional[DTypeLike] = None,
) -> ArrayT: ...

class Kernel:
    def __init__(
        self,
        dtype: DTypeLike,
        shape: IntList,
        ksizes: IntList,
        strides: IntList,
        rates: IntList,
        padding: Union[str, Sequence[SupportsIndex]],
        *,
        backend: str = "auto",
        pad_value: Optional[bytes] = None,
        layout: str = "nhwc",
        patch_order: str = "hwc",
        patches: str = "rows",
        mode: Optional[str] = None,
    ) -> None: ...
    def __call__(self, images: ArrayT, *, out: Optional[ArrayT] = None, threads: int = 0) -> ArrayT: ...
    @property
    def output_shape(self) -> Tuple[int, ...]: ...
    @property
    def input_shape(self) -> Tuple[int, ...]: ...
    @property
    def mode(self) -> Optional[str]: ...
    @property
    def dtype(self) -> str: ...
    @property
    def backend(self) -> str: ...
    def describe(self) -> str: ...

def _extract_ex(
    images: ArrayT,
    ksizes: IntList,
    strides: IntList,
    rates: IntList,
    padding: Union[str, Sequence[SupportsIndex]],
    pad_value: Optional[bytes],
    layout: str,
    patch_order: str,
    patches: str,
    out: Optional[ArrayT],
    backend: str,
    threads: int,
    dtype: Optional[DTypeLike],
) -> ArrayT: ...
def _pair(value: Union[SupportsIndex, Sequence[SupportsIndex]], name: str) -> tuple[int, int]: ...
def _unfold(
    input: ArrayT,
    kernel_size: Union[SupportsIndex, Sequence[SupportsIndex]],
    dilation: Union[SupportsIndex, Sequence[SupportsIndex]],
    padding: Union[SupportsIndex, Sequence[SupportsIndex]],
    stride: Union[SupportsIndex, Sequence[SupportsIndex]],
    out: Optional[ArrayT],
    backend: str,
    threads: int,
    dtype: Optional[DTypeLike],
) -> ArrayT: ...
def _fold_ex(
    patches: ArrayT,
    image_shape: IntList,
    ksizes: IntList,
    strides: IntList,
    rates: IntList,
    padding: Union[str, Sequence[SupportsIndex]],
    layout: str,
    patch_order: str,
    patches_as: str,
    mode: str,
    out: Optional[ArrayT],
    backend: str,
    threads: int,
    dtype: Optional[DTypeLike],
) -> ArrayT: ...
def backend_available(backend: str) -> bool: ...
def host_isa() -> str: ...
def cache_stats() -> dict[str, float]: ...
def cache_clear() -> None: ...
