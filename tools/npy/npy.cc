#include "tools/npy/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <utility>

#include "tools/files/atomic_file.h"

namespace pj::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kVersionSize = 2;
constexpr size_t kDataAlignment = 64;
constexpr size_t kMaxV1HeaderLength = 0xffff;
// Shapes in messages are cut here so that a hostile header cannot produce a huge message.
constexpr size_t kMaxDimsInMessage = 16;

// ---------------------------------------------------------------------------------------------
// Message helpers

// Renders untrusted bytes for a message: printable ASCII only, one line, bounded length.
std::string printable(std::string_view text, size_t max_chars = 64) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

std::string quoted(std::string_view text) {
  // Appended rather than "'" + ...: g++ 12 reports a false -Wrestrict on that form.
  std::string out = "'";
  out += printable(text);
  out += '\'';
  return out;
}

// numpy's spelling of a shape: "()", "(5,)", "(2, 3)".
std::string shape_string(const std::vector<int64_t>& shape, size_t max_dims = SIZE_MAX) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i == max_dims) {
      out += ", ...";
      break;
    }
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

std::string shape_for_message(const std::vector<int64_t>& shape) { return shape_string(shape, kMaxDimsInMessage); }

std::string errno_text(int error) { return std::strerror(error); }

// Building even a short message can fail when memory is exhausted; this one cannot throw
// in practice (the fallback fits the small-string buffer).
std::string out_of_memory_message(const std::string* path) noexcept {
  try {
    return path ? *path + ": out of memory" : std::string("out of memory");
  } catch (...) {
    return "out of memory";
  }
}

std::string internal_error_message(const std::string* path, const std::exception& e) noexcept {
  try {
    std::string message = std::string("internal error: ") + e.what();
    return path ? *path + ": " + message : message;
  } catch (...) {
    return "internal error";
  }
}

// ---------------------------------------------------------------------------------------------
// Element types

struct KnownDescr {
  std::string_view descr;
  int64_t item_size;
};

// The canonical spellings numpy writes on a little-endian machine.
constexpr KnownDescr kKnownDescrs[] = {
    {"<f2", 2}, {"<f4", 4}, {"<f8", 8}, {"<c8", 8}, {"<c16", 16}, {"|i1", 1}, {"<i2", 2}, {"<i4", 4},
    {"<i8", 8}, {"|u1", 1}, {"<u2", 2}, {"<u4", 4}, {"<u8", 8},   {"|b1", 1}, {"|V2", 2},  // how some tools store
                                                                                           // bfloat16
};

bool is_big_endian_marker(char order) { return order == '>' || order == '!'; }

std::string check_descr(std::string_view descr, int64_t* item_size) {
  *item_size = descr_item_size(descr);
  if (*item_size > 0) return "";
  if (!descr.empty() && is_big_endian_marker(descr[0])) {
    const std::string little = "<" + std::string(descr.substr(1));
    if (descr_item_size(little) > 0) {
      return "big-endian data (" + quoted(descr) + ") is not supported; save it as " + "little-endian (" +
             quoted(little) + ")";
    }
  }
  return "unsupported descr " + quoted(descr);
}

// product(shape) * item_size, or nullopt when it does not fit int64.
std::optional<int64_t> data_size(const std::vector<int64_t>& shape, int64_t item_size) {
  int64_t bytes = item_size;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(bytes, dim, &bytes)) return std::nullopt;
  }
  return bytes;
}

std::string check_data_size(const std::vector<int64_t>& shape, std::string_view descr, int64_t item_size,
                            int64_t* bytes) {
  const std::optional<int64_t> size = data_size(shape, item_size);
  if (!size) {
    return "shape " + shape_for_message(shape) + " of " + quoted(descr) +
           " is too large: its size in bytes does not fit in int64";
  }
  *bytes = *size;
  return "";
}

// ---------------------------------------------------------------------------------------------
// The fixed-size prefix: magic, version, header length

struct Prefix {
  int major_version = 0;
  size_t length_field_size = 0;
  uint64_t header_length = 0;

  size_t size() const { return kMagicSize + kVersionSize + length_field_size; }
};

// The prefix is at most this long; read_file reads this much before trusting anything.
constexpr size_t kMaxPrefixSize = kMagicSize + kVersionSize + 4;

uint64_t read_little_endian(const uint8_t* bytes, size_t count) {
  uint64_t value = 0;
  for (size_t i = count; i > 0; --i) value = (value << 8) | bytes[i - 1];
  return value;
}

std::string parse_prefix(const uint8_t* bytes, size_t size, Prefix* prefix) {
  if (size == 0) return "not an .npy file: the file is empty";
  const size_t compared = std::min(size, kMagicSize);
  if (std::memcmp(bytes, kMagic, compared) != 0) {
    return "not an .npy file: bad magic (expected the bytes \\x93NUMPY)";
  }
  if (size < kMagicSize + kVersionSize) {
    return "truncated header: the file ends before the format version";
  }
  const int major = bytes[kMagicSize];
  const int minor = bytes[kMagicSize + 1];
  if (major < 1 || major > 3 || minor != 0) {
    return "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
           " (expected 1.0, 2.0 or 3.0)";
  }
  prefix->major_version = major;
  prefix->length_field_size = major == 1 ? 2 : 4;
  if (size < prefix->size()) {
    return "truncated header: the file ends inside the header length field";
  }
  prefix->header_length = read_little_endian(bytes + kMagicSize + kVersionSize, prefix->length_field_size);
  return "";
}

// ---------------------------------------------------------------------------------------------
// The header text: a Python dict literal with exactly the keys descr, fortran_order, shape

struct DictFields {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Characters that end a token when quoting what was found in a message.
bool is_delimiter(char c) {
  return is_whitespace(c) || std::string_view(",:{}()[]'\"").find(c) != std::string_view::npos;
}

class DictParser {
 public:
  explicit DictParser(std::string_view text) : text_(text) {}

  std::string parse(DictFields* fields) {
    skip_whitespace();
    if (!consume('{')) return expected("'{' to open the header dict");
    std::string error = parse_entries(fields);
    if (!error.empty()) return error;
    skip_whitespace();
    if (!at_end()) return bad("unexpected " + found() + " after the closing '}'");
    return "";
  }

 private:
  // Everything after '{' up to and including the closing '}'.
  std::string parse_entries(DictFields* fields) {
    for (;;) {
      skip_whitespace();
      if (at_end()) return unterminated_dict();
      if (consume('}')) return "";
      std::string key;
      if (!at_quote()) return expected("a quoted key or '}'");
      std::string error = parse_string(&key);
      if (!error.empty()) return error;
      skip_whitespace();
      if (!consume(':')) return expected("':' after the key " + quoted(key));
      skip_whitespace();
      error = parse_value(key, fields);
      if (!error.empty()) return error;
      skip_whitespace();
      if (at_end()) return unterminated_dict();
      if (consume(',')) continue;
      if (consume('}')) return "";
      return expected("',' or '}' after the value of " + quoted(key));
    }
  }

  std::string parse_value(const std::string& key, DictFields* fields) {
    if (key == "descr") {
      if (fields->descr) return duplicate_key(key);
      if (!at_quote()) {
        return expected(
            "a quoted string as the value of 'descr' (structured dtypes are not "
            "supported)");
      }
      return parse_string(&fields->descr.emplace());
    }
    if (key == "fortran_order") {
      if (fields->fortran_order) return duplicate_key(key);
      return parse_bool(&fields->fortran_order.emplace());
    }
    if (key == "shape") {
      if (fields->shape) return duplicate_key(key);
      return parse_shape(&fields->shape.emplace());
    }
    return bad("unexpected key " + quoted(key) + " (expected only 'descr', 'fortran_order' and 'shape')");
  }

  // A single- or double-quoted string without escapes (numpy never writes any).
  std::string parse_string(std::string* out) {
    const size_t start = pos_;
    const char quote = text_[pos_++];
    while (!at_end() && peek() != quote) {
      const char c = peek();
      if (c == '\\') return bad("escape sequences in strings are not supported (" + where() + ")");
      if (c == '\n' || c == '\r') break;  // Python strings cannot span lines.
      ++pos_;
    }
    if (at_end() || peek() != quote) {
      return bad("unterminated string starting at offset " + std::to_string(start));
    }
    *out = std::string(text_.substr(start + 1, pos_ - start - 1));
    ++pos_;
    return "";
  }

  std::string parse_bool(bool* out) {
    const std::string_view word = token();
    if (word == "True" || word == "False") {
      *out = word == "True";
      pos_ += word.size();
      return "";
    }
    return expected("True or False as the value of 'fortran_order'");
  }

  // A tuple of non-negative integers: "()", "(5,)", "(2, 3)", "(2, 3,)".
  std::string parse_shape(std::vector<int64_t>* shape) {
    if (!consume('(')) return expected("a tuple of integers like (2, 3) as the value of 'shape'");
    skip_whitespace();
    if (consume(')')) return "";
    bool saw_comma = false;
    for (;;) {
      int64_t dim = 0;
      std::string error = parse_dimension(&dim);
      if (!error.empty()) return error;
      shape->push_back(dim);
      skip_whitespace();
      if (consume(',')) {
        saw_comma = true;
        skip_whitespace();
        if (consume(')')) return "";
        continue;
      }
      if (consume(')')) break;
      return expected("',' or ')' in the value of 'shape'");
    }
    // In Python "(5)" is the integer 5, not a tuple.
    if (shape->size() == 1 && !saw_comma) {
      return bad("'shape' (" + std::to_string(shape->front()) + ") is not a tuple: a 1-D shape is written (" +
                 std::to_string(shape->front()) + ",)");
    }
    return "";
  }

  // A decimal integer, optionally with the 'L' suffix of Python 2's long.
  std::string parse_dimension(int64_t* dim) {
    if (!at_end() && peek() == '-') {
      ++pos_;
      return bad("negative dimension -" + printable(digits()) + " in 'shape'");
    }
    if (at_end() || !is_digit(peek())) return expected("a non-negative integer in 'shape'");
    const std::string_view number = digits();
    int64_t value = 0;
    bool overflow = false;
    for (char c : number) {
      overflow =
          overflow || __builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, c - '0', &value);
    }
    if (overflow) {
      return bad("dimension " + printable(number) + " in 'shape' does not fit in int64");
    }
    if (number.size() > 1 && number[0] == '0') {
      return bad("dimension " + printable(number) + " in 'shape' has leading zeros");
    }
    if (!at_end() && (peek() == 'L' || peek() == 'l')) ++pos_;
    *dim = value;
    return "";
  }

  // Consumes and returns a run of decimal digits.
  std::string_view digits() {
    const size_t start = pos_;
    while (!at_end() && is_digit(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool at_quote() const { return !at_end() && (peek() == '\'' || peek() == '"'); }

  bool consume(char c) {
    if (at_end() || peek() != c) return false;
    ++pos_;
    return true;
  }

  void skip_whitespace() {
    while (!at_end() && is_whitespace(peek())) ++pos_;
  }

  // The token at the current position, for messages and keyword matching.
  std::string_view token() const {
    if (at_end()) return {};
    if (is_delimiter(peek())) return text_.substr(pos_, 1);
    size_t end = pos_;
    while (end < text_.size() && !is_delimiter(text_[end])) ++end;
    return text_.substr(pos_, end - pos_);
  }

  std::string where() const { return "at offset " + std::to_string(pos_); }

  std::string found() const {
    if (at_end()) return "the end of the header";
    return quoted(token()) + " " + where();
  }

  static std::string bad(const std::string& what) { return "bad header: " + what; }
  std::string expected(const std::string& what) const { return bad("expected " + what + ", found " + found()); }
  static std::string duplicate_key(const std::string& key) { return bad("duplicate key " + quoted(key)); }
  static std::string unterminated_dict() { return bad("unterminated dict (the header ends before the closing '}')"); }

  std::string_view text_;
  size_t pos_ = 0;
};

// Turns the parsed dict into a Header, checking what patchjit can handle.
std::string check_fields(const DictFields& fields, Header* header) {
  if (!fields.descr) return "bad header: missing key 'descr'";
  if (!fields.fortran_order) return "bad header: missing key 'fortran_order'";
  if (!fields.shape) return "bad header: missing key 'shape'";
  if (*fields.fortran_order) {
    return "Fortran-order arrays are not supported; save with C order";
  }
  std::string error = check_descr(*fields.descr, &header->item_size);
  if (!error.empty()) return error;
  header->descr = *fields.descr;
  header->shape = *fields.shape;
  return check_data_size(header->shape, header->descr, header->item_size, &header->data_bytes);
}

// The data must be exactly data_bytes long.
std::string check_data_length(const Header& header, uint64_t available) {
  const auto expected = static_cast<uint64_t>(header.data_bytes);
  if (available < expected) {
    return "truncated data: expected " + std::to_string(expected) + " bytes, found " + std::to_string(available);
  }
  if (available > expected) {
    return std::to_string(available - expected) + " unexpected bytes after the data (expected " +
           std::to_string(expected) + " data bytes)";
  }
  return "";
}

std::string parse_header_unchecked(const uint8_t* bytes, size_t size, Header* header) {
  Prefix prefix;
  std::string error = parse_prefix(bytes, size, &prefix);
  if (!error.empty()) return error;
  const size_t available = size - prefix.size();
  if (prefix.header_length > available) {
    return "truncated header: the header length field says " + std::to_string(prefix.header_length) +
           " bytes but only " + std::to_string(available) + " follow";
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes + prefix.size()), prefix.header_length);
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return "bad header: NUL byte at offset " + std::to_string(nul) + " of the header text";
  }
  DictFields fields;
  error = DictParser(text).parse(&fields);
  if (!error.empty()) return error;
  Header result;
  error = check_fields(fields, &result);
  if (!error.empty()) return error;
  result.major_version = prefix.major_version;
  result.data_offset = static_cast<int64_t>(prefix.size() + prefix.header_length);
  *header = std::move(result);
  return "";
}

std::string parse_unchecked(const uint8_t* bytes, size_t size, Array* array) {
  Array result;
  std::string error = parse_header_unchecked(bytes, size, &result.header);
  if (!error.empty()) return error;
  const auto offset = static_cast<size_t>(result.header.data_offset);
  error = check_data_length(result.header, size - offset);
  if (!error.empty()) return error;
  result.data.assign(bytes + offset, bytes + size);
  *array = std::move(result);
  return "";
}

// ---------------------------------------------------------------------------------------------
// File I/O

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { close(); }

  int get() const { return fd_; }

  // Returns errno of a failed close, or 0.
  int close() {
    if (fd_ < 0) return 0;
    const int result = ::close(fd_);
    fd_ = -1;
    return result == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Reads up to `count` bytes at `offset`, stopping early only at end of file.
// Returns errno of a failed read, or 0; `*got` says how many bytes arrived.
int read_at(int fd, uint8_t* out, size_t count, uint64_t offset, size_t* got) {
  *got = 0;
  while (*got < count) {
    const ssize_t n = ::pread(fd, out + *got, count - *got, static_cast<off_t>(offset + *got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    *got += static_cast<size_t>(n);
  }
  return 0;
}

// Reads up to `count` bytes from a stream, stopping early only at its end.
int read_some(int fd, uint8_t* out, size_t count, size_t* got) {
  *got = 0;
  while (*got < count) {
    const ssize_t n = ::read(fd, out + *got, count - *got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    *got += static_cast<size_t>(n);
  }
  return 0;
}

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Reads exactly `count` bytes at `offset` of a file whose size was checked beforehand.
std::string read_exactly(int fd, uint8_t* out, size_t count, uint64_t offset) {
  size_t got = 0;
  if (const int error = read_at(fd, out, count, offset, &got); error != 0) {
    return "read failed: " + errno_text(error);
  }
  if (got < count) return "the file shrank while it was being read";
  return "";
}

std::string read_file_unchecked(const std::string& path, Array* array) {
  // O_NONBLOCK so that opening a FIFO does not wait for a writer; it is then rejected.
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (file.get() < 0) return "cannot open: " + errno_text(errno);
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) return "cannot stat: " + errno_text(errno);
  if (!S_ISREG(status.st_mode)) return "not a regular file (" + file_kind(status.st_mode) + ")";
  const auto file_size = static_cast<uint64_t>(status.st_size);

  // The prefix says how long the header is; every allocation below is bounded by file_size.
  uint8_t prefix_bytes[kMaxPrefixSize];
  const size_t prefix_read = static_cast<size_t>(std::min<uint64_t>(file_size, kMaxPrefixSize));
  std::string error = read_exactly(file.get(), prefix_bytes, prefix_read, 0);
  if (!error.empty()) return error;
  Prefix prefix;
  error = parse_prefix(prefix_bytes, prefix_read, &prefix);
  if (!error.empty()) return error;

  const uint64_t header_end = prefix.size() + prefix.header_length;
  std::vector<uint8_t> header_bytes(static_cast<size_t>(std::min(header_end, file_size)));
  error = read_exactly(file.get(), header_bytes.data(), header_bytes.size(), 0);
  if (!error.empty()) return error;
  Array result;
  error = parse_header_unchecked(header_bytes.data(), header_bytes.size(), &result.header);
  if (!error.empty()) return error;

  const auto data_offset = static_cast<uint64_t>(result.header.data_offset);
  error = check_data_length(result.header, file_size - data_offset);
  if (!error.empty()) return error;
  result.data.resize(static_cast<size_t>(result.header.data_bytes));
  error = read_exactly(file.get(), result.data.data(), result.data.size(), data_offset);
  if (!error.empty()) return error;
  uint8_t extra = 0;
  size_t got = 0;
  if (read_at(file.get(), &extra, 1, file_size, &got) == 0 && got != 0) {
    return "the file grew while it was being read";
  }
  *array = std::move(result);
  return "";
}

std::string check_write_arguments(std::string_view descr, const std::vector<int64_t>& shape, const void* data,
                                  size_t bytes) {
  int64_t item_size = 0;
  std::string error = check_descr(descr, &item_size);
  if (!error.empty()) return error;
  for (int64_t dim : shape) {
    if (dim < 0) {
      return "negative dimension " + std::to_string(dim) + " in shape " + shape_for_message(shape);
    }
  }
  int64_t expected = 0;
  error = check_data_size(shape, descr, item_size, &expected);
  if (!error.empty()) return error;
  if (bytes != static_cast<uint64_t>(expected)) {
    return "the data is " + std::to_string(bytes) + " bytes but shape " + shape_for_message(shape) + " of " +
           quoted(descr) + " needs " + std::to_string(expected);
  }
  if (data == nullptr && bytes > 0) return "no data given for " + std::to_string(bytes) + " bytes";
  return "";
}

// Appends up to `count` bytes of a stream to `out`, growing it by what arrives (a length
// field or a shape that claims gigabytes costs only the bytes really sent).
int append_from_stream(int fd, uint64_t count, std::vector<uint8_t>* out) {
  uint8_t chunk[1 << 16];
  while (count > 0) {
    size_t got = 0;
    if (const int e = read_some(fd, chunk, static_cast<size_t>(std::min<uint64_t>(count, sizeof chunk)), &got))
      return e;
    out->insert(out->end(), chunk, chunk + got);
    count -= got;
    if (got < std::min<uint64_t>(count + got, sizeof chunk)) break;  // the end of the stream
  }
  return 0;
}

std::string read_stream_unchecked(int fd, Array* array) {
  // The prefix first (its length field's size depends on the version), then the header text,
  // then the data and one byte more, to see bytes after it.
  std::vector<uint8_t> header_bytes;
  if (const int e = append_from_stream(fd, kMagicSize + kVersionSize, &header_bytes)) {
    return "read failed: " + errno_text(e);
  }
  if (header_bytes.size() == kMagicSize + kVersionSize) {
    if (const int e = append_from_stream(fd, header_bytes[kMagicSize] == 1 ? 2 : 4, &header_bytes)) {
      return "read failed: " + errno_text(e);
    }
  }
  Prefix prefix;
  std::string error = parse_prefix(header_bytes.data(), header_bytes.size(), &prefix);
  if (!error.empty()) return error;
  if (const int e = append_from_stream(fd, prefix.header_length, &header_bytes)) return "read failed: " + errno_text(e);
  Array result;
  error = parse_header_unchecked(header_bytes.data(), header_bytes.size(), &result.header);
  if (!error.empty()) return error;
  const auto expected = static_cast<uint64_t>(result.header.data_bytes);
  if (const int e = append_from_stream(fd, expected + 1, &result.data)) return "read failed: " + errno_text(e);
  error = check_data_length(result.header, result.data.size());
  if (!error.empty()) return error;
  *array = std::move(result);
  return "";
}

// Runs `body`, turning an exception into a message that starts with `name` (when given).
template <typename Body>
std::string without_exceptions(const std::string* name, Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return out_of_memory_message(name);
  } catch (const std::exception& e) {
    return internal_error_message(name, e);
  }
}

// Header text length after padding, so that prefix + text ends on a 64-byte boundary.
size_t padded_header_length(size_t dict_length, size_t prefix_size) {
  const size_t unpadded = prefix_size + dict_length + 1;  // +1 for the final '\n'
  const size_t padding = (kDataAlignment - unpadded % kDataAlignment) % kDataAlignment;
  return dict_length + 1 + padding;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public interface

int64_t descr_item_size(std::string_view descr) {
  if (descr.size() < 2) return 0;
  const char order = descr[0];
  const std::string_view type = descr.substr(1);
  for (const KnownDescr& known : kKnownDescrs) {
    if (known.descr.substr(1) != type) continue;
    const char known_order = known.descr[0];
    if (order == known_order) return known.item_size;
    // '=' is native order, which is little-endian on the machines patchjit runs on.
    if (order == '=' && known_order == '<') return known.item_size;
    // Byte order is meaningless for 1-byte numbers, so some writers put '<' or '='.
    if ((order == '<' || order == '=') && known_order == '|' && known.item_size == 1) {
      return known.item_size;
    }
  }
  return 0;
}

std::string parse_header(const uint8_t* bytes, size_t size, Header* header) {
  return without_exceptions(nullptr, [&] { return parse_header_unchecked(bytes, size, header); });
}

std::string parse(const uint8_t* bytes, size_t size, Array* array) {
  return without_exceptions(nullptr, [&] { return parse_unchecked(bytes, size, array); });
}

std::string read_file(const std::string& path, Array* array) {
  return without_exceptions(&path, [&] {
    const std::string error = read_file_unchecked(path, array);
    return error.empty() ? error : path + ": " + error;
  });
}

std::string format_header(std::string_view descr, const std::vector<int64_t>& shape) {
  try {
    const std::string dict =
        "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
    int major_version = 1;
    size_t length_field_size = 2;
    size_t length = padded_header_length(dict.size(), kMagicSize + kVersionSize + 2);
    if (length > kMaxV1HeaderLength) {
      major_version = 2;
      length_field_size = 4;
      length = padded_header_length(dict.size(), kMagicSize + kVersionSize + 4);
      if (length > 0xffffffffu) return "";  // a 4 GiB header is not something to write
    }
    std::string out(kMagic, kMagicSize);
    out += static_cast<char>(major_version);
    out += '\0';
    for (size_t i = 0; i < length_field_size; ++i) {
      out += static_cast<char>((length >> (8 * i)) & 0xff);
    }
    out += dict;
    out.append(length - dict.size() - 1, ' ');
    out += '\n';
    return out;
  } catch (const std::exception&) {
    return "";
  }
}

namespace {

// The header of a file of these arguments, once they are checked: "" or what is wrong.
std::string file_image_header(std::string_view descr, const std::vector<int64_t>& shape, const void* data, size_t bytes,
                              std::string* header) {
  if (std::string error = check_write_arguments(descr, shape, data, bytes); !error.empty()) return error;
  *header = format_header(descr, shape);
  return header->empty() ? "out of memory" : "";
}

}  // namespace

std::string write_file(const std::string& path, std::string_view descr, const std::vector<int64_t>& shape,
                       const void* data, size_t bytes) {
  return without_exceptions(&path, [&] {
    std::string header;
    if (std::string error = file_image_header(descr, shape, data, bytes, &header); !error.empty())
      return path + ": " + error;
    return files::write_atomically(path, {header, {static_cast<const char*>(data), bytes}});
  });
}

std::string read_stream(int fd, const std::string& name, Array* array) {
  return without_exceptions(&name, [&] {
    const std::string error = read_stream_unchecked(fd, array);
    return error.empty() ? error : name + ": " + error;
  });
}

std::string write_stream(int fd, const std::string& name, std::string_view descr, const std::vector<int64_t>& shape,
                         const void* data, size_t bytes) {
  return without_exceptions(&name, [&] {
    std::string header;
    if (std::string error = file_image_header(descr, shape, data, bytes, &header); !error.empty())
      return name + ": " + error;
    for (std::string_view piece : {std::string_view(header), std::string_view(static_cast<const char*>(data), bytes)}) {
      if (const int e = files::write_fully(fd, piece)) return name + ": cannot write: " + errno_text(e);
    }
    return std::string();
  });
}

}  // namespace pj::npy
