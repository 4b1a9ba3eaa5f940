// The tool's flags: aliases, defaults, the closest known flag for a typo, and which errors are
// usage errors (exit 2) and which are TensorFlow's rules (exit 1).
#include "tools/cli/flags.h"

#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/cli/pad_value.h"

namespace pj::cli {
namespace {

std::optional<Failure> parse(std::vector<std::string> words, const FlagSet& set, Flags* flags) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return parse_flags(static_cast<int>(argv.size()), argv.data(), 0, set, flags);
}

TEST(Flags, ClosestNameIsATypoNotAnotherWord) {
  const std::vector<std::string> known = {"input", "output", "ksizes", "strides", "rates", "padding", "sizes", "dtype"};
  EXPECT_EQ(closest_name("ksize", known), "ksizes");
  EXPECT_EQ(closest_name("outptu", known), "output");  // a swap of neighbours is one edit
  EXPECT_EQ(closest_name("stride", known), "strides");
  EXPECT_EQ(closest_name("paddnig", known), "padding");
  EXPECT_EQ(closest_name("bogus", known), "");
  EXPECT_EQ(closest_name("opt", known), "");
  EXPECT_EQ(closest_name("colour", known), "");
}

TEST(Flags, UnknownFlagsSuggestTheClosest) {
  Flags flags;
  std::optional<Failure> f = parse({"--stride", "1,2,2,1"}, signature_flags(true), &flags);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->exit_code, kExitUsage);
  EXPECT_EQ(f->message, "unknown flag --stride (did you mean --strides?)");
  f = parse({"--frobnicate"}, signature_flags(true), &flags);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "unknown flag --frobnicate");
}

TEST(Flags, SizesIsKsizesAndStridesAndRatesDefaultToOnes) {
  Flags flags;
  ASSERT_FALSE(parse({"--shape", "1,8,8,2", "--sizes=1,3,3,1", "--padding", "SAME"}, signature_flags(true), &flags));
  EXPECT_EQ(flags.get("ksizes"), "1,3,3,1");
  pj_spec spec{};
  ASSERT_FALSE(parse_signature(flags, &spec));
  EXPECT_EQ(spec.ksizes[1], 3);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spec.strides[i], 1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spec.rates[i], 1);
  EXPECT_EQ(spec.dtype, PJ_FLOAT32);

  Flags twice;
  std::optional<Failure> f = parse({"--ksizes", "1,3,3,1", "--sizes", "1,3,3,1"}, signature_flags(true), &twice);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->exit_code, kExitUsage);
  EXPECT_EQ(f->message, "--sizes and --ksizes are the same flag, given twice");
}

TEST(Flags, UnknownValuesAreUsageErrorsAndTensorFlowsRulesAreNot) {
  const auto failure = [](std::vector<std::string> words) {
    Flags flags;
    std::optional<Failure> f = parse(std::move(words), signature_flags(true), &flags);
    pj_spec spec{};
    if (!f) f = parse_signature(flags, &spec);
    return f ? *f : Failure{kExitOk, ""};
  };
  const std::vector<std::string> good = {"--ksizes", "1,3,3,1", "--padding", "SAME"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> words = good;
    words.insert(words.end(), more.begin(), more.end());
    return words;
  };
  EXPECT_EQ(failure(with({"--shape", "1,8,8,2", "--dtype", "float128"})).exit_code, kExitUsage);
  EXPECT_EQ(failure({"--shape", "1,8,8,2", "--ksizes", "1,3,3,1", "--padding", "FULL"}).exit_code, kExitUsage);
  EXPECT_EQ(failure(with({"--shape", "1,8,x,2"})).exit_code, kExitUsage);
  EXPECT_EQ(failure(with({"--shape", "1,8,8,2", "--strides", "1,a,1,1"})).exit_code, kExitUsage);
  EXPECT_EQ(failure(with({"--shape", "1,8,8"})).exit_code, kExitError);
  EXPECT_EQ(failure(with({"--shape", "1,8,8,2", "--rates", "1,1,1"})).exit_code, kExitError);
  // A usage error wins over a rule, wherever it is.
  EXPECT_EQ(failure({"--shape", "1,8,8", "--ksizes", "1,3,3,1", "--padding", "FULL"}).exit_code, kExitUsage);
  EXPECT_EQ(failure(with({"--shape", "1,8,8,2"})).exit_code, kExitOk);
}

TEST(Flags, NumbersAreCheckedWhole) {
  int64_t n = 0;
  double s = 0;
  EXPECT_TRUE(parse_positive_count("repetitions", "0", 1000, &n));
  EXPECT_TRUE(parse_positive_count("repetitions", "5x", 1000, &n));
  EXPECT_FALSE(parse_positive_count("repetitions", "5", 1000, &n));
  EXPECT_EQ(n, 5);
  EXPECT_TRUE(parse_seconds("min-time", "fast", 3600, &s));
  EXPECT_TRUE(parse_seconds("min-time", "nan", 3600, &s));
  EXPECT_FALSE(parse_seconds("min-time", "0.5", 3600, &s));
  EXPECT_EQ(s, 0.5);
}

// Half and bfloat16 pad values: round to nearest even from the double, subnormals included.
TEST(PadValue, SmallFloatsRoundToNearestEven) {
  EXPECT_EQ(round_to_small_float(1.0, 5, 10), 0x3c00);
  EXPECT_EQ(round_to_small_float(-2.0, 5, 10), 0xc000);
  EXPECT_EQ(round_to_small_float(65504.0, 5, 10), 0x7bff);
  EXPECT_EQ(round_to_small_float(65519.99, 5, 10), 0x7bff);
  EXPECT_EQ(round_to_small_float(65520.0, 5, 10), std::nullopt);               // the tie rounds to 2^16: beyond half
  EXPECT_EQ(round_to_small_float(1.0 + std::ldexp(1.0, -11), 5, 10), 0x3c00);  // tie, to even
  EXPECT_EQ(round_to_small_float(1.0 + 3 * std::ldexp(1.0, -11), 5, 10), 0x3c02);  // tie, to even
  EXPECT_EQ(round_to_small_float(std::ldexp(1.0, -24), 5, 10), 0x0001);            // the smallest subnormal
  EXPECT_EQ(round_to_small_float(std::ldexp(1.0, -25), 5, 10), 0x0000);            // its half: a tie, to zero
  EXPECT_EQ(round_to_small_float(std::ldexp(1023.5, -24), 5, 10), 0x0400);         // rounds up to the smallest normal
  EXPECT_EQ(round_to_small_float(-0.0, 5, 10), 0x8000);
  EXPECT_EQ(round_to_small_float(-INFINITY, 5, 10), 0xfc00);
  EXPECT_EQ(round_to_small_float(NAN, 5, 10), 0x7e00);
  EXPECT_EQ(round_to_small_float(1.0, 8, 7), 0x3f80);
  EXPECT_EQ(round_to_small_float(1.0 + std::ldexp(1.0, -8), 8, 7), 0x3f80);
  EXPECT_EQ(round_to_small_float(-INFINITY, 8, 7), 0xff80);
  EXPECT_EQ(round_to_small_float(NAN, 8, 7), 0x7fc0);
  EXPECT_EQ(round_to_small_float(3.4e38, 8, 7), std::nullopt);
}

TEST(PadValue, IntegersAreExactAndInRange) {
  unsigned char bytes[16];
  ASSERT_FALSE(parse_pad_value("-9223372036854775808", PJ_INT64, bytes));
  int64_t v;
  std::memcpy(&v, bytes, 8);
  EXPECT_EQ(v, INT64_MIN);
  ASSERT_FALSE(parse_pad_value("9007199254740993", PJ_UINT64, bytes));  // 2^53 + 1: not a double
  uint64_t u;
  std::memcpy(&u, bytes, 8);
  EXPECT_EQ(u, 9007199254740993u);
  std::optional<Failure> f = parse_pad_value("256", PJ_UINT8, bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->exit_code, kExitUsage);
  EXPECT_EQ(f->message, "--pad-value for uint8 must be an integer from 0 to 255, got '256'");
  EXPECT_TRUE(parse_pad_value("-1", PJ_UINT32, bytes));
  EXPECT_TRUE(parse_pad_value(" 1", PJ_INT32, bytes));
  EXPECT_TRUE(parse_pad_value("1 ", PJ_INT32, bytes));
  EXPECT_TRUE(parse_pad_value("", PJ_FLOAT32, bytes));
  ASSERT_FALSE(parse_pad_value("-2.5", PJ_COMPLEX64, bytes));
  float parts[2];
  std::memcpy(parts, bytes, 8);
  EXPECT_EQ(parts[0], -2.5f);
  EXPECT_EQ(parts[1], 0.0f);
}

}  // namespace
}  // namespace pj::cli
