// The tool's flags: aliases, defaults, the closest known flag for a typo, and which errors are
// usage errors (exit 2) and which are TensorFlow's rules (exit 1).
#include "tools/cli/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace pj::cli
