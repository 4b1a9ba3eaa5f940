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
  if (pj_kernel_create(&spec, PJ_BACKEND_AUTO, &kernel) != PJ_OK) {
    fprintf(stderr, "%s\n", pj_last_error());
    return 1;
  }
  for (i = 0; i < 16; ++i) in[i] = (float)i;
  if (pj_kernel_run(kernel, in, out, 0) != PJ_OK) return 1;
  pj_kernel_destroy(kernel);
  /* Pixel (1,1), centre tap: input (1,1) = 5. */
  return out[(1 * 4 + 1) * 9 + 4] == 5.0f ? 0 : 1;
}
