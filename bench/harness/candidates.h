// The one benchmark harness of bench/suite_bench.cc (Google Benchmark) and `patchjit bench`
// (tools/bench): a shape's buffers, what runs on them under which row name, the check of every
// output against the golden loops, and kernel creation cold and from the cache. The two differ
// only in how they time and report, so their rows and names are the same by construction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codegen/plan/geometry.h"
#include "codegen/plan/spec.h"
#include "patchjit/patchjit.h"

namespace pj::bench {

// A 64-byte aligned buffer (Eigen's TensorMaps are Aligned, as TensorFlow's are), touched so
// page faults fall outside every measurement.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t bytes);  // throws std::bad_alloc
  uint8_t* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
};

// One shape's buffers: non-zero random input (so a zero where data belongs shows), its golden
// output, and the output every candidate writes.
struct ShapeBuffers {
  explicit ShapeBuffers(const Geometry& g);
  Geometry g;
  AlignedBuffer input, output, expected;
};

// What a row is: the baselines a backend is judged against, a backend, or kernel creation.
enum class RowKind {
  kFloor,     // floor_memset, floor_vector, floor_memcpy16k, floor_stream: merely writing the output;
              // floor_copy (extract): memcpy of min(input, output) bytes of the input;
              // floor_read (fold): merely reading the patches
  kPeer,      // naive (the golden loops), im2col, eigen, halide, unfold; fold's tf_gradient, scatter
  kBackend,   // interp, xbyak_avx512, xbyak_avx2, llvm; "_t2" etc. for more threads
  kCompile,   // compile_<variant>: cold pj_kernel_create of a JIT backend (cache off)
  kCreateHit  // create_hit_<variant>: pj_kernel_create + destroy of a signature already cached
};

// Whether a floor row bounds the time from the input side (floor_copy, floor_read). The store
// floors are alternatives (the fastest counts); an input floor must happen as well, so a shape's
// floor is the slowest of its input floors and its fastest store floor (docs/DESIGN.md).
bool is_input_floor(const std::string& floor_name);

// One way to run the op (or merely write its output) on a shape's buffers.
struct Candidate {
  std::string name;
  RowKind kind;
  std::function<void()> run;
};

// Whether the im2col and Eigen peers compute this geometry: TensorFlow's op (dense NHWC rows,
// SAME or VALID, zero padding). The golden loops compute every geometry.
bool tf_peers_apply(const Geometry& g);

// The floors and the peers that compute the shape's geometry, in the order rows show them.
// "im2col" is the careful im2col of the shape's format: NHWC rows for TensorFlow's op, the
// NCHW one (bench/peers/im2col_nchw.h) for the torch format; "halide" (TensorFlow's op, where
// the Halide plugin is built) is JIT-compiled here; "unfold" is torch's (the torch format, where
// the torch plugin is built). A peer that applies but cannot be made leaves "name: why" in
// *unavailable.
std::vector<Candidate> baseline_candidates(ShapeBuffers& buffers, std::string* unavailable = nullptr);

// A backend as rows name it: xbyak once per ISA ("xbyak_avx512", "xbyak_avx2"), the others once.
struct BackendVariant {
  std::string name;
  pj_backend backend;
  pj_isa isa;  // the cap to set before pj_kernel_create
  bool jit;    // has a compile step worth timing
};

// The backends this build and CPU run, found through the C API, xbyak once per ISA from `top`
// down to AVX2; `skipped` gets "name: reason" for each one that cannot run.
std::vector<BackendVariant> backend_variants(pj_isa top, std::vector<std::string>* skipped);

// Row names: "xbyak_avx512" with 1 thread, "xbyak_avx512_t2", "xbyak_avx512_tauto" (0: the
// library chooses); "compile_xbyak_avx512", "create_hit_xbyak_avx512": by the variant, so the
// ISA is always in the name.
std::string threaded_name(const std::string& variant, int threads);
std::string compile_name(const BackendVariant& variant);
std::string create_hit_name(const BackendVariant& variant);

// A kernel of the shape's signature on one variant (the ISA cap set to the variant's), run by
// the candidates made from it; the cap stays set (the caller restores it).
struct VariantKernel {
  BackendVariant variant;
  pj_kernel* kernel = nullptr;
  VariantKernel(const VariantKernel&) = delete;
  VariantKernel& operator=(const VariantKernel&) = delete;
  VariantKernel(BackendVariant v, pj_kernel* k) : variant(std::move(v)), kernel(k) {}
  ~VariantKernel() { pj_kernel_destroy(kernel); }
};
// pj_kernel_create_ex, or pj_fold_kernel_create for a fold spec.
pj_status create_kernel(const Spec& spec, pj_backend backend, pj_kernel** kernel);
// The kernel, or pj_last_error's message.
std::unique_ptr<VariantKernel> make_kernel(const Spec& spec, const BackendVariant& variant, std::string* error);
Candidate backend_candidate(const VariantKernel& kernel, int threads, ShapeBuffers& buffers);

// Runs the candidate into an output holding the complement of the expected bytes (so every byte
// left unwritten differs) and compares with the golden loops: nothing, or "differs from the
// golden loops at element ...". `corrupt` flips one output byte after the run (tests prove the
// check catches a wrong output with it).
std::optional<std::string> check(const Candidate& candidate, ShapeBuffers& buffers, bool corrupt = false);

// pj_kernel_create + pj_kernel_destroy of `spec` on a variant, whose ISA cap the caller has set
// (make_kernel sets it); the first failure's message is kept in *error. With the cache off (CacheOff) each call
// compiles; with a kernel of the signature held, each is a cache hit.
std::function<void()> create_destroy(const Spec& spec, const BackendVariant& variant, std::string* error);

// Turns the kernel cache off while alive, so that every pj_kernel_create compiles; then
// restores its limits.
class CacheOff {
 public:
  CacheOff();
  ~CacheOff();
  CacheOff(const CacheOff&) = delete;
  CacheOff& operator=(const CacheOff&) = delete;

 private:
  pj_cache_stats limits_{};
};

}  // namespace pj::bench
