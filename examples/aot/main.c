/* A program that ships ahead-of-time ExtractImagePatches kernels. The build runs
 *   patchjit aot --manifest kernels.manifest --cpu native --output-dir DIR --name example_kernels
 * and links DIR/example_kernels.o into this program: no patchjit library, no LLVM, no JIT.
 *
 * It calls one kernel by name, then runs every kernel of the table on random data (in two row
 * ranges, as two threads would) and checks each output byte against TensorFlow's rule, written
 * out below. Exit status 1 on any difference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_kernels.h"

/* TensorFlow's padding before the first row (or column): SAME centres the window, VALID has none. */
static int64_t pad_before(int64_t in, int64_t out, int64_t ksize, int64_t stride, int64_t rate, int64_t padding) {
  const int64_t ksize_eff = ksize + (ksize - 1) * (rate - 1);
  const int64_t needed = (out - 1) * stride + ksize_eff - in;
  return padding == PJ_AOT_PADDING_SAME && needed > 0 ? needed / 2 : 0;
}

/* TensorFlow's ExtractImagePatches, element by element: output [b, r, c, (i*ksize_cols + j)*depth + d]
 * is input [b, r*stride_rows - pad_top + i*rate_rows, c*stride_cols - pad_left + j*rate_cols, d],
 * or zero where that lies outside the image. */
static void golden(const pj_aot_kernel* k, int64_t batch, const unsigned char* in, unsigned char* out) {
  const pj_aot_signature* s = &k->signature;
  const int64_t e = s->element_size;
  const int64_t top = pad_before(s->rows, k->out_rows, s->ksize_rows, s->stride_rows, s->rate_rows, s->padding);
  const int64_t left = pad_before(s->cols, k->out_cols, s->ksize_cols, s->stride_cols, s->rate_cols, s->padding);
  int64_t b, r, c, i, j, d;
  for (b = 0; b < batch; ++b)
    for (r = 0; r < k->out_rows; ++r)
      for (c = 0; c < k->out_cols; ++c)
        for (i = 0; i < s->ksize_rows; ++i)
          for (j = 0; j < s->ksize_cols; ++j)
            for (d = 0; d < s->depth; ++d) {
              const int64_t y = r * s->stride_rows - top + i * s->rate_rows;
              const int64_t x = c * s->stride_cols - left + j * s->rate_cols;
              unsigned char* to =
                  out + (((b * k->out_rows + r) * k->out_cols + c) * k->out_depth + (i * s->ksize_cols + j) * s->depth + d) * e;
              if (y < 0 || y >= s->rows || x < 0 || x >= s->cols) {
                memset(to, 0, (size_t)e);
              } else {
                memcpy(to, in + (((b * s->rows + y) * s->cols + x) * s->depth + d) * e, (size_t)e);
              }
            }
}

static uint64_t random_state = 0x9e3779b97f4a7c15u;

static unsigned char random_byte(void) { /* xorshift64 */
  random_state ^= random_state << 13;
  random_state ^= random_state >> 7;
  random_state ^= random_state << 17;
  return (unsigned char)(random_state >> 24);
}

/* Runs `k` on a random batch and compares it with the golden loops; 0 when identical. */
static int check(const pj_aot_kernel* k, int64_t batch) {
  const pj_aot_signature* s = &k->signature;
  const size_t in_bytes = (size_t)(batch * s->rows * s->cols * s->depth * s->element_size);
  const size_t out_bytes = (size_t)(batch * k->out_rows * k->out_cols * k->out_depth * s->element_size);
  unsigned char* in = malloc(in_bytes);
  unsigned char* out = malloc(out_bytes);
  unsigned char* expected = malloc(out_bytes);
  pj_aot_args args;
  size_t i;
  int failed = 0;
  if (in == NULL || out == NULL || expected == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  for (i = 0; i < in_bytes; ++i) in[i] = random_byte();
  memset(out, 0xa5, out_bytes); /* a byte the kernel does not write stays visible */
  args.input = in;
  args.output = out;
  args.row_begin = 0;
  args.row_end = batch * k->out_rows / 2;
  k->function(&args);
  args.row_begin = args.row_end;
  args.row_end = batch * k->out_rows;
  k->function(&args);
  golden(k, batch, in, expected);
  for (i = 0; i < out_bytes; ++i) {
    if (out[i] != expected[i]) {
      const size_t element = i / (size_t)s->element_size, depth = (size_t)k->out_depth;
      const size_t pixel = element / depth, cols = (size_t)k->out_cols, rows = (size_t)k->out_rows;
      printf("%s: DIFFERS at output [%zu, %zu, %zu, %zu] byte %zu: 0x%02x, expected 0x%02x\n", k->name,
             pixel / cols / rows, pixel / cols % rows, pixel % cols, element % depth,
             i % (size_t)s->element_size, out[i], expected[i]);
      failed = 1;
      break;
    }
  }
  if (!failed) {
    printf("%-52s batch %lld: %10zu bytes, identical to TensorFlow's rule\n", k->name, (long long)batch, out_bytes);
  }
  free(in);
  free(out);
  free(expected);
  return failed;
}

int main(void) {
  const uint64_t features = pj_aot_host_features(); /* CPUID: once */
  /* Fields not named are 0: TensorFlow's format, zero padding, dense buffers. */
  const pj_aot_signature layer = {.element_size = 4, .rows = 56, .cols = 56, .depth = 64, .ksize_rows = 3,
                                  .ksize_cols = 3, .stride_rows = 1, .stride_cols = 1, .rate_rows = 1,
                                  .rate_cols = 1, .padding = PJ_AOT_PADDING_SAME};
  const pj_aot_kernel* found = example_kernels_find(&layer);
  int failures = 0, skipped = 0;
  size_t i;

  if (found == NULL) {
    printf("the float32 [N,56,56,64] 3x3 kernel is missing from the table\n");
    return 1;
  }
  if (pj_aot_kernel_supported(found, features)) {
    /* A kernel by name, on a whole batch: what a deployment that knows its model does. */
    const int64_t batch = 2;
    float* in = calloc((size_t)(batch * 56 * 56 * 64), sizeof(float));
    float* out = malloc((size_t)(batch * 56 * 56 * 576) * sizeof(float));
    int right;
    if (in == NULL || out == NULL) return 1;
    in[((1 * 56 + 10) * 56 + 20) * 64 + 5] = 42.0f; /* image 1, row 10, col 20, channel 5 */
    example_kernels_e4_56x56x64_k3x3_s1x1_r1x1_same_run(in, out, batch);
    /* The centre tap (i = j = 1) of output pixel (1, 10, 20) is that input pixel. */
    right = out[((1 * 56 + 10) * 56 + 20) * 576 + (1 * 3 + 1) * 64 + 5] == 42.0f;
    free(in);
    free(out);
    if (!right) {
      printf("example_kernels_e4_56x56x64_k3x3_s1x1_r1x1_same_run: wrong output\n");
      return 1;
    }
  }

  printf("%d kernels compiled for %s\n", EXAMPLE_KERNELS_KERNEL_COUNT, example_kernels_kernels[0].cpu);
  for (i = 0; i < EXAMPLE_KERNELS_KERNEL_COUNT; ++i) {
    const pj_aot_kernel* k = &example_kernels_kernels[i];
    if (!pj_aot_kernel_supported(k, features)) {
      printf("%-52s skipped: this CPU lacks features it was compiled for\n", k->name);
      ++skipped;
      continue;
    }
    failures += check(k, i % 2 ? 3 : 2);
  }
  printf("%d of %d kernels identical to TensorFlow's rule%s\n", EXAMPLE_KERNELS_KERNEL_COUNT - failures - skipped,
         EXAMPLE_KERNELS_KERNEL_COUNT - skipped, skipped ? " (others skipped)" : "");
  return failures ? 1 : 0;
}
