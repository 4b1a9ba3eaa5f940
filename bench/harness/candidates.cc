#include "bench/harness/candidates.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "bench/peers/fold_peers.h"
#include "bench/peers/halide/halide_im2col.h"
#include "bench/peers/im2col.h"
#include "bench/peers/im2col_nchw.h"
#include "bench/peers/peers.h"
#include "bench/peers/torch/torch_unfold.h"
#include "reference/compare.h"
#include "reference/golden.h"
#include "runtime/c_spec.h"

namespace pj::bench {

AlignedBuffer::AlignedBuffer(size_t bytes)
    : data_(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64))) {
  if (!data_) throw std::bad_alloc();
  std::memset(data_.get(), 0x11, bytes);
}

void AlignedBuffer::Free::operator()(uint8_t* p) const { std::free(p); }

ShapeBuffers::ShapeBuffers(const Geometry& geometry)
    : g(geometry),
      input(static_cast<size_t>(g.input_bytes())),
      output(static_cast<size_t>(g.output_bytes())),
      expected(static_cast<size_t>(g.output_bytes())) {
  std::mt19937_64 rng(1);
  // Fold adds: its bytes stay below 0x40, so no floating element is NaN or infinite (whose
  // payloads IEEE leaves open) and sums stay finite.
  const uint8_t mask = g.extract() ? 0xFF : 0x3F;
  for (int64_t i = 0; i < g.input_bytes(); ++i) input.data()[i] = static_cast<uint8_t>((rng() | 1) & mask);
  if (g.extract()) {
    golden_extract(g, input.data(), expected.data());
  } else {
    golden_fold(g, input.data(), expected.data());
  }
}

bool tf_peers_apply(const Geometry& g) {
  return g.extract() && g.format == kTfFormat && g.padding != Padding::kExplicit && g.zero_pad() && g.dense_image() &&
         g.dense_patches();
}

std::vector<Candidate> baseline_candidates(ShapeBuffers& b, std::string* unavailable) {
  const size_t bytes = static_cast<size_t>(b.g.output_bytes());
  const size_t in_bytes = static_cast<size_t>(b.g.input_bytes());
  uint8_t* out = b.output.data();
  const uint8_t* in = b.input.data();
  const Geometry* g = &b.g;
  std::vector<Candidate> candidates = {
      {"floor_memset", RowKind::kFloor, [=] { floor_memset(out, bytes); }},
      {"floor_vector", RowKind::kFloor, [=] { floor_vector_stores(out, bytes); }},
      {"floor_memcpy16k", RowKind::kFloor, [=] { floor_memcpy_hot(out, bytes); }},
      {"floor_stream", RowKind::kFloor, [=] { floor_stream(out, bytes); }},
  };
  if (!b.g.extract()) {  // fold reads every patch once: the read floor
    candidates.push_back({"floor_read", RowKind::kFloor, [=] { floor_vector_loads(in, in_bytes); }});
    candidates.push_back({"naive", RowKind::kPeer, [=] { golden_fold(*g, in, out); }});
    if (tf_gradient_applies(b.g)) {
      candidates.push_back({"tf_gradient", RowKind::kPeer, [=] { tf_gradient_fold(*g, in, out); }});
    }
    if (scatter_col2im_applies(b.g)) {
      candidates.push_back({"scatter", RowKind::kPeer, [=] { scatter_col2im(*g, in, out); }});
    }
    return candidates;
  }
  // Every needed input byte is read at least once: a copy of min(input, output) bytes.
  const size_t copy_bytes = std::min(in_bytes, bytes);
  candidates.push_back({"floor_copy", RowKind::kFloor, [=] { floor_copy(in, out, copy_bytes); }});
  candidates.push_back({"naive", RowKind::kPeer, [=] { golden_extract(*g, in, out); }});
  if (tf_peers_apply(b.g)) {
    candidates.push_back({"im2col", RowKind::kPeer, [=] { im2col_rows(*g, in, out, 0, g->total_rows()); }});
    candidates.push_back({"eigen", RowKind::kPeer, [=] { eigen_extract(*g, in, out); }});
    std::string error;
    if (std::shared_ptr<HalideIm2col> halide = make_halide_im2col(b.g, in, out, &error)) {
      candidates.push_back({"halide", RowKind::kPeer, [halide] { halide->run(); }});
    } else if (unavailable) {
      *unavailable = "halide: " + error;
    }
  } else if (im2col_nchw_applies(b.g)) {  // the torch format: Caffe's and ONNX Runtime's loops
    candidates.push_back({"im2col", RowKind::kPeer, [=] { im2col_nchw(*g, in, out); }});
  }
  if (torch_unfold_applies(b.g)) {  // and torch's own, where its plugin is built
    std::string error;
    if (std::shared_ptr<TorchUnfold> unfold = make_torch_unfold(b.g, in, out, &error)) {
      candidates.push_back({"unfold", RowKind::kPeer, [unfold] { unfold->run(); }});
    } else if (unavailable) {
      *unavailable = "unfold: " + error;
    }
  }
  return candidates;
}

bool is_input_floor(const std::string& floor_name) { return floor_name == "floor_copy" || floor_name == "floor_read"; }

std::vector<BackendVariant> backend_variants(pj_isa top, std::vector<std::string>* skipped) {
  std::vector<BackendVariant> variants;
  for (int b = PJ_BACKEND_INTERP; pj_backend_name(static_cast<pj_backend>(b)); ++b) {
    const auto backend = static_cast<pj_backend>(b);
    const std::string name = pj_backend_name(backend);
    if (pj_backend_available(backend) != PJ_OK) {
      if (skipped) skipped->push_back(name + ": " + pj_last_error());
      continue;
    }
    if (backend == PJ_BACKEND_XBYAK) {
      for (int isa = top; isa >= PJ_ISA_AVX2; --isa) {
        variants.push_back(
            {name + "_" + pj_isa_name(static_cast<pj_isa>(isa)), backend, static_cast<pj_isa>(isa), true});
      }
    } else {
      variants.push_back({name, backend, top, backend != PJ_BACKEND_INTERP});
    }
  }
  return variants;
}

std::string threaded_name(const std::string& variant, int threads) {
  if (threads == 1) return variant;
  return variant + "_t" + (threads == 0 ? std::string("auto") : std::to_string(threads));
}

std::string compile_name(const BackendVariant& variant) { return "compile_" + variant.name; }

std::string create_hit_name(const BackendVariant& variant) { return "create_hit_" + variant.name; }

namespace {

// A spec as the C API takes it, converted once.
struct CSpec {
  explicit CSpec(const Spec& spec)
      : c(to_c_ex(spec)), fold(spec.op == Op::kFold), mode(spec.mode == FoldMode::kMean ? PJ_FOLD_MEAN : PJ_FOLD_SUM) {}
  pj_status create(pj_backend backend, pj_kernel** kernel) const {
    return fold ? pj_fold_kernel_create(&c, mode, backend, kernel) : pj_kernel_create_ex(&c, backend, kernel);
  }
  pj_spec_ex c;
  bool fold;
  pj_fold_mode mode;
};

}  // namespace

pj_status create_kernel(const Spec& spec, pj_backend backend, pj_kernel** kernel) {
  return CSpec(spec).create(backend, kernel);
}

std::unique_ptr<VariantKernel> make_kernel(const Spec& spec, const BackendVariant& variant, std::string* error) {
  pj_set_max_isa(variant.isa);
  pj_kernel* k = nullptr;
  if (create_kernel(spec, variant.backend, &k) != PJ_OK) {
    *error = pj_last_error();
    return nullptr;
  }
  return std::make_unique<VariantKernel>(variant, k);
}

Candidate backend_candidate(const VariantKernel& kernel, int threads, ShapeBuffers& b) {
  const pj_kernel* k = kernel.kernel;
  const uint8_t* in = b.input.data();
  uint8_t* out = b.output.data();
  return {threaded_name(kernel.variant.name, threads), RowKind::kBackend, [=] { pj_kernel_run(k, in, out, threads); }};
}

std::optional<std::string> check(const Candidate& c, ShapeBuffers& b, bool corrupt) {
  uint8_t* out = b.output.data();
  const uint8_t* expected = b.expected.data();
  const int64_t bytes = b.g.output_bytes();
  for (int64_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(~expected[i]);
  c.run();
  if (corrupt && bytes > 0) out[bytes / 2] ^= 0x5A;
  if (auto m = first_mismatch(b.g, expected, out)) {
    return "differs from the golden loops at " + describe(b.g, *m, expected, out);
  }
  return std::nullopt;
}

std::function<void()> create_destroy(const Spec& spec, const BackendVariant& variant, std::string* error) {
  // Converted here, once: what is timed is the library's create and destroy, as a caller
  // holding a pj_spec_ex pays them, not the harness's conversion (10% of a cache hit).
  const CSpec c(spec);
  const pj_backend backend = variant.backend;
  return [c, backend, error] {
    pj_kernel* k = nullptr;
    if (c.create(backend, &k) != PJ_OK && error->empty()) *error = pj_last_error();
    pj_kernel_destroy(k);
  };
}

CacheOff::CacheOff() {
  pj_cache_get_stats(&limits_);
  pj_cache_set_limits(0, 0);
}

CacheOff::~CacheOff() { pj_cache_set_limits(limits_.max_entries, limits_.max_code_bytes); }

}  // namespace pj::bench
