/* Extracts 3x3 SAME patches of a 1x4x4x1 float image with the C API. */
#include <patchjit/patchjit.h>

#include <stdio.h>

int main(void) {
  pj_spec spec = {PJ_FLOAT32, {1, 4, 4, 1}, {1, 3, 3, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, PJ_PADDING_SAME};
  int64_t shape[4];
  pj_kernel* kernel = NULL;
  float image[16], patches[16 * 9];
  int i;
  for (i = 0; i < 16; ++i) image[i] = (float)(i + 1);
  if (pj_output_shape(&spec, shape) != PJ_OK ||
      pj_kernel_create(&spec, PJ_BACKEND_AUTO, &kernel) != PJ_OK ||
      pj_kernel_run(kernel, image, patches, 0) != PJ_OK) {
    fprintf(stderr, "patchjit: %s\n", pj_last_error());
    return 1;
  }
  printf("C: output [%lld,%lld,%lld,%lld] on %s; patch (1,1):", (long long)shape[0],
         (long long)shape[1], (long long)shape[2], (long long)shape[3],
         pj_backend_name(pj_kernel_backend(kernel)));
  for (i = 0; i < 9; ++i) printf(" %g", patches[(1 * 4 + 1) * 9 + i]);
  printf("\n");
  pj_kernel_destroy(kernel);
  /* Pixel (1,1) sees rows 0-2, cols 0-2: 1 2 3 5 6 7 9 10 11. */
  return patches[(1 * 4 + 1) * 9 + 8] == 11.0f ? 0 : 1;
}
