#!/usr/bin/python3
"""Turns pj_suite_bench JSON into the table of the suite: per shape, each backend's time and
output GB/s, and its ratio to the floor (the fastest store floor, or the copy floor when slower)
and to each peer; then the geometric means the
targets are stated in. Medians are used when the run has repetitions.

    bench/summarize.py suite.json [--markdown]
"""
import json
import math
import sys
from collections import defaultdict

FLOORS = ("floor_memset", "floor_vector", "floor_memcpy16k", "floor_stream")  # alternatives: the fastest counts
INPUT_FLOORS = ("floor_copy", "floor_read")  # must happen as well: the floor is the slowest
DRAM_SHAPE = "f32_4x112x112x64_k3s1_same"  # judged against the floor alone
TINY_SHAPE = "f32_1x10x10x3_k3s1_same"      # judged by its own target


def load(path):
    """{shape: {implementation: (seconds, bytes_per_second)}}, medians when repeated."""
    with open(path) as f:
        data = json.load(f)
    runs = defaultdict(list)
    medians = {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        value = (b["real_time"] * unit, b.get("bytes_per_second", 0.0))
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = value
        else:
            runs[name].append(value)
    table = defaultdict(dict)
    for name in set(runs) | set(medians):
        impl, shape = name.split("/", 1)
        if name in medians:
            table[shape][impl] = medians[name]
        else:
            values = sorted(runs[name])
            table[shape][impl] = values[len(values) // 2]
    return data.get("context", {}), table


def creation(r, prefix, best, scale):
    """A creation row of the best backend: named by it ("compile_xbyak_avx512"), or as runs
    before the names carried the ISA did ("compile_xbyak", "create_hit")."""
    for name in (prefix + best, prefix.rstrip("_") if prefix == "create_hit_" else prefix + "xbyak"):
        if name in r:
            return r[name][0] * scale
    return None


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    path = sys.argv[1]
    markdown = "--markdown" in sys.argv
    context, table = load(path)
    best = "xbyak_avx512" if any("xbyak_avx512" in r for r in table.values()) else "xbyak_avx2"
    cols = ["shape", "floor us", best + " us", "GB/s", "x floor", "x eigen", "x im2col", "x halide", "x naive",
            "avx2/avx512", "t2 speedup", "llvm/xbyak", "compile us", "hit ns"]
    rows, ratios = [], defaultdict(list)
    for shape, r in table.items():
        if best not in r:
            continue
        t, bps = r[best]
        floor = max([min((r[f][0] for f in FLOORS if f in r), default=float("nan"))] +
                    [r[f][0] for f in INPUT_FLOORS if f in r])

        def ratio(impl, flip=False):
            if impl not in r:
                return None
            return r[impl][0] / t if not flip else t / r[impl][0]

        x_floor = t / floor
        row = {"shape": shape, "floor us": floor * 1e6, best + " us": t * 1e6, "GB/s": bps / 1e9,
               "x floor": x_floor, "x eigen": ratio("eigen"), "x im2col": ratio("im2col"),
               "x halide": ratio("halide"),
               "x naive": ratio("naive"),
               "avx2/avx512": (r["xbyak_avx2"][0] / t) if "xbyak_avx2" in r and best == "xbyak_avx512" else None,
               "t2 speedup": ratio("xbyak_avx512_t2", flip=True) and t / r["xbyak_avx512_t2"][0] if "xbyak_avx512_t2" in r else None,
               "llvm/xbyak": (r["llvm"][0] / t) if "llvm" in r else None,
               "compile us": creation(r, "compile_", best, 1e6),
               "hit ns": creation(r, "create_hit_", best, 1e9)}
        rows.append(row)
        if shape != TINY_SHAPE:
            ratios["floor"].append(x_floor)
            ratios["im2col"].append(row["x im2col"])
            ratios["halide"].append(row["x halide"])
            if shape != DRAM_SHAPE:
                ratios["eigen"].append(row["x eigen"])
        for key in ("avx2/avx512", "llvm/xbyak", "compile us", "hit ns"):
            ratios[key].append(row[key])

    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, str):
            return v
        return f"{v:.0f}" if v >= 100 else f"{v:.2f}" if v < 10 else f"{v:.1f}"

    sep = " | " if markdown else "  "
    widths = [max(len(c), max((len(fmt(row[c])) for row in rows), default=0)) for c in cols]
    line = lambda cells: (("| " if markdown else "") + sep.join(c.rjust(w) for c, w in zip(cells, widths))
                          + (" |" if markdown else ""))
    print(line(cols))
    if markdown:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line([fmt(row[c]) for c in cols]))
    med = lambda xs: sorted(x for x in xs if x is not None)[len([x for x in xs if x is not None]) // 2] if any(x is not None for x in xs) else float("nan")
    print()
    print(f"machine: {context.get('host_name', '?')}, {context.get('num_cpus', '?')} cpus, "
          f"{context.get('mhz_per_cpu', '?')} MHz; host ISA {context.get('host_isa', '?')}; peers: {context.get('peers', '?')}")
    def line(label, key, worst, fmt=".2f", suffix=""):
        values = [x for x in ratios[key] if x]
        if values:
            print(f"{label}: {geomean(values):{fmt}}{suffix}; {'worst' if worst is max else 'lowest'} "
                  f"{worst(values):{fmt}}{suffix}")

    line("geomean time/floor (all but the tiny shape)", "floor", max)
    line("geomean speed-up over Eigen as TensorFlow calls it (in-cache shapes)", "eigen", min, ".1f", "x")
    line("geomean speed-up over the careful im2col", "im2col", min, ".2f", "x")
    line("geomean speed-up over the hand-scheduled Halide 14 im2col", "halide", min, ".2f", "x")
    line("AVX2 / AVX-512 time: geomean", "avx2/avx512", max)
    line("llvm / xbyak time: geomean", "llvm/xbyak", max)
    print(f"cold compile (plan + emit + protect): median {med(ratios['compile us']):.0f} us; "
          f"cache-hit create+destroy: median {med(ratios['hit ns']):.0f} ns")


if __name__ == "__main__":
    main()
