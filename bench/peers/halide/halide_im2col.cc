// The Halide 14 peer (halide_im2col.h): one algorithm, two schedules chosen by the shape's class,
// written once and kept here. Patches are pure copies, so elements move as unsigned integers of
// their size (complex128 as two 64-bit halves) and the zero pad is all-zero bits, as TensorFlow's.
#include <Halide.h>
#include <cpuid.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "bench/peers/halide/halide_im2col.h"
#include "jit/plugin_file.h"

namespace pj {
namespace {

using Halide::Expr;
using Halide::Func;
using Halide::TailStrategy;
using Halide::Var;

// The largest power of two at most `limit` (at least 1).
int pow2_at_most(int64_t limit) {
  int w = 1;
  while (w * 2 <= limit) w *= 2;
  return w;
}

halide_dimension_t dim(int64_t extent, int64_t stride) {
  return halide_dimension_t(0, static_cast<int32_t>(extent), static_cast<int32_t>(stride));
}

// Halide 14 takes any CPU with AVX-VNNI and AVX512-BF16 for a Sapphire Rapids, whose LLVM CPU
// has AVX512-FP16: on AMD's Zen 5, which has the first two and not the last, its code died of
// SIGILL (vmovw). The feature is kept only where CPUID says FP16 (leaf 7, EDX bit 23).
Halide::Target jit_target() {
  Halide::Target target = Halide::get_jit_target_from_environment();
  unsigned a = 0, b = 0, c = 0, d = 0;
  const bool fp16 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 23 & 1) != 0;
  if (!fp16) target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
  return target;
}

class Im2col final : public HalideIm2col {
 public:
  Im2col(const Geometry& g, const void* input, void* output) {
    const int64_t unit = std::min<int64_t>(g.elem_size, 8);
    const Halide::Type type = Halide::UInt(static_cast<int>(8 * unit));
    const int64_t c = g.depth * g.elem_size / unit;  // elements of `type` per pixel
    const Axis& r = g.rows;
    const Axis& q = g.cols;
    const int64_t k = r.ksize * q.ksize * c;
    const Halide::Target target = jit_target();
    const int lanes = target.natural_vector_size(type);
    Var j("j"), kx("kx"), ky("ky"), x("x"), y("y"), n("n");
    const Expr zero = Halide::cast(type, 0);
    const Expr row = y * static_cast<int>(r.stride) + ky * static_cast<int>(r.rate) - static_cast<int>(r.pad_before);
    Func out("patches");
    std::vector<halide_dimension_t> out_dims;
    if (q.rate == 1) {
      // "rows": at column rate 1 a kernel row's taps of one patch are one contiguous run of the
      // image row (kx * C + c = j), so the image row is one flat axis and each run one vector loop.
      const int64_t run = q.ksize * c;
      const halide_dimension_t in_dims[] = {dim(q.in * c, 1), dim(r.in, q.in * c), dim(g.batch, r.in * q.in * c)};
      input_ = Halide::Buffer<>(type, const_cast<void*>(input), 3, in_dims);
      Func src = Halide::BoundaryConditions::constant_exterior(
          input_, zero, {{0, static_cast<int>(q.in * c)}, {0, static_cast<int>(r.in)}, {Expr(), Expr()}});
      out(j, ky, x, y, n) = src(j + (x * static_cast<int>(q.stride) - static_cast<int>(q.pad_before)) * static_cast<int>(c), row, n);
      out_dims = {dim(run, 1), dim(r.ksize, run), dim(q.out, k), dim(r.out, q.out * k), dim(g.batch, r.out * q.out * k)};
      schedule_ = "rows: " + vectorize(out, j, run, lanes);
    } else {
      // "taps": dilated columns gather one pixel per tap: vectorize the pixel, or across the taps
      // (strided loads) when the pixel is a single element.
      const halide_dimension_t in_dims[] = {dim(c, 1), dim(q.in, c), dim(r.in, q.in * c), dim(g.batch, r.in * q.in * c)};
      input_ = Halide::Buffer<>(type, const_cast<void*>(input), 4, in_dims);
      Func src = Halide::BoundaryConditions::constant_exterior(
          input_, zero, {{Expr(), Expr()}, {0, static_cast<int>(q.in)}, {0, static_cast<int>(r.in)}, {Expr(), Expr()}});
      const Expr col = x * static_cast<int>(q.stride) + kx * static_cast<int>(q.rate) - static_cast<int>(q.pad_before);
      out(j, kx, ky, x, y, n) = src(j, col, row, n);
      out_dims = {dim(c, 1),          dim(q.ksize, c),    dim(r.ksize, q.ksize * c),
                  dim(q.out, k),      dim(r.out, q.out * k), dim(g.batch, r.out * q.out * k)};
      out.bound(j, 0, static_cast<int>(c)).bound(kx, 0, static_cast<int>(q.ksize));
      if (c >= 2) {
        schedule_ = "taps: " + vectorize(out, j, c, lanes);
        if (q.ksize <= 8) out.unroll(kx), schedule_ += " x unroll kx";
      } else {
        schedule_ = "taps: " + vectorize(out, kx, q.ksize, lanes) + " (across taps)";
      }
    }
    out.bound(ky, 0, static_cast<int>(r.ksize));
    if (r.ksize <= 8) out.unroll(ky), schedule_ += " x unroll ky";
    // The output's bounds and strides are the shape's, known when compiling, as patchjit's are.
    for (size_t d = 0; d < out_dims.size(); ++d) {
      out.output_buffer().dim(static_cast<int>(d)).set_bounds(0, out_dims[d].extent).set_stride(out_dims[d].stride);
    }
    output_ = Halide::Buffer<>(type, output, static_cast<int>(out_dims.size()), out_dims.data());
    pipeline_ = Halide::Pipeline(out);
    pipeline_.compile_jit(target);
  }

  void run() override { pipeline_.realize(output_); }
  std::string schedule() const override { return schedule_; }

 private:
  // Vectorizes `v` (extent `extent`) by the widest power of two that fits, the last vector
  // shifted inwards over the previous one; the vectors of a short loop are unrolled, those of a
  // long one four at a time.
  static std::string vectorize(Func& f, Var v, int64_t extent, int lanes) {
    const int w = pow2_at_most(std::min<int64_t>(extent, lanes));
    if (w < 2) return "scalar";
    f.bound(v, 0, static_cast<int>(extent));
    Var outer(v.name() + "o"), inner(v.name() + "i");
    f.split(v, outer, inner, w, TailStrategy::ShiftInwards).vectorize(inner);
    const int64_t vectors = (extent + w - 1) / w;
    if (vectors > 1 && vectors <= 8) {
      f.unroll(outer);
      return "vectorize " + std::to_string(w) + " x unroll " + std::to_string(vectors);
    }
    if (vectors > 8) {  // long runs: four vectors per iteration
      f.unroll(outer, 4, TailStrategy::GuardWithIf);
      return "vectorize " + std::to_string(w) + " x unroll 4 of " + std::to_string(vectors);
    }
    return "vectorize " + std::to_string(w);
  }

  Halide::Buffer<> input_, output_;
  Halide::Pipeline pipeline_;
  std::string schedule_;
};

}  // namespace
}  // namespace pj

namespace {

pj::HalideIm2col* make(const pj::Geometry& g, const void* input, void* output, std::string* error) {
  try {
    return new pj::Im2col(g, input, output);
  } catch (const Halide::Error& e) {
    *error = std::string("Halide: ") + e.what();
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return nullptr;
}

const pj::HalidePeerPlugin kPlugin{pj::kPluginBuildId, make};

}  // namespace

extern "C" __attribute__((visibility("default"))) const void* pj_halide_peer_plugin() { return &kPlugin; }
