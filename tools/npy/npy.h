// Strict reader and atomic writer of NumPy .npy files: a small library of its own (pj_npy).
//
// The reader treats every file as hostile: it never reads past the bytes it was given, never
// allocates more than the file's own size, and reports every deviation from the format as a
// one-line message instead of guessing. No function here lets an exception escape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pj::npy {

// The element types patchjit knows, by numpy descr. kind/size come from the descr.
struct Header {
  int major_version = 1;       // 1, 2 or 3
  std::string descr;           // as written in the file, e.g. "<f4", "|u1", "<c16", "|b1", "|V2"
  std::vector<int64_t> shape;  // C order
  int64_t item_size = 0;       // bytes per element, from the descr
  int64_t data_offset = 0;     // byte offset of the data in the file
  int64_t data_bytes = 0;      // product(shape) * item_size, overflow-checked
};

struct Array {
  Header header;
  std::vector<uint8_t> data;  // data_bytes bytes
};

// Parses the header at the start of `bytes` (`size` bytes available: the whole file or more).
// Returns "" on success, otherwise a one-line message saying what is wrong.
std::string parse_header(const uint8_t* bytes, size_t size, Header* header);

// Parses a whole file image held in memory (header + data; the data must be exactly
// data_bytes long: truncated data and trailing bytes are both errors).
std::string parse(const uint8_t* bytes, size_t size, Array* array);

// Reads `path`. The file size is known (fstat) before any data allocation, so a header that
// claims a huge shape never causes a huge allocation: it is an error because the file is too
// short. Returns "" on success or a message that starts with the path.
std::string read_file(const std::string& path, Array* array);

// Serializes a header (version 1.0, or 2.0 when the header text would not fit 65535 bytes),
// padded with spaces and ending in '\n' so that the data starts at a multiple of 64.
// Returns "" only if memory runs out (or the header would exceed 4 GiB).
std::string format_header(std::string_view descr, const std::vector<int64_t>& shape);

// Writes header + data to `path` atomically (tools/files/atomic_file.h): on any failure `path`
// is neither created nor changed and no temporary file is left. Returns "" on success or a
// message that starts with the path.
std::string write_file(const std::string& path, std::string_view descr, const std::vector<int64_t>& shape,
                       const void* data, size_t bytes);

// The same for a stream (standard input and output: `--input -`): the reader takes exactly one
// array, and the data buffer grows with the bytes that arrive, never by what the header claims.
// Writing to a stream cannot be undone: a failure may leave part of the file written. Messages
// start with `name`.
std::string read_stream(int fd, const std::string& name, Array* array);
std::string write_stream(int fd, const std::string& name, std::string_view descr, const std::vector<int64_t>& shape,
                         const void* data, size_t bytes);

// Element size implied by a descr, or 0 if the descr is not one patchjit accepts.
int64_t descr_item_size(std::string_view descr);

}  // namespace pj::npy
