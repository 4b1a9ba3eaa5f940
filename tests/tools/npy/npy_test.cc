#include "tools/npy/npy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace pj::npy {
namespace {

namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "the reference bytes are little-endian");

// ---------------------------------------------------------------------------------------------
// Helpers

// Every descr patchjit accepts, in the spellings it accepts.
const std::vector<std::pair<std::string, int64_t>> kAcceptedDescrs = {
    {"<f4", 4},   {"<f8", 8}, {"<i4", 4},   {"<i8", 8}, {"|u1", 1}, {"<i2", 2}, {"|i1", 1}, {"<u2", 2},
    {"<f2", 2},   {"<c8", 8}, {"<c16", 16}, {"|b1", 1}, {"<u4", 4}, {"<u8", 8}, {"=f4", 4}, {"=i8", 8},
    {"=c16", 16}, {"<u1", 1}, {"<i1", 1},   {"<b1", 1}, {"=u1", 1}, {"=i1", 1}, {"=b1", 1}, {"|V2", 2},
};

const std::vector<std::vector<int64_t>> kShapes = {{}, {0}, {5}, {2, 3, 4, 5}, {1, 0, 3, 2}};

std::vector<uint8_t> pattern_bytes(size_t count) {
  std::vector<uint8_t> data(count);
  for (size_t i = 0; i < count; ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
  return data;
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::string little_endian(uint64_t value, size_t bytes) {
  std::string out;
  for (size_t i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// The dict numpy writes, with the value texts given verbatim.
std::string dict_text(const std::string& descr, const std::string& fortran_order, const std::string& shape) {
  return "{'descr': " + descr + ", 'fortran_order': " + fortran_order + ", 'shape': " + shape + ", }";
}

// A file image with the given header text, padded the way numpy pads, and `data_bytes`
// bytes of data.
std::string npy_image(const std::string& text, size_t data_bytes, int major_version = 1) {
  const size_t length_field = major_version == 1 ? 2 : 4;
  std::string padded = text;
  while ((8 + length_field + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major_version);
  out += '\0';
  out += little_endian(padded.size(), length_field);
  out += padded;
  out.append(data_bytes, '\xab');
  return out;
}

// Parses from a heap buffer of exactly the image's size, so ASan sees any over-read.
std::string parse_image(const std::string& image, Array* array) {
  std::vector<uint8_t> buffer(image.begin(), image.end());
  return parse(buffer.data(), buffer.size(), array);
}

std::string errno_text(int error) { return std::strerror(error); }

using pj::test_support::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// np.save(f, np.arange(24, dtype='<f4').reshape(2, 3, 4, 1)) by numpy 1.24.2.
const uint8_t kNumpyArange[] = {
    0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00, 0x7b, 0x27, 0x64, 0x65, 0x73, 0x63, 0x72, 0x27, 0x3a,
    0x20, 0x27, 0x3c, 0x66, 0x34, 0x27, 0x2c, 0x20, 0x27, 0x66, 0x6f, 0x72, 0x74, 0x72, 0x61, 0x6e, 0x5f, 0x6f, 0x72,
    0x64, 0x65, 0x72, 0x27, 0x3a, 0x20, 0x46, 0x61, 0x6c, 0x73, 0x65, 0x2c, 0x20, 0x27, 0x73, 0x68, 0x61, 0x70, 0x65,
    0x27, 0x3a, 0x20, 0x28, 0x32, 0x2c, 0x20, 0x33, 0x2c, 0x20, 0x34, 0x2c, 0x20, 0x31, 0x29, 0x2c, 0x20, 0x7d, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0xa0, 0x40,
    0x00, 0x00, 0xc0, 0x40, 0x00, 0x00, 0xe0, 0x40, 0x00, 0x00, 0x00, 0x41, 0x00, 0x00, 0x10, 0x41, 0x00, 0x00, 0x20,
    0x41, 0x00, 0x00, 0x30, 0x41, 0x00, 0x00, 0x40, 0x41, 0x00, 0x00, 0x50, 0x41, 0x00, 0x00, 0x60, 0x41, 0x00, 0x00,
    0x70, 0x41, 0x00, 0x00, 0x80, 0x41, 0x00, 0x00, 0x88, 0x41, 0x00, 0x00, 0x90, 0x41, 0x00, 0x00, 0x98, 0x41, 0x00,
    0x00, 0xa0, 0x41, 0x00, 0x00, 0xa8, 0x41, 0x00, 0x00, 0xb0, 0x41, 0x00, 0x00, 0xb8, 0x41,
};

std::string numpy_arange_image() {
  return std::string(reinterpret_cast<const char*>(kNumpyArange), sizeof kNumpyArange);
}

// ---------------------------------------------------------------------------------------------
// descr_item_size

TEST(DescrItemSize, AcceptsTheKnownDescrs) {
  for (const auto& [descr, size] : kAcceptedDescrs) {
    EXPECT_EQ(descr_item_size(descr), size) << descr;
  }
}

TEST(DescrItemSize, RejectsEverythingElse) {
  for (const char* descr : {"", "<", "f4", "<f4 ", "<f16", ">f4", "!f4", ">u1", "|f4", "<V2", "=V2", "|V4", "<U10",
                            "|O", "|S3", "<M8[ns]", "<b2"}) {
    EXPECT_EQ(descr_item_size(descr), 0) << descr;
  }
  EXPECT_EQ(descr_item_size(std::string_view("<f4\0", 4)), 0);
}

// ---------------------------------------------------------------------------------------------
// format_header

TEST(FormatHeader, WritesNumpysSpelling) {
  const std::string header = format_header("<f4", {2, 3, 4, 5});
  ASSERT_EQ(header.size(), 128u);
  EXPECT_EQ(header.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(header.substr(8, 2), little_endian(118, 2));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5), }";
  EXPECT_EQ(header.substr(10, dict.size()), dict);
  EXPECT_EQ(header.find_first_not_of(' ', 10 + dict.size()), header.size() - 1);
  EXPECT_EQ(header.back(), '\n');

  EXPECT_NE(format_header("|u1", {5}).find("'shape': (5,), }"), std::string::npos);
  EXPECT_NE(format_header("|b1", {}).find("'shape': (), }"), std::string::npos);
}

TEST(FormatHeader, MatchesNumpyByteForByte) {
  EXPECT_EQ(format_header("<f4", {2, 3, 4, 1}), numpy_arange_image().substr(0, 128));
}

TEST(FormatHeader, SwitchesToVersion2OnlyWhenVersion1CannotHoldTheHeader) {
  // Shapes of n ones straddle the 65535-byte limit of a version 1 header.
  for (size_t dims = 21780; dims <= 21880; ++dims) {
    const std::vector<int64_t> shape(dims, 1);
    const std::string header = format_header("<f4", shape);
    ASSERT_EQ(header.size() % 64, 0u) << dims;
    const size_t dict_length = header.find('}') + 1 - (header[6] == 1 ? 10 : 12);
    size_t v1_length = dict_length + 1;
    while ((10 + v1_length) % 64 != 0) ++v1_length;
    const int expected_major = v1_length <= 65535 ? 1 : 2;
    ASSERT_EQ(header[6], expected_major) << dims;

    Array array;
    std::string image = header + std::string(4, '\x01');
    ASSERT_EQ(parse_image(image, &array), "") << dims;
    EXPECT_EQ(array.header.major_version, expected_major);
    EXPECT_EQ(array.header.shape, shape);
    EXPECT_EQ(array.header.data_offset, static_cast<int64_t>(header.size()));
  }
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(RoundTrip, FormatHeaderThenParse) {
  for (const auto& [descr, item_size] : kAcceptedDescrs) {
    for (const auto& shape : kShapes) {
      SCOPED_TRACE(descr + " " + std::to_string(shape.size()) + "-D");
      const std::string header = format_header(descr, shape);
      ASSERT_EQ(header.size() % 64, 0u);
      const auto data = pattern_bytes(static_cast<size_t>(element_count(shape) * item_size));
      std::string image = header;
      image.append(data.begin(), data.end());

      Array array;
      ASSERT_EQ(parse_image(image, &array), "");
      EXPECT_EQ(array.header.major_version, 1);
      EXPECT_EQ(array.header.descr, descr);
      EXPECT_EQ(array.header.shape, shape);
      EXPECT_EQ(array.header.item_size, item_size);
      EXPECT_EQ(array.header.data_offset, static_cast<int64_t>(header.size()));
      EXPECT_EQ(array.header.data_bytes, static_cast<int64_t>(data.size()));
      EXPECT_EQ(array.data, data);

      Header header_only;
      ASSERT_EQ(parse_header(reinterpret_cast<const uint8_t*>(header.data()), header.size(), &header_only), "");
      EXPECT_EQ(header_only.shape, shape);
    }
  }
}

TEST(RoundTrip, WriteFileThenReadFile) {
  TempDir dir;
  int index = 0;
  for (const auto& [descr, item_size] : kAcceptedDescrs) {
    for (const auto& shape : kShapes) {
      SCOPED_TRACE(descr + " " + std::to_string(shape.size()) + "-D");
      const std::string path = dir.file("array" + std::to_string(index++) + ".npy");
      const auto data = pattern_bytes(static_cast<size_t>(element_count(shape) * item_size));
      ASSERT_EQ(write_file(path, descr, shape, data.data(), data.size()), "");

      Array array;
      ASSERT_EQ(read_file(path, &array), "");
      EXPECT_EQ(array.header.descr, descr);
      EXPECT_EQ(array.header.shape, shape);
      EXPECT_EQ(array.header.item_size, item_size);
      EXPECT_EQ(array.header.data_offset % 64, 0);
      EXPECT_EQ(array.data, data);
    }
  }
  for (const std::string& name : dir.entries()) {
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
  }
  EXPECT_EQ(dir.entries().size(), static_cast<size_t>(index));
}

// ---------------------------------------------------------------------------------------------
// Files written by numpy

TEST(NumpyFiles, ParsesNpSaveOutput) {
  Array array;
  ASSERT_EQ(parse(kNumpyArange, sizeof kNumpyArange, &array), "");
  EXPECT_EQ(array.header.major_version, 1);
  EXPECT_EQ(array.header.descr, "<f4");
  EXPECT_EQ(array.header.shape, (std::vector<int64_t>{2, 3, 4, 1}));
  EXPECT_EQ(array.header.item_size, 4);
  EXPECT_EQ(array.header.data_offset, 128);
  EXPECT_EQ(array.header.data_bytes, 96);
  ASSERT_EQ(array.data.size(), 96u);
  for (int i = 0; i < 24; ++i) {
    float value = 0;
    std::memcpy(&value, array.data.data() + 4 * i, 4);
    EXPECT_EQ(value, static_cast<float>(i));
  }

  TempDir dir;
  const std::string path = dir.file("arange.npy");
  write_bytes(path, numpy_arange_image());
  Array from_file;
  ASSERT_EQ(read_file(path, &from_file), "");
  EXPECT_EQ(from_file.header.shape, array.header.shape);
  EXPECT_EQ(from_file.data, array.data);
}

// Files written by numpy 1.24.2 in the other versions and with 0-D and empty shapes.
#define NPY_LITERAL(literal) std::string(literal, sizeof(literal) - 1)

TEST(NumpyFiles, ParsesVersions2And3) {
  const std::string v2 = NPY_LITERAL(
      "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }"
      "                                                          \x0a\x00\x00\x01\x00\x02\x00");
  std::string v3 = v2;
  v3[6] = 3;
  for (const std::string& image : {v2, v3}) {
    Array array;
    ASSERT_EQ(parse_image(image, &array), "");
    EXPECT_EQ(array.header.major_version, image[6]);
    EXPECT_EQ(array.header.descr, "<u2");
    EXPECT_EQ(array.header.shape, std::vector<int64_t>{3});
    EXPECT_EQ(array.header.data_offset, 128);
    EXPECT_EQ(array.data, (std::vector<uint8_t>{0, 0, 1, 0, 2, 0}));
  }
}

TEST(NumpyFiles, ParsesZeroDimensionalAndEmptyArrays) {
  const std::string scalar = NPY_LITERAL(
      "\x93NUMPY\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, 'shape': (), }"
      "                                                              \x0a\x01");
  Array array;
  ASSERT_EQ(parse_image(scalar, &array), "");
  EXPECT_TRUE(array.header.shape.empty());
  EXPECT_EQ(array.header.data_bytes, 1);
  EXPECT_EQ(array.data, std::vector<uint8_t>{1});

  const std::string empty = NPY_LITERAL(
      "\x93NUMPY\x01\x00v\x00{'descr': '<c16', 'fortran_order': False, 'shape': (0,), }"
      "                                                           \x0a");
  ASSERT_EQ(parse_image(empty, &array), "");
  EXPECT_EQ(array.header.shape, std::vector<int64_t>{0});
  EXPECT_EQ(array.header.item_size, 16);
  EXPECT_EQ(array.header.data_bytes, 0);
  EXPECT_TRUE(array.data.empty());
}

// ---------------------------------------------------------------------------------------------
// Spellings numpy's own reader accepts

TEST(Parse, AcceptsOtherValidSpellings) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"double quotes, no trailing comma", R"({"descr": "<f4", "fortran_order": False, "shape": (2, 3)})"},
      {"Python 2 long suffix", "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"},
      {"other key order", "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}"},
      {"odd whitespace", "\t{ 'descr' :'<f4' ,\n'fortran_order'\r\n: False ,'shape' : ( 2 ,3 , ) ,\v}\f"},
      {"trailing comma in shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,)}"},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    Array array;
    ASSERT_EQ(parse_image(npy_image(text, 24), &array), "");
    EXPECT_EQ(array.header.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(array.header.descr, "<f4");
  }
}

TEST(Parse, AcceptsAHeaderWithoutTheFinalNewline) {
  const std::string text = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}";
  std::string image("\x93NUMPY\x01\x00", 8);
  image += little_endian(text.size(), 2) + text + "\x05\x06";
  Array array;
  ASSERT_EQ(parse_image(image, &array), "");
  EXPECT_EQ(array.header.data_offset, static_cast<int64_t>(10 + text.size()));
  EXPECT_EQ(array.data, (std::vector<uint8_t>{5, 6}));
}

TEST(Parse, AcceptsLargeExactDimensions) {
  // The largest dimension that fits in int64, with 1-byte items: the size check must not
  // allocate, and the file is simply too short.
  Array array;
  const std::string error = parse_image(npy_image(dict_text("'|u1'", "False", "(9223372036854775807,)"), 3), &array);
  EXPECT_EQ(error, "truncated data: expected 9223372036854775807 bytes, found 3");
}

TEST(Parse, FailureLeavesTheOutputUntouched) {
  Array array;
  array.header.descr = "sentinel";
  array.data = {1, 2, 3};
  EXPECT_NE(parse_image(npy_image(dict_text("'<f4'", "True", "(2,)"), 8), &array), "");
  EXPECT_EQ(array.header.descr, "sentinel");
  EXPECT_EQ(array.data, (std::vector<uint8_t>{1, 2, 3}));
}

// ---------------------------------------------------------------------------------------------
// Malformed inputs: each must give an error containing `expected`, never crash or misread.

struct Malformed {
  std::string name;
  std::string bytes;
  std::string expected;
};

std::string v1(const std::string& text, size_t data_bytes = 24) { return npy_image(text, data_bytes); }

std::string f4_23(const std::string& fortran_order = "False") { return dict_text("'<f4'", fortran_order, "(2, 3)"); }

std::vector<Malformed> malformed_cases() {
  const std::string magic("\x93NUMPY", 6);
  std::string with_nul = f4_23();
  with_nul[3] = '\0';
  return {
      {"empty_file", "", "not an .npy file: the file is empty"},
      {"bad_magic", "\x93NUMPZ" + v1(f4_23()).substr(6), "bad magic"},
      {"text_file", "hello, world\n", "bad magic"},
      {"short_bad_magic", "PK", "bad magic"},
      {"only_magic", magic, "truncated header"},
      {"half_magic", magic.substr(0, 3), "truncated header"},
      {"version_4_0", magic + std::string("\x04\x00\x10\x00", 4), "version 4.0"},
      {"version_1_1", magic + std::string("\x01\x01\x10\x00", 4), "version 1.1"},
      {"version_0_0", magic + std::string("\x00\x00\x10\x00", 4), "version 0.0"},
      {"truncated_v1_length_field", magic + std::string("\x01\x00\x10", 3),
       "truncated header: the file ends inside the header length field"},
      {"truncated_v2_length_field", magic + std::string("\x02\x00\x10\x00\x00", 5),
       "truncated header: the file ends inside the header length field"},
      {"header_length_beyond_file", magic + std::string("\x01\x00\x00\x10", 4) + "{'descr'",
       "truncated header: the header length field says 4096 bytes but only 8 follow"},
      {"v2_header_length_beyond_file", magic + std::string("\x02\x00\xff\xff\xff\xff", 6),
       "truncated header: the header length field says 4294967295 bytes but only 0 follow"},
      {"header_not_a_dict", v1("[1, 2, 3]"), "expected '{' to open the header dict"},
      {"empty_header", v1(""), "expected '{' to open the header dict, found the end"},
      {"empty_dict", v1("{}"), "missing key 'descr'"},
      {"missing_key", v1("{'descr': '<f4', 'fortran_order': False}"), "missing key 'shape'"},
      {"duplicate_key", v1("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"),
       "duplicate key 'descr'"},
      {"extra_key", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'foo': 1}"), "unexpected key 'foo'"},
      {"non_ascii_key", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), '\xff\n': 1}"),
       "unterminated string"},
      {"non_ascii_key_in_double_quotes", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), \"\xff\": 1}"),
       "unexpected key '\\xff'"},
      {"unquoted_key", v1("{descr: '<f4'}"), "expected a quoted key or '}', found 'descr'"},
      {"unknown_descr", v1(dict_text("'<U10'", "False", "(2, 3)")), "unsupported descr '<U10'"},
      {"object_descr", v1(dict_text("'|O'", "False", "(2, 3)")), "unsupported descr '|O'"},
      {"empty_descr", v1(dict_text("''", "False", "(2, 3)")), "unsupported descr ''"},
      {"structured_descr", v1(dict_text("[('a', '<f4')]", "False", "(2, 3)")),
       "a quoted string as the value of 'descr'"},
      {"big_endian_descr", v1(dict_text("'>f4'", "False", "(2, 3)")), "big-endian data ('>f4') is not supported"},
      {"fortran_order_true", v1(f4_23("True")), "Fortran-order arrays are not supported; save with C order"},
      {"fortran_order_not_bool", v1(f4_23("0")), "True or False as the value of 'fortran_order'"},
      {"fortran_order_lowercase", v1(f4_23("false")), "found 'false'"},
      {"negative_dimension", v1(dict_text("'<f4'", "False", "(2, -3)")), "negative dimension -3"},
      {"dimension_overflowing_int64", v1(dict_text("'<f4'", "False", "(99999999999999999999, 1)")),
       "dimension 99999999999999999999 in 'shape' does not fit in int64"},
      {"dimension_just_over_int64", v1(dict_text("'|u1'", "False", "(9223372036854775808,)")), "does not fit in int64"},
      {"shape_product_overflowing_int64", v1(dict_text("'<f4'", "False", "(4611686018427387904, 4611686018427387904)")),
       "shape (4611686018427387904, 4611686018427387904) of '<f4' is too large"},
      {"item_size_overflowing_int64", v1(dict_text("'<f8'", "False", "(2305843009213693952,)")), "is too large"},
      {"huge_shape_short_file", v1(dict_text("'<f8'", "False", "(1000000000000,)"), 10),
       "truncated data: expected 8000000000000 bytes, found 10"},
      {"truncated_data", v1(f4_23(), 20), "truncated data: expected 24 bytes, found 20"},
      {"no_data", v1(f4_23(), 0), "truncated data: expected 24 bytes, found 0"},
      {"trailing_bytes", v1(f4_23(), 27), "3 unexpected bytes after the data"},
      {"list_shape", v1(dict_text("'<f4'", "False", "[2, 3]")),
       "expected a tuple of integers like (2, 3) as the value of 'shape', found '['"},
      {"integer_shape", v1(dict_text("'<f4'", "False", "6")), "a tuple of integers"},
      {"parenthesized_integer_shape", v1(dict_text("'<f4'", "False", "(6)"), 24), "'shape' (6) is not a tuple"},
      {"float_dimension", v1(dict_text("'<f4'", "False", "(2.0, 3)")),
       "expected ',' or ')' in the value of 'shape', found '.0'"},
      {"leading_zeros", v1(dict_text("'<f4'", "False", "(02, 3)")), "leading zeros"},
      {"empty_dimension", v1(dict_text("'<f4'", "False", "(2, , 3)")), "expected a non-negative integer in 'shape'"},
      {"unterminated_shape", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3"),
       "found the end of the header"},
      {"unterminated_string", v1("{'descr': '<f4"), "unterminated string starting at offset 10"},
      {"string_across_lines", v1("{'descr': '<f4\n', 'fortran_order': False, 'shape': ()}"), "unterminated string"},
      {"escape_in_string", v1("{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': ()}"),
       "escape sequences in strings are not supported"},
      {"unterminated_dict", v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "), "unterminated dict"},
      {"missing_colon", v1("{'descr' '<f4'}"), "expected ':' after the key 'descr'"},
      {"missing_comma", v1("{'descr': '<f4' 'fortran_order': False}"),
       "expected ',' or '}' after the value of 'descr'"},
      {"leading_comma", v1("{, 'descr': '<f4'}"), "expected a quoted key or '}'"},
      {"garbage_after_dict", v1(f4_23() + " x"), "unexpected 'x' at offset 60 after the closing '}'"},
      {"second_dict", v1(f4_23() + f4_23()), "after the closing '}'"},
      {"nul_in_header", v1(with_nul), "NUL byte at offset 3"},
  };
}

// Keeps gtest from dumping the struct's bytes when a case fails.
void PrintTo(const Malformed& c, std::ostream* out) { *out << c.name; }

class MalformedTest : public testing::TestWithParam<Malformed> {};

TEST_P(MalformedTest, ParseReportsTheProblem) {
  const Malformed& c = GetParam();
  Array array;
  const std::string error = parse_image(c.bytes, &array);
  EXPECT_NE(error.find(c.expected), std::string::npos) << "error: " << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "error: " << error;

  // Whatever parse_header says, it must not read past the bytes it is given either.
  std::vector<uint8_t> buffer(c.bytes.begin(), c.bytes.end());
  Header header;
  (void)parse_header(buffer.data(), buffer.size(), &header);
}

TEST_P(MalformedTest, ReadFileReportsTheProblemAfterThePath) {
  const Malformed& c = GetParam();
  TempDir dir;
  const std::string path = dir.file("bad.npy");
  write_bytes(path, c.bytes);
  Array array;
  const std::string error = read_file(path, &array);
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << "error: " << error;
  EXPECT_NE(error.find(c.expected), std::string::npos) << "error: " << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "error: " << error;
}

INSTANTIATE_TEST_SUITE_P(Npy, MalformedTest, testing::ValuesIn(malformed_cases()),
                         [](const testing::TestParamInfo<Malformed>& case_info) { return case_info.param.name; });

// ---------------------------------------------------------------------------------------------
// read_file

TEST(ReadFile, RejectsADirectory) {
  TempDir dir;
  Array array;
  const std::string error = read_file(dir.path(), &array);
  EXPECT_EQ(error, dir.path() + ": not a regular file (a directory)");
}

TEST(ReadFile, RejectsAFifoWithoutBlocking) {
  TempDir dir;
  const std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  Array array;
  EXPECT_EQ(read_file(path, &array), path + ": not a regular file (a FIFO)");
}

TEST(ReadFile, ReportsAMissingFileWithThePathAndTheSystemError) {
  TempDir dir;
  const std::string path = dir.file("missing.npy");
  Array array;
  const std::string error = read_file(path, &array);
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find(errno_text(ENOENT)), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// write_file

TEST(WriteFile, IntoAMissingDirectoryFailsAndCreatesNothing) {
  TempDir dir;
  const std::string path = dir.file("no_such_dir/out.npy");
  const std::vector<uint8_t> data = pattern_bytes(8);
  const std::string error = write_file(path, "<f4", {2}, data.data(), data.size());
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find(errno_text(ENOENT)), std::string::npos) << error;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(WriteFile, ReplacesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("out.npy");
  write_bytes(path, "old contents");
  const std::vector<uint8_t> data = pattern_bytes(2 * 3 * 8);
  ASSERT_EQ(write_file(path, "<f8", {2, 3}, data.data(), data.size()), "");

  std::string expected = format_header("<f8", {2, 3});
  expected.append(data.begin(), data.end());
  EXPECT_EQ(read_bytes(path), expected);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.npy"});
}

// A directory in the way: tests/tools/files/atomic_file_test.cc (npy writes through it).

TEST(WriteFile, RejectsBadArgumentsWithoutTouchingTheTarget) {
  TempDir dir;
  const std::string path = dir.file("out.npy");
  write_bytes(path, "keep me");
  const std::vector<uint8_t> data = pattern_bytes(24);
  struct Case {
    std::string descr;
    std::vector<int64_t> shape;
    size_t bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"<U4", {6}, 24, "unsupported descr '<U4'"},
      {">f4", {6}, 24, "big-endian"},
      {"<f4", {2, 4}, 24, "the data is 24 bytes but shape (2, 4) of '<f4' needs 32"},
      {"<f4", {-2, -3}, 24, "negative dimension -2"},
      {"<f4", {4611686018427387904, 4611686018427387904}, 24, "is too large"},
  };
  for (const Case& c : cases) {
    const std::string error = write_file(path, c.descr, c.shape, data.data(), c.bytes);
    EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
  }
  EXPECT_EQ(read_bytes(path), "keep me");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.npy"});
}

TEST(WriteFile, WritesAnEmptyArrayWithoutData) {
  TempDir dir;
  const std::string path = dir.file("empty.npy");
  ASSERT_EQ(write_file(path, "<c16", {3, 0}, nullptr, 0), "");
  Array array;
  ASSERT_EQ(read_file(path, &array), "");
  EXPECT_EQ(array.header.shape, (std::vector<int64_t>{3, 0}));
  EXPECT_TRUE(array.data.empty());
}

TEST(WriteFile, GivesTheUsualPermissionsNotMkstemps) {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  TempDir dir;
  const std::string path = dir.file("mode.npy");
  const uint8_t byte = 1;
  ASSERT_EQ(write_file(path, "|u1", {}, &byte, 1), "");
  struct stat status {};
  ASSERT_EQ(::stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0666 & ~mask);
}

}  // namespace
}  // namespace pj::npy
