/* patchjit.h compiles as strict C99 and works from C. */
#include "patchjit/patchjit.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  pj_spec spec;
  int64_t shape[4];
  pj_kernel* kernel = NULL;
  float in[16], out[16 * 9];
  int i;
  memset(&spec, 0, sizeof spec);
  spec.dtype = PJ_FLOAT32;
  spec.input_shape[0] = 1; spec.input_shape[1] = 4; spec.input_shape[2] = 4; spec.input_shape[3] = 1;
  for (i = 0; i < 4; ++i) spec.ksizes[i] = spec.strides[i] = spec.rates[i] = 1;
  spec.ksizes[1] = spec.ksizes[2] = 3;
  spec.padding = PJ_PADDING_SAME;
  if (pj_output_shape(&spec, shape) != PJ_OK || shape[3] != 9) return 1;
  /* A C caller may store any int in an enum: a clear error, and (under UBSan) no undefined
   * behaviour inside the library, which found this by fuzzing. */
  {
    pj_spec bad = spec;
    pj_kernel* none = NULL;
    bad.dtype = (pj_dtype)-1;
    if (pj_output_shape(&bad, shape) != PJ_INVALID_ARGUMENT) return 2;
    bad.dtype = (pj_dtype)99;
    if (pj_kernel_create(&bad, PJ_BACKEND_AUTO, &none) != PJ_INVALID_ARGUMENT || none != NULL) return 3;
    bad = spec;
    bad.padding = (pj_padding)7;
    if (pj_output_shape(&bad, shape) != PJ_INVALID_ARGUMENT) return 4;
    if (pj_kernel_create(&spec, (pj_backend)-5, &none) != PJ_INVALID_ARGUMENT) return 5;
    if (pj_backend_available((pj_backend)42) != PJ_INVALID_ARGUMENT) return 6;
    if (pj_dtype_name((pj_dtype)-1) != NULL || pj_dtype_size((pj_dtype)1000) != 0) return 7;
    if (pj_backend_name((pj_backend)77) != NULL || pj_status_name((pj_status)-3) != NULL) return 8;
    if (pj_isa_name((pj_isa)9) != NULL || pj_set_max_isa((pj_isa)-1) != PJ_INVALID_ARGUMENT) return 9;
    {
      pj_spec_ex ex;
      pj_spec_ex_init(&ex, &spec);
      if (pj_fold_kernel_create(&ex, (pj_fold_mode)7, PJ_BACKEND_AUTO, &none) != PJ_INVALID_ARGUMENT || none != NULL) {
        return 10;
      }
      if (pj_fold_kernel_create(&ex, PJ_FOLD_SUM, (pj_backend)-2, &none) != PJ_INVALID_ARGUMENT) return 11;
    }
  }
  if (pj_kernel_create(&spec, PJ_BACKEND_AUTO, &kernel) != PJ_OK) {
    fprintf(stderr, "%s\n", pj_last_error());
    return 1;
  }
  for (i = 0; i < 16; ++i) in[i] = (float)i;
  if (pj_kernel_run(kernel, in, out, 0) != PJ_OK) return 1;
  pj_kernel_destroy(kernel);
  /* Pixel (1,1), centre tap: input (1,1) = 5. */
  if (out[(1 * 4 + 1) * 9 + 4] != 5.0f) return 1;
  /* The extended spec from C: patches as columns, a pad value, a tile. */
  {
    pj_spec_ex ex;
    float pad = -1.0f;
    int rank = 0;
    pj_spec_ex_init(&ex, &spec);
    ex.patches = PJ_PATCHES_COLUMNS;
    memcpy(ex.pad_value, &pad, sizeof pad);
    if (pj_output_shape_ex(&ex, shape, &rank) != PJ_OK || rank != 3 || shape[1] != 9 || shape[2] != 16) return 10;
    if (pj_kernel_create_ex(&ex, PJ_BACKEND_AUTO, &kernel) != PJ_OK) {
      fprintf(stderr, "%s\n", pj_last_error());
      return 11;
    }
    memset(out, 0, sizeof out);
    if (pj_kernel_run_range(kernel, in, out, 0, pj_kernel_positions(kernel)) != PJ_OK) return 12;
    pj_kernel_destroy(kernel);
    /* Row k = 0 (tap (0,0)) of position 0 lies outside the image; row 4 (centre) is the image. */
    if (out[0] != -1.0f || out[4 * 16 + 5] != 5.0f) return 13;
  }
  return 0;
}
