// The manifest of `patchjit aot`: good lines (comments, blank lines, --flag=value, the default
// dtype), a table of bad lines each named by FILE:LINE with the rule it breaks, and how lines
// become kernels (batch and same-size dtypes share one; empty outputs need none).
#include <gtest/gtest.h>

#include <string>

#include "tools/aot/header.h"
#include "tools/aot/manifest.h"

namespace pj::cli {
namespace {

constexpr const char* kAttrs = "--ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME";

std::string line(const std::string& shape_and_more) { return shape_and_more + " " + kAttrs; }

TEST(AotManifest, ReadsSignaturesCommentsAndBlankLines) {
  const std::string text =
      "# kernels for a model\n"
      "\n" +
      line("--shape 1,56,56,64 --dtype float32") + "   # a 3x3 layer\n" + "   \t  \n" +
      "--shape=2,10,10,3 --ksizes=1,2,2,1 --strides 1,2,2,1 --rates 1,1,1,1 --padding=VALID\n" +
      line("--shape 1,7,7,8 --dtype uint8");  // no final newline
  Expected<std::vector<ManifestLine>> lines = parse_manifest(text, "m.txt");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ((*lines)[0].line, 3);
  EXPECT_EQ((*lines)[0].spec.dtype, DType::kFloat32);
  EXPECT_EQ((*lines)[0].geometry.output_shape(), (Dims{4, {1, 56, 56, 576}}));
  EXPECT_EQ((*lines)[1].line, 5);
  EXPECT_EQ((*lines)[1].spec.dtype, DType::kFloat32);  // the default, as for `patchjit info`
  EXPECT_EQ((*lines)[1].geometry.padding, Padding::kValid);
  EXPECT_EQ((*lines)[1].geometry.output_shape(), (Dims{4, {2, 5, 5, 12}}));
  EXPECT_EQ((*lines)[2].line, 6);
  EXPECT_EQ((*lines)[2].geometry.elem_size, 1);
}

struct BadLine {
  std::string text;
  std::string error;  // the message after "m.txt:3: " (TensorFlow's may say more after it)
};

TEST(AotManifest, EveryBadLineIsNamedWithItsRule) {
  const BadLine kBad[] = {
      {line("--shape 1,8,8,3 --colour red"), "unknown flag --colour"},
      {line("--shape 1,8,8,3 stray"), "unexpected argument 'stray'"},
      {line("--shape 1,8,8,3 --shape 1,8,8,3"), "--shape is given twice"},
      {"--shape 1,8,8,3 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1", "missing --padding"},
      {line("--dtype float32"), "missing --shape"},
      {line("--shape 1,8,x,3"), "--shape must be comma-separated integers, got '1,8,x,3'"},
      {line("--shape 1,8,8"), "input must be 4-dimensional[1,8,8]"},
      {line("--shape 1,8,8,3 --dtype float128"),
       "unknown dtype 'float128': expected one of float32, float64, int32, int64, uint8, int16, int8, uint16, "
       "half (or float16), bfloat16, complex64, complex128, bool, uint32, uint64"},
      {"--shape 1,8,8,3 --ksizes 1,3,3 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME",
       "ExtractImagePatches requires the ksizes attribute to contain 4 values, but got: 3"},
      {"--shape 1,8,8,3 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding FULL",
       "Value for attr 'padding' of \"FULL\" is not in the list of allowed values: \"SAME\", \"VALID\""},
      {"--shape 1,8,8,3 --ksizes 2,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME",
       "Only support ksizes across space."},
      {"--shape 1,8,8,3 --ksizes 1,3,3,1 --strides 1,1,1,2 --rates 1,1,1,1 --padding SAME",
       "Only support strides across space."},
      {"--shape 1,8,8,3 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME --ksizes 1,1,1,1",
       "--ksizes is given twice"},
      {"--shape 1,8,8,3 --ksizes 1,3,3,1 --padding SAME --sizes 1,1,1,1",
       "--sizes and --ksizes are the same flag, given twice"},
      {"--shape 1,8,8,3 --ksize 1,3,3,1 --padding SAME", "unknown flag --ksize (did you mean --ksizes?)"},
      {"--shape 1,8,8,3 --ksizes 1,0,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME",
       "ksizes is out of range. (ksizes = [1,0,3,1]; ksizes[1] and ksizes[2] must be >= 1)"},
      {"--shape 1,2,2,3 --ksizes 1,5,5,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding VALID",
       "Computed output size would be negative: -2 [input_size: 2, effective_filter_size: 5, stride: 1]"},
  };
  for (const BadLine& bad : kBad) {
    const std::string text = "# one good line, then a bad one\n" + line("--shape 1,8,8,3") + "\n" + bad.text + "\n";
    Expected<std::vector<ManifestLine>> lines = parse_manifest(text, "m.txt");
    ASSERT_FALSE(lines.ok()) << bad.text;
    EXPECT_EQ(lines.status().message().substr(0, 9 + bad.error.size()), "m.txt:3: " + bad.error) << bad.text;
  }
}

TEST(AotManifest, SizesIsKsizesAndStridesAndRatesDefaultToOnes) {
  Expected<std::vector<ManifestLine>> lines =
      parse_manifest("--shape 1,8,8,3 --sizes 1,3,3,1 --padding VALID\n", "m.txt");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  const Geometry& g = (*lines)[0].geometry;
  EXPECT_EQ(g.rows.ksize, 3);
  EXPECT_EQ(g.cols.ksize, 3);
  EXPECT_EQ(g.rows.stride, 1);
  EXPECT_EQ(g.cols.rate, 1);
  EXPECT_EQ(g.output_shape(), (Dims{4, {1, 6, 6, 27}}));
}

TEST(AotManifest, ReportsEveryBadLineNotOnlyTheFirst) {
  const std::string text =
      line("--shape 1,8,8,3 --bogus 1") + "\n" + line("--shape 1,8,8,3") + "\n" + "--shape 1,8,8,3\n";
  Expected<std::vector<ManifestLine>> lines = parse_manifest(text, "dir/k.manifest");
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().message(), "dir/k.manifest:1: unknown flag --bogus\ndir/k.manifest:3: missing --ksizes");
}

TEST(AotManifest, AMissingFileIsNamed) {
  Expected<std::vector<ManifestLine>> lines = read_manifest("/nonexistent/kernels.manifest");
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().message(), "/nonexistent/kernels.manifest: No such file or directory");
}

TEST(AotManifest, BatchAndSameSizeDtypesShareAKernelAndEmptyOutputsNeedNone) {
  const std::string text = line("--shape 1,56,56,64 --dtype float32") + "\n" +  // kernel 0
                           line("--shape 8,56,56,64 --dtype int32") + "\n" +    // kernel 0 again
                           line("--shape 1,56,56,64 --dtype float64") + "\n" +  // kernel 1: 8 bytes
                           line("--shape 0,9,9,2 --dtype uint8") + "\n" +       // kernel 2: batch 0 still names it
                           "--shape 1,2,2,3 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding VALID\n" +
                           line("--shape 4,5,5,0") + "\n";  // depth 0: empty
  Expected<std::vector<ManifestLine>> lines = parse_manifest(text, "m.txt");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  const ManifestKernels k = kernels_of(*lines);
  ASSERT_EQ(k.kernels.size(), 3u);
  ASSERT_EQ(k.kernels[0].lines.size(), 2u);
  EXPECT_EQ(k.kernels[0].lines[1]->line, 2);
  EXPECT_EQ(k.kernels[0].geometry.batch, 1);
  EXPECT_EQ(k.kernels[1].geometry.elem_size, 8);
  EXPECT_EQ(k.kernels[2].geometry.batch, 1);
  EXPECT_EQ(aot_symbol("k", k.kernels[2].geometry), "k_e1_9x9x2_k3x3_s1x1_r1x1_same");
  ASSERT_EQ(k.empty.size(), 2u);
  EXPECT_EQ(k.empty[0]->line, 5);
  EXPECT_EQ(k.empty[1]->line, 6);
}

// The engine formats in the words of the tool's flags; every attribute but batch and dtype makes
// another kernel, and image strides count for lines of two or more images.
TEST(AotManifest, EngineFormatsAreKernelsOfTheirOwn) {
  const std::string text =
      "--shape 1,3,8,8 --ksizes 1,3,3,1 --format torch --pads 1,1,1,1\n"                 // kernel 0
      "--shape 4,3,8,8 --dtype int32 --ksizes 1,3,3,1 --format torch --pads 1,1,1,1\n"   // kernel 0 again
      "--shape 1,3,8,8 --ksizes 1,3,3,1 --format torch --pads 1,1,1,1 --pad-value -1\n"  // kernel 1: a pad value
      "--shape 1,8,8,3 --dtype uint8 --ksizes 1,3,3,1 --padding SAME --pad-value 128\n"  // kernel 2
      "--shape 2,8,8,3 --ksizes 1,3,3,1 --padding VALID --input-strides 0,0,5 --output-strides 30,0\n";  // 3
  Expected<std::vector<ManifestLine>> lines = parse_manifest(text, "m.txt");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  EXPECT_EQ((*lines)[0].geometry.output_shape(), (Dims{3, {1, 27, 64, 0}}));
  const ManifestKernels k = kernels_of(*lines);
  ASSERT_EQ(k.kernels.size(), 4u);
  EXPECT_EQ(k.kernels[0].lines.size(), 2u);
  EXPECT_EQ(aot_symbol("k", k.kernels[0].geometry), "k_e4_8x8x3_k3x3_s1x1_r1x1_pad1x1x1x1_nchw_chw_cols");
  EXPECT_EQ(aot_symbol("k", k.kernels[1].geometry), "k_e4_8x8x3_k3x3_s1x1_r1x1_pad1x1x1x1_vbf800000_nchw_chw_cols");
  EXPECT_EQ(aot_symbol("k", k.kernels[2].geometry), "k_e1_8x8x3_k3x3_s1x1_r1x1_same_v80");
  EXPECT_EQ(k.kernels[3].geometry.batch, 2);  // keeps the image stride the strides give
  EXPECT_EQ(aot_symbol("k", k.kernels[3].geometry), "k_e4_8x8x3_k3x3_s1x1_r1x1_valid_is320x40x5_ps30x1080");

  const BadLine kBad[] = {
      {"--shape 1,3,8,8 --ksizes 1,3,3,1 --format torch --layout nhwc --padding SAME",
       "--layout nhwc contradicts --format torch (nchw, chw, columns): give one or the other"},
      {"--shape 1,3,8,8 --ksizes 1,3,3,1 --pads 1,1,1,1 --padding SAME", "--pads and --padding exclude each other"},
      {"--shape 1,3,8,8 --dtype uint8 --ksizes 1,3,3,1 --padding SAME --pad-value 256",
       "--pad-value for uint8 must be an integer from 0 to 255, got '256'"},
      {"--shape 1,3,8,8 --ksizes 1,3,3,1 --padding SAME --patches cols",
       "--patches must be rows or columns, got 'cols'"},
      {"--shape 2,8,8,3 --ksizes 1,3,3,1 --padding SAME --input-strides 0,0,2", "image strides make elements overlap"},
  };
  for (const BadLine& bad : kBad) {
    Expected<std::vector<ManifestLine>> bad_lines = parse_manifest("\n\n" + bad.text + "\n", "m.txt");
    ASSERT_FALSE(bad_lines.ok()) << bad.text;
    EXPECT_EQ(bad_lines.status().message().substr(0, 9 + bad.error.size()), "m.txt:3: " + bad.error) << bad.text;
  }
}

TEST(AotHeader, NamesAreCIdentifiers) {
  EXPECT_TRUE(is_c_identifier("patchjit_kernels"));
  EXPECT_TRUE(is_c_identifier("_K9"));
  EXPECT_FALSE(is_c_identifier(""));
  EXPECT_FALSE(is_c_identifier("9lives"));
  EXPECT_FALSE(is_c_identifier("my-kernels"));
  EXPECT_FALSE(is_c_identifier("a.b"));
}

}  // namespace
}  // namespace pj::cli
