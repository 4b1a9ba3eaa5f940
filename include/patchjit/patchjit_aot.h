/* patchjit ahead-of-time kernels: the types shared by the headers `patchjit aot` generates, the
 * objects it compiles, the programs that link them (with no patchjit library at all) and
 * patchjit's runtime (pj_register_aot_kernels in patchjit.h).
 *
 * An extract kernel fills output rows [row_begin, row_end) of the flattened (image, output row)
 * range of one signature, row = image * out_rows + out_row; `input` and `output` point at the
 * whole tensors, in the signature's layout and with its strides (docs/SEMANTICS.md §6-§9:
 * explicit pads, a pad value, NHWC or NCHW, HWC or CHW patch order, patches as rows or columns,
 * strided buffers). A fold kernel (docs/SEMANTICS.md §12: patches -> image, the gradient) fills
 * image rows [row_begin, row_end) of the flattened (image, row) range, row = image * rows + row:
 * `input` points at the patches and `output` at the image. Batch is a run-time argument: one
 * kernel serves every batch size, and row ranges split the work between threads. Buffers need
 * no alignment and must not overlap.
 *
 * C99, usable from C++. Everything here is a type or a static inline function. */
#ifndef PATCHJIT_PATCHJIT_AOT_H_
#define PATCHJIT_PATCHJIT_AOT_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define PJ_AOT_HAVE_CPUID 1
#else
#define PJ_AOT_HAVE_CPUID 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The layout of pj_aot_kernel; bumped whenever it changes. Version 2 added the engine formats
 * (the fields of pj_aot_signature after `padding`), version 3 fold (`op`, `dtype`, `mode`). The
 * runtime reads tables of versions 1 (as TensorFlow's op), 2 (extract) and 3, and refuses
 * others. */
#define PJ_AOT_ABI_VERSION 3

#define PJ_AOT_PADDING_SAME 0 /* the values of pj_padding */
#define PJ_AOT_PADDING_VALID 1
#define PJ_AOT_PADDING_EXPLICIT 2
#define PJ_AOT_LAYOUT_NHWC 0 /* the values of pj_layout, pj_patch_order, pj_patches */
#define PJ_AOT_LAYOUT_NCHW 1
#define PJ_AOT_PATCH_ORDER_HWC 0
#define PJ_AOT_PATCH_ORDER_CHW 1
#define PJ_AOT_PATCHES_ROWS 0
#define PJ_AOT_PATCHES_COLUMNS 1
#define PJ_AOT_OP_EXTRACT 0 /* image -> patches */
#define PJ_AOT_OP_FOLD 1    /* patches -> image */
#define PJ_AOT_FOLD_SUM 0   /* the values of pj_fold_mode */
#define PJ_AOT_FOLD_MEAN 1

/* The argument of every kernel (the layout of the JIT kernels' arguments). */
typedef struct pj_aot_args {
  const void* input; /* the whole input tensor */
  void* output;      /* the whole output tensor */
  int64_t row_begin;
  int64_t row_end;
} pj_aot_args;

typedef void (*pj_aot_function)(const pj_aot_args* args);

/* What a kernel is for. Extract only moves bytes: every dtype of one size shares a kernel; fold
 * adds in its dtype. The form is canonical, so that one kernel has one signature and lookups
 * compare every field: an initializer that stops after `padding` (zeros after it) is
 * TensorFlow's op. Fold's signature is its image's and extract's attributes, as pj_spec_ex
 * gives them to pj_fold_kernel_create. */
typedef struct pj_aot_signature {
  int64_t element_size;           /* bytes: 1, 2, 4, 8 or 16 */
  int64_t rows, cols, depth;      /* the input image, H x W x C (any batch), whatever the layout */
  int64_t ksize_rows, ksize_cols; /* ksizes [1, ksize_rows, ksize_cols, 1] */
  int64_t stride_rows, stride_cols;
  int64_t rate_rows, rate_cols;
  int64_t padding; /* PJ_AOT_PADDING_SAME, _VALID or _EXPLICIT */
  /* Since version 2. */
  int64_t pads[4];             /* EXPLICIT: top, bottom, left, right; all 0 for SAME and VALID */
  unsigned char pad_value[16]; /* element_size bytes in memory order, the rest 0; all 0: T(0) */
  int64_t layout;              /* PJ_AOT_LAYOUT_* */
  int64_t patch_order;         /* PJ_AOT_PATCH_ORDER_* */
  int64_t patches;             /* PJ_AOT_PATCHES_* */
  /* Strides in elements as pj_spec_ex takes them, resolved (never 0), or all three (both) 0
   * when that buffer is dense. Input: between images, rows, pixels (NHWC) or images, channels,
   * rows (NCHW). Output: the leading dimension, then between images. */
  int64_t input_strides[3];
  int64_t output_strides[2];
  /* Since version 3. A fold reads the patches and writes the image: its strides keep their
   * meaning, input_strides the image's and output_strides the patches'. */
  int64_t op;    /* PJ_AOT_OP_EXTRACT or PJ_AOT_OP_FOLD */
  int64_t dtype; /* fold: the pj_dtype it adds in; extract: 0 */
  int64_t mode;  /* fold: PJ_AOT_FOLD_SUM or PJ_AOT_FOLD_MEAN; extract: 0 */
} pj_aot_signature;

/* One entry of a generated table. Every field is 8 bytes (the pad value 16): no padding anywhere. */
typedef struct pj_aot_kernel {
  int64_t abi_version; /* PJ_AOT_ABI_VERSION */
  pj_aot_signature signature;
  /* What the kernel writes: extract's patches, out_depth = ksize_rows * ksize_cols * depth;
   * fold's image, rows x cols x depth. */
  int64_t out_rows, out_cols, out_depth;
  pj_aot_function function;
  const char* name;           /* the function's symbol */
  const char* cpu;            /* the CPU it was compiled for, e.g. "x86-64-v4" or "znver4" */
  uint64_t required_features; /* PJ_AOT_FEATURE_* bits this CPU must have */
} pj_aot_kernel;

/* CPU features, by LLVM's names, that compiled code may use and pj_aot_host_features() detects
 * (x86-64: CPUID, and for AVX and AVX-512 the operating system's support, XGETBV). A kernel
 * needs every feature its CPU has among these; the others (tuning flags, instructions no
 * compiler emits unasked) are not recorded. A bit without a name here is never satisfied. */
enum {
  PJ_AOT_FEATURE_CMOV,
  PJ_AOT_FEATURE_CX8,
  PJ_AOT_FEATURE_CX16,
  PJ_AOT_FEATURE_SAHF,
  PJ_AOT_FEATURE_X87,
  PJ_AOT_FEATURE_MMX,
  PJ_AOT_FEATURE_FXSR,
  PJ_AOT_FEATURE_SSE,
  PJ_AOT_FEATURE_SSE2,
  PJ_AOT_FEATURE_SSE3,
  PJ_AOT_FEATURE_SSSE3,
  PJ_AOT_FEATURE_SSE4_1,
  PJ_AOT_FEATURE_SSE4_2,
  PJ_AOT_FEATURE_CRC32,
  PJ_AOT_FEATURE_POPCNT,
  PJ_AOT_FEATURE_MOVBE,
  PJ_AOT_FEATURE_PCLMUL,
  PJ_AOT_FEATURE_AES,
  PJ_AOT_FEATURE_XSAVE,
  PJ_AOT_FEATURE_AVX,
  PJ_AOT_FEATURE_FMA,
  PJ_AOT_FEATURE_F16C,
  PJ_AOT_FEATURE_LZCNT,
  PJ_AOT_FEATURE_PRFCHW,
  PJ_AOT_FEATURE_BMI,
  PJ_AOT_FEATURE_AVX2,
  PJ_AOT_FEATURE_BMI2,
  PJ_AOT_FEATURE_ADX,
  PJ_AOT_FEATURE_SHA,
  PJ_AOT_FEATURE_AVX512F,
  PJ_AOT_FEATURE_EVEX512,
  PJ_AOT_FEATURE_AVX512DQ,
  PJ_AOT_FEATURE_AVX512IFMA,
  PJ_AOT_FEATURE_AVX512CD,
  PJ_AOT_FEATURE_AVX512BW,
  PJ_AOT_FEATURE_AVX512VL,
  PJ_AOT_FEATURE_AVX512VBMI,
  PJ_AOT_FEATURE_AVX512VBMI2,
  PJ_AOT_FEATURE_GFNI,
  PJ_AOT_FEATURE_VAES,
  PJ_AOT_FEATURE_VPCLMULQDQ,
  PJ_AOT_FEATURE_AVX512VNNI,
  PJ_AOT_FEATURE_AVX512BITALG,
  PJ_AOT_FEATURE_AVX512VPOPCNTDQ,
  PJ_AOT_FEATURE_AVX512FP16,
  PJ_AOT_FEATURE_AVX512BF16,
  PJ_AOT_FEATURE_AVXVNNI,
  PJ_AOT_FEATURE_COUNT
};

/* LLVM's name of feature bit `bit` ("avx2"), or NULL for a bit without one. */
static inline const char* pj_aot_feature_name(int bit) {
  static const char* const names[PJ_AOT_FEATURE_COUNT] = {
      "cmov",       "cx8",         "cx16",         "sahf",
      "x87",        "mmx",         "fxsr",         "sse",
      "sse2",       "sse3",        "ssse3",        "sse4.1",
      "sse4.2",     "crc32",       "popcnt",       "movbe",
      "pclmul",     "aes",         "xsave",        "avx",
      "fma",        "f16c",        "lzcnt",        "prfchw",
      "bmi",        "avx2",        "bmi2",         "adx",
      "sha",        "avx512f",     "evex512",      "avx512dq",
      "avx512ifma", "avx512cd",    "avx512bw",     "avx512vl",
      "avx512vbmi", "avx512vbmi2", "gfni",         "vaes",
      "vpclmulqdq", "avx512vnni",  "avx512bitalg", "avx512vpopcntdq",
      "avx512fp16", "avx512bf16",  "avxvnni"};
  return bit >= 0 && bit < PJ_AOT_FEATURE_COUNT ? names[bit] : NULL;
}

/* The PJ_AOT_FEATURE_* bits this CPU (and its operating system) supports. It runs CPUID, which
 * is slow in virtual machines: call it once. 0 where there is no CPUID (not x86-64). */
static inline uint64_t pj_aot_host_features(void) {
  uint64_t f = 0;
#if PJ_AOT_HAVE_CPUID
  unsigned int a = 0, b = 0, c = 0, d = 0;
  unsigned int c1 = 0, d1 = 0, b7 = 0, c7 = 0, d7 = 0, a7_1 = 0, ce = 0;
  unsigned int max_leaf = __get_cpuid_max(0, NULL);
  unsigned long long xcr0 = 0;
  int ymm, zmm;
  if (max_leaf >= 1) __cpuid(1, a, b, c1, d1);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b7, c7, d7);
    if (a >= 1) __cpuid_count(7, 1, a7_1, b, c, d);
  }
  if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u) __cpuid(0x80000001u, a, b, ce, d);
  if (c1 & (1u << 27)) { /* OSXSAVE: XGETBV says which register states the OS saves */
    unsigned int lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = ((unsigned long long)hi << 32) | lo;
  }
  ymm = (xcr0 & 0x6) == 0x6;   /* XMM and YMM state */
  zmm = (xcr0 & 0xe6) == 0xe6; /* and opmask, ZMM_Hi256, Hi16_ZMM */
#define PJ_AOT_BIT_(reg, n) (((reg) >> (n)) & 1u)
#define PJ_AOT_SET_(feature, condition) \
  if (condition) f |= (uint64_t)1 << PJ_AOT_FEATURE_##feature
  PJ_AOT_SET_(CMOV, PJ_AOT_BIT_(d1, 15));
  PJ_AOT_SET_(CX8, PJ_AOT_BIT_(d1, 8));
  PJ_AOT_SET_(CX16, PJ_AOT_BIT_(c1, 13));
  PJ_AOT_SET_(SAHF, PJ_AOT_BIT_(ce, 0));
  PJ_AOT_SET_(X87, PJ_AOT_BIT_(d1, 0));
  PJ_AOT_SET_(MMX, PJ_AOT_BIT_(d1, 23));
  PJ_AOT_SET_(FXSR, PJ_AOT_BIT_(d1, 24));
  PJ_AOT_SET_(SSE, PJ_AOT_BIT_(d1, 25));
  PJ_AOT_SET_(SSE2, PJ_AOT_BIT_(d1, 26));
  PJ_AOT_SET_(SSE3, PJ_AOT_BIT_(c1, 0));
  PJ_AOT_SET_(SSSE3, PJ_AOT_BIT_(c1, 9));
  PJ_AOT_SET_(SSE4_1, PJ_AOT_BIT_(c1, 19));
  PJ_AOT_SET_(SSE4_2, PJ_AOT_BIT_(c1, 20));
  PJ_AOT_SET_(CRC32, PJ_AOT_BIT_(c1, 20));
  PJ_AOT_SET_(POPCNT, PJ_AOT_BIT_(c1, 23));
  PJ_AOT_SET_(MOVBE, PJ_AOT_BIT_(c1, 22));
  PJ_AOT_SET_(PCLMUL, PJ_AOT_BIT_(c1, 1));
  PJ_AOT_SET_(AES, PJ_AOT_BIT_(c1, 25));
  PJ_AOT_SET_(XSAVE, PJ_AOT_BIT_(c1, 26));
  PJ_AOT_SET_(AVX, ymm && PJ_AOT_BIT_(c1, 28));
  PJ_AOT_SET_(FMA, ymm && PJ_AOT_BIT_(c1, 12));
  PJ_AOT_SET_(F16C, ymm && PJ_AOT_BIT_(c1, 29));
  PJ_AOT_SET_(LZCNT, PJ_AOT_BIT_(ce, 5));
  PJ_AOT_SET_(PRFCHW, PJ_AOT_BIT_(ce, 8));
  PJ_AOT_SET_(BMI, PJ_AOT_BIT_(b7, 3));
  PJ_AOT_SET_(AVX2, ymm && PJ_AOT_BIT_(b7, 5));
  PJ_AOT_SET_(BMI2, PJ_AOT_BIT_(b7, 8));
  PJ_AOT_SET_(ADX, PJ_AOT_BIT_(b7, 19));
  PJ_AOT_SET_(SHA, PJ_AOT_BIT_(b7, 29));
  PJ_AOT_SET_(AVX512F, zmm && PJ_AOT_BIT_(b7, 16));
  PJ_AOT_SET_(EVEX512, zmm && PJ_AOT_BIT_(b7, 16)); /* every AVX-512 CPU so far has 512-bit vectors */
  PJ_AOT_SET_(AVX512DQ, zmm && PJ_AOT_BIT_(b7, 17));
  PJ_AOT_SET_(AVX512IFMA, zmm && PJ_AOT_BIT_(b7, 21));
  PJ_AOT_SET_(AVX512CD, zmm && PJ_AOT_BIT_(b7, 28));
  PJ_AOT_SET_(AVX512BW, zmm && PJ_AOT_BIT_(b7, 30));
  PJ_AOT_SET_(AVX512VL, zmm && PJ_AOT_BIT_(b7, 31));
  PJ_AOT_SET_(AVX512VBMI, zmm && PJ_AOT_BIT_(c7, 1));
  PJ_AOT_SET_(AVX512VBMI2, zmm && PJ_AOT_BIT_(c7, 6));
  PJ_AOT_SET_(GFNI, PJ_AOT_BIT_(c7, 8));
  PJ_AOT_SET_(VAES, ymm && PJ_AOT_BIT_(c7, 9));
  PJ_AOT_SET_(VPCLMULQDQ, ymm && PJ_AOT_BIT_(c7, 10));
  PJ_AOT_SET_(AVX512VNNI, zmm && PJ_AOT_BIT_(c7, 11));
  PJ_AOT_SET_(AVX512BITALG, zmm && PJ_AOT_BIT_(c7, 12));
  PJ_AOT_SET_(AVX512VPOPCNTDQ, zmm && PJ_AOT_BIT_(c7, 14));
  PJ_AOT_SET_(AVX512FP16, zmm && PJ_AOT_BIT_(d7, 23));
  PJ_AOT_SET_(AVX512BF16, zmm && PJ_AOT_BIT_(a7_1, 5));
  PJ_AOT_SET_(AVXVNNI, ymm && PJ_AOT_BIT_(a7_1, 4));
#undef PJ_AOT_SET_
#undef PJ_AOT_BIT_
#endif
  return f;
}

/* Whether a CPU with `features` (pj_aot_host_features()) can run `kernel`. */
static inline int pj_aot_kernel_supported(const pj_aot_kernel* kernel, uint64_t features) {
  return (kernel->required_features & ~features) == 0;
}

static inline int pj_aot_same_signature(const pj_aot_signature* a, const pj_aot_signature* b) {
  int i;
  int same = a->element_size == b->element_size && a->rows == b->rows && a->cols == b->cols && a->depth == b->depth &&
             a->ksize_rows == b->ksize_rows && a->ksize_cols == b->ksize_cols && a->stride_rows == b->stride_rows &&
             a->stride_cols == b->stride_cols && a->rate_rows == b->rate_rows && a->rate_cols == b->rate_cols &&
             a->padding == b->padding && a->layout == b->layout && a->patch_order == b->patch_order &&
             a->patches == b->patches && a->op == b->op && a->dtype == b->dtype && a->mode == b->mode;
  for (i = 0; i < 4; ++i) same = same && a->pads[i] == b->pads[i];
  for (i = 0; i < 16; ++i) same = same && a->pad_value[i] == b->pad_value[i];
  for (i = 0; i < 3; ++i) same = same && a->input_strides[i] == b->input_strides[i];
  for (i = 0; i < 2; ++i) same = same && a->output_strides[i] == b->output_strides[i];
  return same;
}

/* The entry of `table` for `signature`, or NULL. */
static inline const pj_aot_kernel* pj_aot_find(const pj_aot_kernel* table, size_t count,
                                               const pj_aot_signature* signature) {
  size_t i;
  for (i = 0; i < count; ++i) {
    if (pj_aot_same_signature(&table[i].signature, signature)) return &table[i];
  }
  return NULL;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PATCHJIT_PATCHJIT_AOT_H_ */
