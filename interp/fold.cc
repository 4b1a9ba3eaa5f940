#include "interp/fold.h"

#include <algorithm>
#include <cstring>

#include "codegen/plan/element_add.h"
#include "interp/vector_adds.h"

namespace pj {
namespace {

// Output columns of `pass` whose pixel lies in [col_begin, col_end).
void clip(const Axis& cols, const ColumnPass& pass, int64_t col_begin, int64_t col_end, int64_t* begin, int64_t* end) {
  const int64_t offset = pass.j * cols.rate - cols.pad_before;  // pixel = ow*stride + offset, inside the image
  *begin = pass.ow_begin;
  *end = pass.ow_end;
  if (col_begin > 0) {
    const int64_t need = col_begin - offset;  // ow*stride >= need
    *begin = std::max(*begin, need <= 0 ? int64_t{0} : (need + cols.stride - 1) / cols.stride);
  }
  if (col_end < cols.in) {
    const int64_t limit = col_end - offset;  // ow*stride < limit
    *end = std::min(*end, limit <= 0 ? int64_t{0} : (limit + cols.stride - 1) / cols.stride);
  }
}

// +0 in every element of `pixels` pixels of one image row (all-zero bits are +0 in every dtype),
// leaving the gaps of a strided image as they are.
void zero_pixels(const Geometry& g, uint8_t* first, int64_t pixels) {
  const ImageSteps& is = g.image_steps;
  const int64_t e = g.elem_size, C = g.depth;
  if (is.channel == e && is.pixel == C * e) {
    std::memset(first, 0, static_cast<size_t>(pixels * C * e));
  } else if (is.channel == e) {
    for (int64_t w = 0; w < pixels; ++w) std::memset(first + w * is.pixel, 0, static_cast<size_t>(C * e));
  } else if (is.pixel == e) {
    for (int64_t c = 0; c < C; ++c) std::memset(first + c * is.channel, 0, static_cast<size_t>(pixels * e));
  } else {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t w = 0; w < pixels; ++w)
        std::memset(first + c * is.channel + w * is.pixel, 0, static_cast<size_t>(e));
    }
  }
}

// Up to this many runs are summed in one call; more continue from the partial sums.
constexpr int kBatch = 64;
// Elements summed at once into a buffer before a strided store (4 KiB on the stack).
constexpr int64_t kBuffer = 4096;

// A column group's taps in one image row are listed at once up to this many (2 KiB on the
// stack); groups of more go pixel by pixel.
constexpr int64_t kOffsets = 256;

template <typename E>
void fold_rows(const FoldPlan& p, const uint8_t* in, uint8_t* out, int64_t row_begin, int64_t row_end,
               int64_t col_begin, int64_t col_end) {
  using S = typename E::Storage;
  const Geometry& g = p.geometry;
  const ImageSteps& is = g.image_steps;
  const PatchSteps& ps = g.patch_steps;
  auto patches_of = [&](int64_t b) { return in + b * ps.image; };  // (run_fold: there are patches)
  const int64_t e = g.elem_size, C = g.depth, kw = g.cols.ksize;
  const bool chw = g.format.order == PatchOrder::kChw;
  // Runs shorter than a 32-byte vector go straight to the element loop.
  const SumRuns vector_sum = sum_runs(g.dtype, p.isa), element_sum = sum_runs(g.dtype, Isa::kNone);
  auto sum_for = [&](int64_t n) { return n * e >= 32 ? vector_sum : element_sum; };
  const SumRuns sum = sum_for(C);  // every run of a pixel has C elements
  const SumPixels pixels = sum_pixels(g.dtype, p.isa);
  const StoreStrided strided = store_strided(p.isa);
  // Channels contiguous in the image and the patches (the tf format): each pixel's C channels
  // summed once over all its taps, in registers. Otherwise every row is zeroed and each pass's
  // runs added into it.
  const bool by_pixel = p.sums_pixels();
  // NCHW with patches as columns: a channel's pixels of a column group read contiguous runs.
  const bool groups_by_channel = !p.channels_inner && ps.position == e;
  auto add = [&](uint8_t* dst, int64_t dst_step, const uint8_t* src, int64_t src_step, int64_t n) {
    if (dst_step == e && src_step == e) {
      sum_for(n)(dst, &src, 1, n, true);
    } else {
      add_elements<E>(dst, dst_step, src, src_step, n);
    }
  };
  // Where tap (row tap r, column tap col) of channel c lies in one image's patches.
  auto run_of = [&](const uint8_t* patches, FoldTap r, FoldTap col, int64_t c) {
    const int64_t k0 = chw ? r.k * kw + col.k : (r.k * kw + col.k) * C;  // channel 0's element
    return patches + (r.out * g.cols.out + col.out) * ps.position + k0 * ps.element + c * p.patch_channel_step;
  };
  // Pixel w of one image row alone: its runs, row tap outer and column tap inner (ascending
  // (oh, ow)), kBatch at a time.
  auto sum_pixel = [&](uint8_t* row, const uint8_t* patches, const FoldTap* row_taps, int64_t row_count, int64_t w) {
    const FoldTap* col = p.column_taps_of(w);
    const int64_t col_n = p.column_count(w);
    const uint8_t* runs[kBatch];
    int n = 0;
    bool started = false;
    for (int64_t r = 0; r < row_count; ++r) {
      for (int64_t t = 0; t < col_n; ++t) {
        runs[n++] = run_of(patches, row_taps[r], col[t], 0);
        if (n == kBatch) sum(row + w * is.pixel, runs, n, C, started), started = true, n = 0;
      }
    }
    if (n > 0 || !started) sum(row + w * is.pixel, runs, n, C, started);
  };
  // The plan's channel blocks (NCHW summed at once; else all C): each block over all the rows.
  const int64_t channel_block = by_pixel ? C : p.channel_block;
  // NCHW summed at once: the border columns of the inner rows go down the rows after them.
  const bool down = !by_pixel && p.inner_begin < p.inner_end && p.inner_row_begin < p.inner_row_end &&
                    g.rows.ksize * g.cols.ksize <= kBatch;
  const int64_t left_end = std::clamp(p.inner_begin, col_begin, col_end);
  const int64_t right_begin = std::clamp(p.inner_end, left_end, col_end);
  // With no border columns (kw = 1) and rows as far apart in the patches as in the image, the
  // inner rows of a channel are one run (a 1x1 fold is a copy).
  const bool whole_rows = down && p.inner_begin == 0 && p.inner_end == g.cols.in && col_begin == 0 &&
                          col_end == g.cols.in && g.cols.out == g.cols.in && is.row == g.cols.in * is.pixel;
  for (int64_t c_begin = 0; c_begin < C; c_begin += channel_block) {
    const int64_t c_end = std::min(C, c_begin + channel_block);
    for (int64_t t = row_begin; t < row_end; ++t) {
      const int64_t b = t / g.rows.in, h = t % g.rows.in;
      uint8_t* row = out + b * is.image + h * is.row;
      const uint8_t* patches = patches_of(b);
      const FoldTap* row_taps = p.row_taps_of(h);
      const int64_t row_count = p.row_count(h);
      if (by_pixel) {
        // Each column group's pixels in the tile, its runs listed once as offsets from its first
        // pixel's: row tap outer and column tap inner, which is ascending (oh, ow).
        const int64_t s = g.cols.stride;
        for (const ColumnGroup& group : p.column_groups) {
          if (group.first >= col_end) break;
          const int64_t m0 = group.first >= col_begin ? 0 : (col_begin - group.first + s - 1) / s;
          const int64_t m1 = std::min(group.count, (col_end - group.first + s - 1) / s);
          if (m0 >= m1) continue;
          const FoldTap* col = p.column_taps_of(group.first);
          const int64_t col_n = p.column_count(group.first);
          int64_t offsets[kOffsets];
          if (row_count * col_n > kOffsets) {  // more taps than listed at once: pixel by pixel
            for (int64_t m = m0; m < m1; ++m) sum_pixel(row, patches, row_taps, row_count, group.first + m * s);
            continue;
          }
          int64_t n = 0;
          for (int64_t r = 0; r < row_count; ++r) {
            for (int64_t t = 0; t < col_n; ++t) {
              offsets[n++] = run_of(patches, row_taps[r], FoldTap{col[t].out + m0, col[t].k}, 0) - patches;
            }
          }
          if (p.prefetch_bytes == 0) {
            pixels(row + (group.first + m0 * s) * is.pixel, p.image_column_step, patches, offsets, n, ps.position,
                   m1 - m0, C);
            continue;
          }
          // kPrefetched pixels at a time, after asking for every line of the taps' runs of the
          // pixels prefetch_bytes further on (hints: never faults, past the patches included).
          constexpr int64_t kPrefetched = 4;
          const int64_t ahead = p.prefetch_ahead();
          for (int64_t m = m0; m < m1; m += kPrefetched) {
            const uint8_t* first = patches + (m - m0) * ps.position;
            for (int64_t q = 0; q < kPrefetched; ++q) {
              for (int64_t t = 0; t < n; ++t) {
                const uintptr_t run = reinterpret_cast<uintptr_t>(first) + ahead + q * ps.position + offsets[t];
                for (int64_t x = 0; x < C * e; x += 64) __builtin_prefetch(reinterpret_cast<const void*>(run + x));
              }
            }
            pixels(row + (group.first + m * s) * is.pixel, p.image_column_step, first, offsets, n, ps.position,
                   std::min(kPrefetched, m1 - m), C);
          }
        }
      } else {
        // Pixels [a, b) pass by pass: zeroed, then each row tap's column passes added.
        auto add_passes = [&](int64_t a, int64_t b) {
          if (a >= b) return;
          zero_pixels(g, row + a * is.pixel, b - a);
          for (int64_t r = 0; r < row_count; ++r) {
            for (const ColumnPass& pass : p.passes) {
              int64_t begin, end;
              clip(g.cols, pass, a, b, &begin, &end);
              if (begin >= end) continue;
              const uint8_t* src = run_of(patches, row_taps[r], FoldTap{begin, pass.j}, 0);
              uint8_t* dst = row + (begin * g.cols.stride - g.cols.pad_before + pass.j * g.cols.rate) * is.pixel;
              if (p.channels_inner) {
                for (int64_t ow = 0; ow < end - begin; ++ow) {
                  add(dst + ow * p.image_column_step, is.channel, src + ow * ps.position, p.patch_channel_step, C);
                }
              } else {
                for (int64_t c = 0; c < C; ++c) {
                  add(dst + c * is.channel, p.image_column_step, src + c * p.patch_channel_step, ps.position,
                      end - begin);
                }
              }
            }
          }
        };
        // Pixels [a, a + n) whose taps are pixel a's shifted along (all of [inner_begin,
        // inner_end), or one pixel): per channel, all taps at once in registers, row tap outer and
        // column tap inner, which is ascending (oh, ow).
        auto sum_columns = [&](int64_t a, int64_t n) {
          const SumRuns sum_n = sum_for(n);
          const FoldTap* col = p.column_taps_of(a);
          const int64_t col_n = p.column_count(a);
          const uint8_t* runs[kBatch];
          for (int64_t c = c_begin; c < c_end; ++c) {
            uint8_t* dst = row + c * is.channel + a * is.pixel;
            int count = 0;
            bool started = false;
            for (int64_t r = 0; r < row_count; ++r) {
              for (int64_t t = 0; t < col_n; ++t) {
                runs[count++] = run_of(patches, row_taps[r], col[t], c);
                if (count == kBatch) sum_n(dst, runs, count, n, started), started = true, count = 0;
              }
            }
            if (count > 0 || !started) sum_n(dst, runs, count, n, started);
          }
        };
        // Each column group's pixels in [a, b): their output columns are contiguous in every
        // patch plane, so a chunk of them is summed as one run per channel, the channels as the
        // "pixels" of one sum (the taps' offsets listed once), into a buffer, then stored into the
        // image rows at the group's pixel step.
        auto sum_groups = [&](int64_t a, int64_t b) {
          const int64_t s = g.cols.stride, dst_step = s * is.pixel;
          alignas(64) uint8_t buffer[kBuffer];
          int64_t offsets[kOffsets];
          for (const ColumnGroup& group : p.column_groups) {
            if (group.first >= b) break;
            const int64_t m0 = group.first >= a ? 0 : (a - group.first + s - 1) / s;
            const int64_t m1 = std::min(group.count, (b - group.first + s - 1) / s);
            const FoldTap* col = p.column_taps_of(group.first);
            const int64_t col_n = p.column_count(group.first), taps = row_count * col_n;
            if (m0 >= m1) continue;
            if (taps > kOffsets) {  // more taps than listed at once: pixel by pixel
              for (int64_t m = m0; m < m1; ++m) add_passes(group.first + m * s, group.first + m * s + 1);
              continue;
            }
            int64_t n = 0;
            for (int64_t r = 0; r < row_count; ++r) {
              for (int64_t t = 0; t < col_n; ++t)
                offsets[n++] = run_of(patches, row_taps[r], col[t], c_begin) - patches;
            }
            const int64_t chunk = std::min(m1 - m0, kBuffer / e);
            const int64_t channels = std::max<int64_t>(1, kBuffer / (chunk * e));
            for (int64_t m = m0; m < m1; m += chunk) {
              const int64_t k = std::min(chunk, m1 - m);
              for (int64_t c = c_begin; c < c_end; c += channels) {
                const int64_t cn = std::min(channels, c_end - c);
                pixels(buffer, k * e, patches + (c - c_begin) * p.patch_channel_step + m * ps.position, offsets, taps,
                       p.patch_channel_step, cn, k);
                for (int64_t i = 0; i < cn; ++i) {
                  strided(row + (c + i) * is.channel + (group.first + m * s) * is.pixel, dst_step, buffer + i * k * e,
                          k, e);
                }
              }
            }
          }
        };
        if (p.inner_begin < p.inner_end) {
          const bool border_down = down && h >= p.inner_row_begin && h < p.inner_row_end;
          if (whole_rows && border_down) {
            // The first inner row of the tile sums them all: [h, last inner row of the tile].
            if (h == std::max(row_begin - b * g.rows.in, p.inner_row_begin)) {
              sum_columns(0, (std::min(row_end - b * g.rows.in, p.inner_row_end) - h) * g.cols.in);
            }
            continue;
          }
          if (border_down) continue;  // summed below, down the inner rows
          for (int64_t w = col_begin; w < left_end; ++w) sum_columns(w, 1);
          if (left_end < right_begin) sum_columns(left_end, right_begin - left_end);
          for (int64_t w = right_begin; w < col_end; ++w) sum_columns(w, 1);
        } else if (groups_by_channel) {
          sum_groups(col_begin, col_end);
        } else {
          add_passes(col_begin, col_end);
        }
      }
    }
    if (!down) continue;
    // Each image's inner rows in the tile, channel by channel: each border column and the inner
    // columns one sum down those rows (row h + 1's taps are row h's one output row further).
    for (int64_t b = row_begin / g.rows.in; b * g.rows.in < row_end; ++b) {
      const int64_t h0 = std::max(row_begin - b * g.rows.in, p.inner_row_begin);
      const int64_t h1 = std::min(row_end - b * g.rows.in, p.inner_row_end);
      if (h0 >= h1) continue;
      const FoldTap* row_taps = p.row_taps_of(h0);
      const int64_t row_count = p.row_count(h0);
      const uint8_t* patches = patches_of(b);
      // Pixels [w, w + n) of those rows, channel by channel: one sum of rows (row h + 1's runs are
      // row h's one output row further in every patch plane), its taps' offsets listed once.
      int64_t offsets[kBatch];
      auto columns_down = [&](int64_t w, int64_t n) {
        const FoldTap* col = p.column_taps_of(w);
        const int64_t col_n = p.column_count(w);
        int64_t taps = 0;
        for (int64_t r = 0; r < row_count; ++r) {
          for (int64_t t = 0; t < col_n; ++t) offsets[taps++] = run_of(patches, row_taps[r], col[t], c_begin) - patches;
        }
        // (One output row further: within the patches where there are two rows; one needs none.)
        const int64_t src_step = h1 - h0 > 1 ? g.cols.out * ps.position : 0;
        for (int64_t c = c_begin; c < c_end; ++c) {
          pixels(out + b * is.image + h0 * is.row + c * is.channel + w * is.pixel, is.row,
                 patches + (c - c_begin) * p.patch_channel_step, offsets, taps, src_step, h1 - h0, n);
        }
      };
      for (int64_t w = col_begin; w < left_end; ++w) columns_down(w, 1);
      if (left_end < right_begin && !whole_rows) columns_down(left_end, right_begin - left_end);  // (else done)
      for (int64_t w = right_begin; w < col_end; ++w) columns_down(w, 1);
    }
  }
  if constexpr (kDivides<E>) {
    if (g.mode != FoldMode::kMean) return;
    for (int64_t t = row_begin; t < row_end; ++t) {
      const int64_t h = t % g.rows.in, row_count = p.row_count(h);
      uint8_t* row = out + t / g.rows.in * is.image + h * is.row;
      if (row_count == 0) continue;
      for (int64_t w = col_begin; w < col_end; ++w) {
        const int64_t count = row_count * p.column_count(w);
        if (count <= 1) continue;
        for (int64_t c = 0; c < C; ++c) {
          uint8_t* at = row + w * is.pixel + c * is.channel;
          S value;
          std::memcpy(&value, at, sizeof value);
          value = E::divide(value, count);
          std::memcpy(at, &value, sizeof value);
        }
      }
    }
  }
}

}  // namespace

void run_fold(const FoldPlan& plan, const uint8_t* input, uint8_t* output, int64_t row_begin, int64_t row_end,
              int64_t col_begin, int64_t col_end) {
  if (col_begin >= col_end) return;
  const Geometry& g = plan.geometry;
  if (g.patches_bytes == 0) {  // no patches (the input may be NULL, its strides anything): all +0
    for (int64_t t = row_begin; t < row_end; ++t) {
      const int64_t b = t / g.rows.in, h = t % g.rows.in;
      zero_pixels(g, output + b * g.image_steps.image + h * g.image_steps.row + col_begin * g.image_steps.pixel,
                  col_end - col_begin);
    }
    return;
  }
  with_element(plan.geometry.dtype, [&](auto tag) {
    fold_rows<typename decltype(tag)::type>(plan, input, output, row_begin, row_end, col_begin, col_end);
  });
}

}  // namespace pj
