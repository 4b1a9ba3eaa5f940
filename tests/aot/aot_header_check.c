/* patchjit_aot.h compiles as strict C99 (-pedantic-errors) on its own, without patchjit.h or
 * any library, and its helpers work from C: the feature names, CPUID, lookups. */
#include "patchjit/patchjit_aot.h"

#include <stdio.h>
#include <string.h>

static void copy_rows(const pj_aot_args* args) { (void)args; }

int main(void) {
  const uint64_t features = pj_aot_host_features();
  pj_aot_kernel table[2];
  pj_aot_signature wanted = {.element_size = 4, .rows = 8, .cols = 8, .depth = 3, .ksize_rows = 3, .ksize_cols = 3,
                             .stride_rows = 1, .stride_cols = 1, .rate_rows = 1, .rate_cols = 1,
                             .padding = PJ_AOT_PADDING_SAME};
  int bit;
  memset(table, 0, sizeof table);
  table[0].signature = wanted;
  table[0].signature.padding = PJ_AOT_PADDING_VALID;
  table[1].signature = wanted;
  table[1].function = copy_rows;
  table[1].required_features = features;
  if (sizeof(pj_aot_kernel) != 36 * 8 || sizeof(pj_aot_args) != 32 || PJ_AOT_ABI_VERSION != 3) return 1;
  if (pj_aot_find(table, 2, &wanted) != &table[1] || pj_aot_find(table, 1, &wanted) != NULL) return 2;
  /* Every field counts: another format, pad value or stride is another kernel, and so is fold
   * (in a dtype and mode) of the same signature. */
  wanted.layout = PJ_AOT_LAYOUT_NCHW;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 7;
  wanted.layout = PJ_AOT_LAYOUT_NHWC;
  wanted.pad_value[3] = 0x80;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 8;
  wanted.pad_value[3] = 0;
  wanted.output_strides[0] = 40;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 9;
  wanted.output_strides[0] = 0;
  wanted.op = PJ_AOT_OP_FOLD;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 11;
  table[0].signature = wanted; /* fold, sum, dtype 0 */
  if (pj_aot_find(table, 2, &wanted) != &table[0]) return 12;
  wanted.mode = PJ_AOT_FOLD_MEAN;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 13;
  wanted.mode = PJ_AOT_FOLD_SUM;
  wanted.dtype = 2;
  if (pj_aot_find(table, 2, &wanted) != NULL) return 14;
  wanted.op = PJ_AOT_OP_EXTRACT, wanted.dtype = 0;
  if (pj_aot_find(table, 2, &wanted) != &table[1]) return 10;
  if (!pj_aot_kernel_supported(&table[1], features)) return 3;
  table[1].required_features |= (uint64_t)1 << 63; /* no CPU has this one */
  if (pj_aot_kernel_supported(&table[1], features)) return 4;
  if (strcmp(pj_aot_feature_name(PJ_AOT_FEATURE_AVX2), "avx2") != 0 || pj_aot_feature_name(PJ_AOT_FEATURE_COUNT) != NULL ||
      pj_aot_feature_name(-1) != NULL) {
    return 5;
  }
#if defined(__x86_64__)
  if (!(features >> PJ_AOT_FEATURE_SSE2 & 1)) return 6; /* every x86-64 has it */
#endif
  printf("this CPU's features:");
  for (bit = 0; bit < PJ_AOT_FEATURE_COUNT; ++bit) {
    if (features >> bit & 1) printf(" %s", pj_aot_feature_name(bit));
  }
  printf("\n");
  return 0;
}
