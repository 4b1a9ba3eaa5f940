/* patchjit: TensorFlow's ExtractImagePatches, bit-exact, as specialized kernels.
 *
 * C API (C99). A pj_spec names one signature: element type, NHWC input shape, ksizes,
 * strides, rates (each [1, rows, cols, 1], as TensorFlow takes them) and padding. A pj_kernel
 * is created once per signature and run any number of times, from any number of threads.
 * pj_spec_ex adds what inference engines need (explicit pads, a pad value, NCHW and torch
 * order, patches as columns, strided buffers); pj_kernel_run_range runs tiles. The rules are
 * in docs/SEMANTICS.md (installed as share/doc/patchjit/SEMANTICS.md).
 *
 * Errors: every call that can fail returns a pj_status; PJ_OK is 0. The message, in
 * TensorFlow's words where TensorFlow has them, is pj_last_error() on the calling thread
 * until that thread's next patchjit call.
 *
 * Threads: every function may be called from any thread at any time. A kernel runs from any
 * number of threads at once (pj_kernel_run, _run_rows, _run_range). The global settings
 * (pj_set_max_isa, pj_set_kernel_code_limit, pj_cache_set_limits) are atomic: a change affects
 * kernels created after it, never one already created; a create running at the same moment
 * builds with the old or the new value (the ISA cap is read once per create). Batch sizes: a kernel serves one batch
 * size; kernels of the same signature with other batch sizes share its compiled code through the kernel cache, so
 * creating one per batch size costs a cache hit, not a compile. */
#ifndef PATCHJIT_PATCHJIT_H_
#define PATCHJIT_PATCHJIT_H_

#include <stddef.h>
#include <stdint.h>

#if defined(PATCHJIT_BUILDING)
#define PJ_API __attribute__((visibility("default")))
#else
#define PJ_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PJ_VERSION_MAJOR 0
#define PJ_VERSION_MINOR 1
#define PJ_VERSION_PATCH 0

/* TensorFlow's error classes (docs/SEMANTICS.md §2): Unimplemented, OutOfRange, InvalidArgument. */
typedef enum pj_status {
  PJ_OK = 0,
  PJ_INVALID_ARGUMENT,
  PJ_OUT_OF_RANGE,
  PJ_UNIMPLEMENTED,
  PJ_RESOURCE_EXHAUSTED,
  PJ_INTERNAL
} pj_status;

/* The op's `T` list. The op only moves bytes: types of one size share a kernel. */
typedef enum pj_dtype {
  PJ_FLOAT32,
  PJ_FLOAT64,
  PJ_INT32,
  PJ_INT64,
  PJ_UINT8,
  PJ_INT16,
  PJ_INT8,
  PJ_UINT16,
  PJ_HALF,
  PJ_BFLOAT16,
  PJ_COMPLEX64,
  PJ_COMPLEX128,
  PJ_BOOL,
  PJ_UINT32,
  PJ_UINT64
} pj_dtype;

/* EXPLICIT: the pads of pj_spec_ex (a pj_spec alone cannot carry them). */
typedef enum pj_padding { PJ_PADDING_SAME, PJ_PADDING_VALID, PJ_PADDING_EXPLICIT } pj_padding;

/* AUTO picks the fastest backend this build and CPU can run: XBYAK on x86-64 with AVX2, else
 * INTERP (see README "Backends"). REFERENCE runs the golden loops (for verification); INTERP
 * runs the plan with memcpy/memset (portable). */
typedef enum pj_backend {
  PJ_BACKEND_AUTO,
  PJ_BACKEND_REFERENCE,
  PJ_BACKEND_INTERP,
  PJ_BACKEND_XBYAK,
  PJ_BACKEND_LLVM
} pj_backend;

typedef struct pj_spec {
  pj_dtype dtype;
  int64_t input_shape[4]; /* [batch, rows, cols, depth] */
  int64_t ksizes[4];      /* [1, ksize_rows, ksize_cols, 1] */
  int64_t strides[4];     /* [1, stride_rows, stride_cols, 1] */
  int64_t rates[4];       /* [1, rate_rows, rate_cols, 1] */
  pj_padding padding;
} pj_spec;

typedef struct pj_kernel pj_kernel;

/* The output shape [batch, out_rows, out_cols, ksize_rows*ksize_cols*depth] of a valid spec. */
PJ_API pj_status pj_output_shape(const pj_spec* spec, int64_t output_shape[4]);

/* Validates the spec and builds a kernel for it on `backend`. A backend that is not built or
 * cannot run on this CPU gives PJ_UNIMPLEMENTED with the reason. Specs with an empty output
 * are valid: their kernel does nothing. */
PJ_API pj_status pj_kernel_create(const pj_spec* spec, pj_backend backend, pj_kernel** kernel);

/* Runs the kernel on a whole input tensor (input_bytes long: dense NHWC for a pj_spec) into a
 * whole output tensor (output_bytes long; with strides, from the first element to one past the
 * last). Pointers need no alignment; they may be NULL only when their
 * buffer is empty; input and output must not overlap. num_threads: 0 = choose from the output
 * size, N >= 1 = at most N threads. The output is the same for every thread count. */
PJ_API pj_status pj_kernel_run(const pj_kernel* kernel, const void* input, void* output, int num_threads);

/* Runs output rows [row_begin, row_end) of the flattened (image, output row) range, i.e. row
 * index = image * out_rows + out_row, on the calling thread: for callers that split the work
 * with their own thread pool. `input` and `output` still point at the whole tensors. */
PJ_API pj_status pj_kernel_run_rows(const pj_kernel* kernel, const void* input, void* output, int64_t row_begin,
                                    int64_t row_end);

/* ---- Engine formats: the extended spec (docs/SEMANTICS.md §6-§10) ----
 * Every default (pj_spec_ex_init) is TensorFlow's op, bit for bit. */
typedef enum pj_layout { PJ_LAYOUT_NHWC, PJ_LAYOUT_NCHW } pj_layout; /* the image's */
/* Where tap (i, j), channel c lies in a patch: HWC k = (i*kw + j)*C + c (TensorFlow);
 * CHW k = (c*kh + i)*kw + j (PyTorch's unfold, Caffe, ONNX Runtime). */
typedef enum pj_patch_order { PJ_PATCH_ORDER_HWC, PJ_PATCH_ORDER_CHW } pj_patch_order;
/* ROWS: [N, OH, OW, K] (TensorFlow); COLUMNS: [N, K, OH*OW] (im2col, torch's unfold). */
typedef enum pj_patches { PJ_PATCHES_ROWS, PJ_PATCHES_COLUMNS } pj_patches;

#define PJ_SPEC_EX_VERSION 1

typedef struct pj_spec_ex {
  /* PJ_SPEC_EX_VERSION as this header defines it; pj_spec_ex_init sets it. Lets later versions
   * add fields without breaking callers compiled against this one. */
  uint32_t version;
  /* dtype, ksizes, strides, rates and padding as in pj_spec; input_shape is the image in the
   * layout's order: [N, H, W, C] (NHWC) or [N, C, H, W] (NCHW). */
  pj_spec base;
  /* With base.padding == PJ_PADDING_EXPLICIT: top, bottom, left, right, each 0..2^31-1
   * (TensorFlow's EXPLICIT output size); must be all zero otherwise. */
  int64_t pads[4];
  /* One element of dtype, its pj_dtype_size bytes in memory order (the rest zero), written
   * wherever a tap falls outside the image, bit for bit. All zero: T(0), TensorFlow's. */
  unsigned char pad_value[16];
  pj_layout layout;
  pj_patch_order patch_order;
  pj_patches patches;
  /* Strides in elements, 0 = dense; the innermost dimension is contiguous. Image: between
   * images, rows, pixels (NHWC) or images, channels, rows (NCHW). Patches: the leading
   * dimension (patch to patch for ROWS, >= K; row to row of [K, OH*OW] for COLUMNS, >= OH*OW),
   * then between images. Elements may not overlap. */
  int64_t input_strides[3];
  int64_t output_strides[2];
} pj_spec_ex;

/* TensorFlow's op: `base` copied (NULL: float32, empty shape, ksizes/strides/rates all 1,
 * SAME), no pads, zero pad value, NHWC, HWC, ROWS, dense buffers. */
PJ_API void pj_spec_ex_init(pj_spec_ex* spec, const pj_spec* base);

/* The output shape of a valid spec and its rank: 4 for ROWS [N, OH, OW, K], 3 for COLUMNS
 * [N, K, OH*OW] (output_shape[3] is then 0). rank may be NULL. */
PJ_API pj_status pj_output_shape_ex(const pj_spec_ex* spec, int64_t output_shape[4], int* rank);

/* pj_kernel_create for an extended spec. */
PJ_API pj_status pj_kernel_create_ex(const pj_spec_ex* spec, pj_backend backend, pj_kernel** kernel);

/* A tile: output positions [begin, end) of the flattened q = (image*OH + oh)*OW + ow, on the
 * calling thread, anywhere across rows and images; 0 <= begin <= end <= pj_kernel_positions.
 * Writes exactly those positions' patches, the same bytes a whole run writes there; disjoint
 * tiles of one call may run at once. `input` and `output` point at the whole tensors. */
PJ_API pj_status pj_kernel_run_range(const pj_kernel* kernel, const void* input, void* output, int64_t begin,
                                     int64_t end);
/* batch * OH * OW (tiles) and batch * OH (pj_kernel_run_rows); for fold batch * H * W and batch * H.
 * INT64_MAX where the product does not fit (possible only for an empty output). */
PJ_API int64_t pj_kernel_positions(const pj_kernel* kernel);
PJ_API int64_t pj_kernel_rows(const pj_kernel* kernel);

/* ---- Fold (docs/SEMANTICS.md §12): patches -> image; col2im; the gradient of extract ----
 * A fold kernel runs with pj_kernel_run(kernel, patches, image, num_threads): its input is the
 * patches of the extract that `spec` describes (the shape pj_output_shape_ex gives, in the spec's
 * format), its output that extract's image (spec->base.input_shape, in the spec's layout). Each
 * image element is +0 plus every patch element extract copied from it (padding positions are
 * dropped), added in ascending output position, each add rounded in the dtype: bit-identical to
 * TensorFlow's gradient of ExtractImagePatches, for any thread count. Integers wrap. bool has no
 * sum and a pad value makes no sense here: both are PJ_INVALID_ARGUMENT. In a fold spec
 * input_strides still describe the image and output_strides the patches. Rows
 * (pj_kernel_run_rows) and positions (pj_kernel_run_range) count image rows and image pixels. */
typedef enum pj_fold_mode {
  PJ_FOLD_SUM, /* the sum: the gradient */
  PJ_FOLD_MEAN /* the sum over the number of contributions (0 where none): floating, complex */
} pj_fold_mode;

PJ_API pj_status pj_fold_kernel_create(const pj_spec_ex* spec, pj_fold_mode mode, pj_backend backend,
                                       pj_kernel** kernel);

/* Releases the kernel. NULL is ignored. */
PJ_API void pj_kernel_destroy(pj_kernel* kernel);

/* This thread's message for the last failed call, "" after a successful one. */
PJ_API const char* pj_last_error(void);

/* Queries of a kernel. */
PJ_API pj_backend pj_kernel_backend(const pj_kernel* kernel); /* AUTO resolved */
/* As pj_output_shape_ex: rank 3 for patches as columns, output_shape[3] then 0. */
PJ_API void pj_kernel_output_shape(const pj_kernel* kernel, int64_t output_shape[4]);
PJ_API int pj_kernel_output_rank(const pj_kernel* kernel);
PJ_API size_t pj_kernel_input_bytes(const pj_kernel* kernel);
PJ_API size_t pj_kernel_output_bytes(const pj_kernel* kernel);
/* Writes a description of the kernel (signature, padding, plan) as snprintf does: at most
 * `size` bytes including the terminating NUL; returns the full length. */
PJ_API size_t pj_kernel_describe(const pj_kernel* kernel, char* buffer, size_t size);

/* Generated machine code of a JIT kernel: sets *code and returns its size; 0 (and NULL) for
 * the other backends. Read it with objdump -D -b binary -mi386:x86-64. */
PJ_API size_t pj_kernel_code(const pj_kernel* kernel, const void** code);

/* ---- Backends and instruction sets ----
 * The xbyak backend targets the best ISA of this CPU, capped by PATCHJIT_MAX_ISA
 * (none|avx2|avx512, read at first use) or pj_set_max_isa. A cap of NONE turns the JIT off;
 * AUTO then means INTERP. A cap affects kernels created afterwards. */
typedef enum pj_isa { PJ_ISA_NONE, PJ_ISA_AVX2, PJ_ISA_AVX512 } pj_isa;
PJ_API pj_isa pj_host_isa(void); /* what this CPU runs (NONE without Xbyak or AVX2) */
PJ_API pj_isa pj_max_isa(void);  /* the cap */
PJ_API pj_status pj_set_max_isa(pj_isa cap);
PJ_API const char* pj_isa_name(pj_isa isa); /* "none", "avx2", "avx512" */
/* PJ_OK when `backend` can run here, else PJ_UNIMPLEMENTED and pj_last_error() says why. */
PJ_API pj_status pj_backend_available(pj_backend backend);

/* ---- Limits ----
 * The largest machine code one kernel may have (default 16 MiB). A kernel that would be
 * larger is generated with run-time loops instead of unrolled code, and if that is still too
 * large it runs the plan interpreter (pj_kernel_describe says so): creating a kernel never
 * fails for its size. Affects kernels built afterwards (a signature already in the kernel cache
 * keeps its code until evicted or pj_cache_clear). */
PJ_API void pj_set_kernel_code_limit(size_t max_bytes);
PJ_API size_t pj_kernel_code_limit(void);

/* ---- The kernel cache ----
 * pj_kernel_create shares compiled code between kernels of one signature (batch size aside),
 * building it once even when several threads ask at once. Bounded by entries and code bytes,
 * least recently used first out; evicting never frees code a kernel still holds. */
typedef struct pj_cache_stats {
  uint64_t hits, misses, evictions, failures;
  uint64_t uncached;                    /* built but not cached: no memory for the entry */
  uint64_t entries, code_bytes;         /* now */
  uint64_t max_entries, max_code_bytes; /* limits */
  double compile_seconds;               /* total time building missed kernels */
} pj_cache_stats;
PJ_API void pj_cache_get_stats(pj_cache_stats* stats);
/* 0 entries turns caching off. Defaults: 256 entries, 64 MiB of code. */
PJ_API pj_status pj_cache_set_limits(size_t max_entries, size_t max_code_bytes);
PJ_API void pj_cache_clear(void);

/* ---- Ahead-of-time kernels ----
 * `patchjit aot` compiles the kernels of a manifest of signatures into an object file and a
 * header (types: patchjit/patchjit_aot.h). Registering its table makes pj_kernel_create with
 * PJ_BACKEND_AUTO or PJ_BACKEND_LLVM take a registered kernel of the same signature (element
 * size, not dtype; any batch) instead of compiling one, and pj_fold_kernel_create a registered
 * fold kernel of the same signature, dtype and mode, if this CPU has every feature the kernel
 * was compiled for and the ISA cap allows them; otherwise it compiles as before. Such a kernel
 * reports PJ_BACKEND_LLVM (LLVM made it), pj_kernel_describe says "ahead-of-time kernel NAME
 * (cpu CPU)", pj_kernel_code gives no code, and it never uses non-temporal stores.
 * Every entry is checked first: PJ_INVALID_ARGUMENT names the first bad one, and then none is
 * registered. Entries are copied; the functions and strings they point to must outlive every
 * kernel that uses them (those of a linked object do). Registering again adds entries; of several
 * for one signature, the one needing the most CPU features (all of which this CPU has) serves.
 * A signature is every attribute of a pj_spec_ex but batch (formats, pads, pad value, strides)
 * and, for extract, dtype; tiles (pj_kernel_run_range) run whole rows on the kernel and partial
 * rows on the plan interpreter. Tables of ABI versions 1 and 2 (patchjit_aot.h) are still read,
 * as extract kernels; the version of a table is that of its first entry, and every entry must
 * have it.
 * Thread-safe; also in builds without LLVM or Xbyak. */
struct pj_aot_kernel;
PJ_API pj_status pj_register_aot_kernels(const struct pj_aot_kernel* kernels, size_t count);

/* Names. */
PJ_API const char* pj_status_name(pj_status status);                    /* "PJ_OK", ...; NULL if invalid */
PJ_API const char* pj_dtype_name(pj_dtype dtype);                       /* TensorFlow's: "float32", ... */
PJ_API size_t pj_dtype_size(pj_dtype dtype);                            /* bytes per element; 0 if invalid */
PJ_API pj_status pj_dtype_from_name(const char* name, pj_dtype* dtype); /* "half" or "float16" */
PJ_API const char* pj_backend_name(pj_backend backend);                 /* "auto", "reference", ... */
PJ_API pj_status pj_backend_from_name(const char* name, pj_backend* backend);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHJIT_PATCHJIT_H_ */
