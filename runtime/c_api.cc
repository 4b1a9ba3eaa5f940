// The C API: argument checks, conversion to the internal types, errors into pj_last_error().
// No C++ exception crosses this boundary.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "codegen/plan/cost_model.h"
#include "codegen/plan/dtype.h"
#include "codegen/plan/geometry.h"
#include "codegen/plan/plan.h"
#include "jit/cpu.h"
#include "patchjit/patchjit.h"
#include "runtime/aot_registry.h"
#include "runtime/availability.h"
#include "runtime/c_spec.h"
#include "runtime/executor.h"
#include "runtime/kernel_cache.h"
#include "runtime/limits.h"
#include "runtime/runner.h"
#include "runtime/selection.h"

struct pj_kernel {
  pj::Geometry geometry;
  pj::Selection selection;  // its executor is null when the output is empty
  // For outputs the cost model streams (codegen/plan/cost_model.h): the same kernel with non-temporal
  // stores, used when the output is 64-byte aligned.
  std::shared_ptr<const pj::Executor> streaming;
  pj::Backend backend = pj::Backend::kInterp;

  const pj::Executor& executor_for(const void* output) const {
    const bool aligned = reinterpret_cast<uintptr_t>(output) % 64 == 0;
    return streaming && aligned ? *streaming : *selection.executor;
  }
};

namespace pj {
namespace {

static_assert(static_cast<int>(Code::kOk) == PJ_OK && static_cast<int>(Code::kInternal) == PJ_INTERNAL);
static_assert(static_cast<int>(DType::kUInt64) == PJ_UINT64 && kNumDTypes == PJ_UINT64 + 1);
static_assert(static_cast<int>(Padding::kValid) == PJ_PADDING_VALID);
static_assert(static_cast<int>(Backend::kLlvm) == PJ_BACKEND_LLVM && kNumBackends == PJ_BACKEND_LLVM + 1);
static_assert(static_cast<int>(Isa::kAvx512) == PJ_ISA_AVX512 && static_cast<int>(Isa::kNone) == PJ_ISA_NONE);

thread_local std::string last_error;

bool valid_backend(int b) { return b >= 0 && b < kNumBackends; }
bool valid_isa(int i) { return i == PJ_ISA_NONE || i == PJ_ISA_AVX2 || i == PJ_ISA_AVX512; }

pj_status report(const Status& status) {
  if (status.ok()) {
    last_error.clear();  // keeps its buffer: nothing to allocate or copy on success
  } else {
    last_error = status.message();
  }
  return static_cast<pj_status>(status.code());
}

// Runs `body` (which returns a Status), turning exceptions into statuses.
template <typename Body>
pj_status guarded(Body&& body) {
  try {
    return report(body());
  } catch (const std::bad_alloc&) {
    return report(ResourceExhausted("out of memory"));
  } catch (const std::exception& e) {
    return report(Internal("unexpected error: ", e.what()));
  } catch (...) {
    return report(Internal("unexpected error"));
  }
}

// The selection for `requested`, each candidate's executor from the cache (the reference and
// ahead-of-time ones are built fresh: they cost nothing to build).
Expected<Selection> select_for(const Geometry& g, Backend requested, Isa isa) {
  const size_t limit = kernel_code_limit();
  return select(requested, isa, [&](const Candidate& c) -> Expected<std::shared_ptr<const Executor>> {
    if (c.aot || c.backend == Backend::kReference) return build(c, g);
    PJ_RETURN_IF_ERROR(backend_status(c.backend, c.isa));  // unavailable: no cache entry to make
    return global_kernel_cache().get(make_key(g, c, limit), [&] { return build(c, g); });
  });
}

// Whether the chosen backend could stream this geometry (a JIT, not ahead of time, every tap
// whole cache lines): describe then says which stores the cost model chose.
bool may_stream(const Geometry& g, const Candidate& chosen) {
  return (chosen.backend == Backend::kXbyak || chosen.backend == Backend::kLlvm) && !chosen.aot && streamable(g);
}

Status check_buffers(const pj_kernel* kernel, const void* input, const void* output) {
  if (kernel == nullptr) return InvalidArgument("kernel is NULL");
  const Geometry& g = kernel->geometry;
  if (input == nullptr && g.input_bytes() > 0) {
    return InvalidArgument("input is NULL but the input tensor ", to_string(g.input_shape()), " has ", g.input_bytes(),
                           " bytes");
  }
  if (output == nullptr && g.output_bytes() > 0) {
    return InvalidArgument("output is NULL but the output tensor ", to_string(g.output_shape()), " has ",
                           g.output_bytes(), " bytes");
  }
  auto in = reinterpret_cast<uintptr_t>(input), out = reinterpret_cast<uintptr_t>(output);
  bool disjoint = g.input_bytes() == 0 || g.output_bytes() == 0 || in + static_cast<uint64_t>(g.input_bytes()) <= out ||
                  out + static_cast<uint64_t>(g.output_bytes()) <= in;
  if (!disjoint) {
    return InvalidArgument("input and output overlap: input [", input, ", +", g.input_bytes(), ") and output [", output,
                           ", +", g.output_bytes(), ") must be separate buffers");
  }
  return Status::Ok();
}

// What the extended spec adds, one line each, only where it differs from TensorFlow's op.
std::string format_lines(const Geometry& g) {
  std::string text;
  if (!(g.format == kTfFormat)) {
    text += cat("format: layout ", layout_name(g.format.layout), ", patch order ", order_name(g.format.order),
                ", patches as ", patches_name(g.format.patches), "\n");
  }
  if (!g.zero_pad()) text += cat("pad value: 0x", pad_value_hex(g), " (the element's bytes, most significant first)\n");
  if (!g.dense_image()) {
    const auto s = image_strides(g);
    text += cat("input strides (elements): image ", s[0], g.format.layout == Layout::kNhwc ? ", row " : ", channel ",
                s[1], g.format.layout == Layout::kNhwc ? ", pixel " : ", row ", s[2], "\n");
  }
  if (!g.dense_patches()) {
    const auto s = patch_strides(g);
    text += cat("output strides (elements): leading dimension ", s[0], ", image ", s[1], "\n");
  }
  return text;
}

// TensorFlow's op as pj_spec says it: explicit pads need a pj_spec_ex to carry them.
Status geometry_of(const pj_spec* spec, Geometry* g) {
  if (spec == nullptr) return InvalidArgument("spec is NULL");
  if (raw(spec->padding) == PJ_PADDING_EXPLICIT) {
    return InvalidArgument("padding PJ_PADDING_EXPLICIT needs the pads of a pj_spec_ex (pj_kernel_create_ex)");
  }
  return make_geometry(from_c(*spec), g);
}

Status geometry_of(const pj_spec_ex* spec, Geometry* g) {
  if (spec == nullptr) return InvalidArgument("spec is NULL");
  if (spec->version != PJ_SPEC_EX_VERSION) {
    return InvalidArgument("spec version ", spec->version, " is not one this patchjit knows (PJ_SPEC_EX_VERSION ",
                           PJ_SPEC_EX_VERSION, "): set it with pj_spec_ex_init");
  }
  return make_geometry(from_c(*spec), g);
}

// A fold of the extract `spec` describes (pj_fold_kernel_create); the mode as the int stored.
struct FoldOf {
  const pj_spec_ex* spec;
  int mode;
};

Status geometry_of(const FoldOf* fold, Geometry* g) {
  PJ_RETURN_IF_ERROR(geometry_of(fold->spec, g));  // the spec's own errors first
  Spec s = from_c(*fold->spec);
  s.op = Op::kFold;
  s.mode = static_cast<FoldMode>(fold->mode);  // make_geometry checks it
  return make_geometry(s, g);
}

void write_shape(const Dims& shape, int64_t output_shape[4], int* rank) {
  for (int i = 0; i < 4; ++i) output_shape[i] = i < shape.rank ? shape.d[i] : 0;
  if (rank != nullptr) *rank = shape.rank;
}

template <typename CSpec>
pj_status output_shape_of(const CSpec* spec, int64_t output_shape[4], int* rank) {
  return guarded([&]() -> Status {
    if (output_shape == nullptr) return InvalidArgument("output_shape is NULL");
    Geometry g;
    PJ_RETURN_IF_ERROR(geometry_of(spec, &g));
    write_shape(g.output_shape(), output_shape, rank);
    return Status::Ok();
  });
}

// `backend` as the int the caller stored (raw()): copying an invalid pj_backend is undefined.
template <typename CSpec>
pj_status create_kernel(const CSpec* spec, int backend, pj_kernel** kernel) {
  return guarded([&]() -> Status {
    if (kernel == nullptr) return InvalidArgument("kernel (the pointer to receive it) is NULL");
    *kernel = nullptr;
    if (spec == nullptr) return InvalidArgument("spec is NULL");
    if (!valid_backend(backend)) return InvalidArgument("backend ", backend, " is not a valid pj_backend");
    const auto requested = static_cast<Backend>(backend);
    auto result = std::make_unique<pj_kernel>();
    PJ_RETURN_IF_ERROR(geometry_of(spec, &result->geometry));
    const Geometry& g = result->geometry;
    const Isa isa = jit_isa();  // one snapshot: a concurrent pj_set_max_isa changes the next kernel only
    // A backend asked for by name that cannot run is an error, unless an ahead-of-time kernel
    // serves it (the selection says which): even an empty output reports it.
    if (requested == Backend::kXbyak || (requested == Backend::kLlvm && !aot_kernels_registered())) {
      PJ_RETURN_IF_ERROR(backend_status(requested, isa));
    }
    result->backend = requested == Backend::kAuto ? Backend::kInterp : requested;
    if (!g.empty()) {
      Expected<Selection> selection = select_for(g, requested, isa);
      if (!selection.ok()) return selection.status();
      result->selection = std::move(selection).value();
      result->backend = result->selection.chosen.backend;
      result->streaming = result->selection.executor->streaming();
    } else {
      result->selection.chosen.backend = result->backend;
    }
    *kernel = result.release();
    return Status::Ok();
  });
}

}  // namespace
}  // namespace pj

using namespace pj;

extern "C" {

pj_status pj_output_shape(const pj_spec* spec, int64_t output_shape[4]) {
  return output_shape_of(spec, output_shape, nullptr);
}

pj_status pj_output_shape_ex(const pj_spec_ex* spec, int64_t output_shape[4], int* rank) {
  return output_shape_of(spec, output_shape, rank);
}

void pj_spec_ex_init(pj_spec_ex* spec, const pj_spec* base) {
  if (spec == nullptr) return;
  *spec = to_c_ex(Spec{});
  if (base != nullptr) spec->base = *base;
}

pj_status pj_kernel_create(const pj_spec* spec, pj_backend backend, pj_kernel** kernel) {
  return create_kernel(spec, raw(backend), kernel);
}

pj_status pj_kernel_create_ex(const pj_spec_ex* spec, pj_backend backend, pj_kernel** kernel) {
  return create_kernel(spec, raw(backend), kernel);
}

pj_status pj_fold_kernel_create(const pj_spec_ex* spec, pj_fold_mode mode, pj_backend backend, pj_kernel** kernel) {
  if (spec == nullptr) return create_kernel(static_cast<const FoldOf*>(nullptr), raw(backend), kernel);
  const FoldOf fold{spec, raw(mode)};
  return create_kernel(&fold, raw(backend), kernel);
}

pj_status pj_kernel_run(const pj_kernel* kernel, const void* input, void* output, int num_threads) {
  return guarded([&]() -> Status {
    PJ_RETURN_IF_ERROR(check_buffers(kernel, input, output));
    if (num_threads < 0) {
      return InvalidArgument("num_threads must be >= 0 (0 chooses), but got ", num_threads);
    }
    if (!kernel->selection.executor) return Status::Ok();  // empty output: nothing to do
    run_rows(kernel->executor_for(output), kernel->geometry, static_cast<const uint8_t*>(input),
             static_cast<uint8_t*>(output), num_threads);
    return Status::Ok();
  });
}

pj_status pj_kernel_run_rows(const pj_kernel* kernel, const void* input, void* output, int64_t row_begin,
                             int64_t row_end) {
  return guarded([&]() -> Status {
    PJ_RETURN_IF_ERROR(check_buffers(kernel, input, output));
    const int64_t rows = kernel->geometry.total_rows();
    if (row_begin < 0 || row_begin > row_end || row_end > rows) {
      return InvalidArgument("rows [", row_begin, ", ", row_end, ") must lie within [0, ",
                             kernel->geometry.extract() ? "batch * out_rows" : "batch * image rows", ") = [0, ", rows,
                             ")");
    }
    if (kernel->selection.executor && row_begin < row_end) {
      kernel->executor_for(output).run(static_cast<const uint8_t*>(input), static_cast<uint8_t*>(output), row_begin,
                                       row_end);
    }
    return Status::Ok();
  });
}

pj_status pj_kernel_run_range(const pj_kernel* kernel, const void* input, void* output, int64_t begin, int64_t end) {
  return guarded([&]() -> Status {
    PJ_RETURN_IF_ERROR(check_buffers(kernel, input, output));
    const Geometry& g = kernel->geometry;
    const int64_t positions = g.total_positions();
    if (begin < 0 || begin > end || end > positions) {
      return InvalidArgument("output positions [", begin, ", ", end, ") must lie within [0, ",
                             g.extract() ? "batch * out_rows * out_cols" : "batch * image rows * image cols",
                             ") = [0, ", positions, ")");
    }
    if (kernel->selection.executor) {
      run_positions(kernel->executor_for(output), kernel->geometry, static_cast<const uint8_t*>(input),
                    static_cast<uint8_t*>(output), begin, end);
    }
    return Status::Ok();
  });
}

int64_t pj_kernel_positions(const pj_kernel* kernel) { return kernel ? kernel->geometry.total_positions() : 0; }

int64_t pj_kernel_rows(const pj_kernel* kernel) { return kernel ? kernel->geometry.total_rows() : 0; }

void pj_kernel_destroy(pj_kernel* kernel) { delete kernel; }

const char* pj_last_error(void) { return last_error.c_str(); }

pj_backend pj_kernel_backend(const pj_kernel* kernel) {
  return kernel ? static_cast<pj_backend>(kernel->backend) : PJ_BACKEND_AUTO;
}

void pj_kernel_output_shape(const pj_kernel* kernel, int64_t output_shape[4]) {
  if (output_shape == nullptr) return;
  write_shape(kernel ? kernel->geometry.output_shape() : Dims{}, output_shape, nullptr);
}

int pj_kernel_output_rank(const pj_kernel* kernel) { return kernel ? kernel->geometry.output_shape().rank : 0; }

size_t pj_kernel_input_bytes(const pj_kernel* kernel) {
  return kernel ? static_cast<size_t>(kernel->geometry.input_bytes()) : 0;
}

size_t pj_kernel_output_bytes(const pj_kernel* kernel) {
  return kernel ? static_cast<size_t>(kernel->geometry.output_bytes()) : 0;
}

size_t pj_kernel_describe(const pj_kernel* kernel, char* buffer, size_t size) {
  std::string text;
  try {
    if (kernel == nullptr) {
      text = "(null kernel)\n";
    } else {
      const Geometry& g = kernel->geometry;
      const Selection& sel = kernel->selection;
      text = cat("backend ", backend_name(kernel->backend),
                 sel.chosen.backend == Backend::kXbyak ? cat(" (", isa_name(sel.chosen.isa), ")") : std::string(),
                 sel.chosen.aot ? " (ahead of time)" : "", sel.chosen.smallest_code ? " (with loops)" : "", "\n");
      for (const std::string& passed : sel.reasons()) text += cat("  passed over ", passed, "\n");
      text += cat("output shape ", to_string(g.output_shape()), "\n", "padding ", padding_name(g.padding), ": rows ",
                  g.rows.pad_before, " before, ", g.rows.pad_after, " after; cols ", g.cols.pad_before, " before, ",
                  g.cols.pad_after, " after\n");
      if (!g.extract())
        text += cat("fold (", mode_name(g.mode), "): patches ", to_string(g.patches_shape), " -> image\n");
      text += format_lines(g);
      text += sel.executor ? sel.executor->describe() : "empty output: nothing to run\n";
      if (kernel->streaming) {
        text += cat("stores: non-temporal on 64-byte aligned outputs (", describe(host_machine()), ")\n");
      } else if (may_stream(g, sel.chosen)) {
        text += cat("stores: cached (", describe(host_machine()), ")\n");
      }
    }
  } catch (...) {
    text = "(out of memory)\n";
  }
  if (buffer != nullptr && size > 0) {
    size_t n = text.size() < size - 1 ? text.size() : size - 1;
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
  }
  return text.size();
}

size_t pj_kernel_code(const pj_kernel* kernel, const void** code) {
  std::span<const uint8_t> bytes;
  if (kernel != nullptr && kernel->selection.executor) bytes = kernel->selection.executor->code();
  if (code != nullptr) *code = bytes.empty() ? nullptr : bytes.data();
  return bytes.size();
}

pj_isa pj_host_isa(void) { return static_cast<pj_isa>(detected_isa()); }

pj_isa pj_max_isa(void) { return static_cast<pj_isa>(isa_cap()); }

pj_status pj_set_max_isa(pj_isa cap) {
  return guarded([&]() -> Status {
    if (!valid_isa(raw(cap))) return InvalidArgument("cap ", raw(cap), " is not a valid pj_isa");
    set_isa_cap(static_cast<Isa>(raw(cap)));
    return Status::Ok();
  });
}

const char* pj_isa_name(pj_isa isa) {
  if (!valid_isa(raw(isa))) return nullptr;
  return isa_name(static_cast<Isa>(raw(isa))).data();
}

pj_status pj_backend_available(pj_backend backend) {
  return guarded([&]() -> Status {
    if (!valid_backend(raw(backend))) {
      return InvalidArgument("backend ", raw(backend), " is not a valid pj_backend");
    }
    return backend_status(static_cast<Backend>(raw(backend)));
  });
}

void pj_set_kernel_code_limit(size_t max_bytes) { set_kernel_code_limit(max_bytes); }

size_t pj_kernel_code_limit(void) { return kernel_code_limit(); }

void pj_cache_get_stats(pj_cache_stats* stats) {
  if (stats == nullptr) return;
  CacheStats s = global_kernel_cache().stats();
  *stats = {s.hits,    s.misses,     s.evictions,   s.failures,       s.uncached,
            s.entries, s.code_bytes, s.max_entries, s.max_code_bytes, s.compile_seconds};
}

pj_status pj_cache_set_limits(size_t max_entries, size_t max_code_bytes) {
  return guarded([&]() -> Status {
    global_kernel_cache().set_limits(max_entries, max_code_bytes);
    return Status::Ok();
  });
}

void pj_cache_clear(void) { global_kernel_cache().clear(); }

pj_status pj_register_aot_kernels(const struct pj_aot_kernel* kernels, size_t count) {
  return guarded([&] { return register_aot_kernels(kernels, count); });
}

const char* pj_status_name(pj_status status) {
  switch (raw(status)) {
    case PJ_OK:
      return "PJ_OK";
    case PJ_INVALID_ARGUMENT:
      return "PJ_INVALID_ARGUMENT";
    case PJ_OUT_OF_RANGE:
      return "PJ_OUT_OF_RANGE";
    case PJ_UNIMPLEMENTED:
      return "PJ_UNIMPLEMENTED";
    case PJ_RESOURCE_EXHAUSTED:
      return "PJ_RESOURCE_EXHAUSTED";
    case PJ_INTERNAL:
      return "PJ_INTERNAL";
  }
  return nullptr;
}

const char* pj_dtype_name(pj_dtype dtype) {
  if (!is_valid_dtype(raw(dtype))) return nullptr;
  return dtype_name(static_cast<DType>(raw(dtype))).data();  // the names are string literals
}

size_t pj_dtype_size(pj_dtype dtype) {
  if (!is_valid_dtype(raw(dtype))) return 0;
  return static_cast<size_t>(element_size(static_cast<DType>(raw(dtype))));
}

pj_status pj_dtype_from_name(const char* name, pj_dtype* dtype) {
  return guarded([&]() -> Status {
    if (name == nullptr || dtype == nullptr) return InvalidArgument("name and dtype must not be NULL");
    auto parsed = dtype_from_name(name);
    if (!parsed) {
      return InvalidArgument("unknown dtype '", name,
                             "': expected one of float32, float64, int32, "
                             "int64, uint8, int16, int8, uint16, half (or float16), bfloat16, "
                             "complex64, complex128, bool, uint32, uint64");
    }
    *dtype = static_cast<pj_dtype>(*parsed);
    return Status::Ok();
  });
}

const char* pj_backend_name(pj_backend backend) {
  if (!valid_backend(raw(backend))) return nullptr;
  return backend_name(static_cast<Backend>(raw(backend))).data();
}

pj_status pj_backend_from_name(const char* name, pj_backend* backend) {
  return guarded([&]() -> Status {
    if (name == nullptr || backend == nullptr) return InvalidArgument("name and backend must not be NULL");
    for (int i = 0; i < kNumBackends; ++i) {
      if (backend_name(static_cast<Backend>(i)) == name) {
        *backend = static_cast<pj_backend>(i);
        return Status::Ok();
      }
    }
    return InvalidArgument("unknown backend '", name, "': expected auto, reference, interp, xbyak or llvm");
  });
}

}  // extern "C"
