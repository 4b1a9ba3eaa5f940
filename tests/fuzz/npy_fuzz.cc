// Fuzz target: the .npy reader on arbitrary bytes. It must never crash, read out of bounds or
// allocate more than the bytes it is given; what it accepts must survive a write/read round trip.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "tools/npy/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pj::npy::Header header;
  std::string error = pj::npy::parse_header(data, size, &header);
  pj::npy::Array array;
  std::string whole = pj::npy::parse(data, size, &array);
  if (!whole.empty()) return 0;
  // Accepted: the header must agree, the data must be the rest of the file, and formatting the
  // header again must parse to the same array.
  if (!error.empty() || array.header.shape != header.shape ||
      static_cast<size_t>(array.header.data_offset + array.header.data_bytes) != size ||
      array.data.size() != static_cast<size_t>(array.header.data_bytes)) {
    std::abort();
  }
  std::string again = pj::npy::format_header(array.header.descr, array.header.shape);
  again.append(reinterpret_cast<const char*>(array.data.data()), array.data.size());
  pj::npy::Array reread;
  if (!pj::npy::parse(reinterpret_cast<const uint8_t*>(again.data()), again.size(), &reread).empty() ||
      reread.header.shape != array.header.shape || reread.header.descr != array.header.descr ||
      reread.data != array.data) {
    std::abort();
  }
  return 0;
}
