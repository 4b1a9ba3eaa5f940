#!/usr/bin/python3
"""What the Python package costs above the C API, and how it compares with torch's unfold.

For a few of the suite's shapes (DESIGN.md), one thread each, it times:
  C API               pj_kernel_run, from `patchjit bench --json` (Google Benchmark, median)
  Kernel, out=        a cached patchjit.Kernel writing into a preallocated numpy array
  Kernel, out=, aligned   the same with the images and out on 64-byte boundaries, as the C
                      API's buffers are (numpy's own are 16-byte aligned: the kernels' 64-byte
                      stores then split cache lines); what the binding itself costs
  Kernel              the same, allocating its output (the package aligns what it allocates)
  Kernel, torch       torch tensor in, torch tensor out
  extract_image_patches   the functional API: a kernel per call (a kernel-cache hit)
  F.unfold            torch.nn.functional.unfold on the NCHW tensor (torch's own format; the
                      same bytes in another arrangement; torch pads both sides alike, so for
                      SAME with uneven pads it pads the smaller side on both)
  patchjit.unfold     the same call through patchjit, and a cached Kernel of format "torch"
and prints each as time per call, microseconds above the C API and ratio to it. Then, per shape,
the binding against pj_kernel_run called through ctypes in this same process on the same
64-byte-aligned buffers, interleaved in 41 rounds: the median ratio and its quartiles (the
machine's drift between two processes is often larger than the binding's cost).

  /usr/bin/python3 bench/python_overhead.py [--build build] [--min-time 0.3] [--shapes tiny,conv,stem]
  /usr/bin/python3 bench/python_overhead.py --unfold-suite    (patchjit.unfold against F.unfold,
                      the whole suite in torch's format, and their geometric mean)

Run from the source tree with the build's package (PYTHONPATH=build/python is set for you).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The suite (DESIGN.md; bench/peers/suite.cc, kept in step by hand) in torch's format: NCHW
# shape, dtype, kernel, stride, dilation, and the symmetric padding a torch program gives for
# TF's SAME output size (half TF's total pad, rounded up: the stem's 3; VALID 0).
TORCH_SUITE = [
    ((1, 3, 224, 224), "float32", 7, 2, 1, 3), ((1, 64, 56, 56), "float32", 3, 1, 1, 1),
    ((8, 128, 28, 28), "float32", 3, 1, 1, 1), ((4, 64, 112, 112), "float32", 3, 1, 1, 1),
    ((1, 512, 14, 14), "float32", 3, 1, 1, 1), ((1, 1, 64, 64), "float32", 3, 1, 2, 0),
    ((4, 16, 32, 32), "float32", 5, 2, 1, 0), ((1, 8, 128, 128), "float32", 2, 2, 1, 0),
    ((1, 3, 10, 10), "float32", 3, 1, 1, 1), ((1, 256, 28, 28), "float32", 3, 1, 2, 2),
    ((2, 17, 33, 33), "float32", 3, 2, 1, 1), ((1, 32, 112, 112), "float32", 3, 2, 1, 1),
    ((1, 2048, 7, 7), "float32", 1, 1, 1, 0), ((1, 3, 224, 224), "uint8", 7, 2, 1, 3),
    ((1, 32, 56, 56), "float64", 3, 1, 1, 1), ((1, 64, 56, 56), "float16", 3, 1, 1, 1),
]

SHAPES = {  # name: (NHWC shape, k, stride, padding)
    "tiny": ((1, 10, 10, 3), 3, 1, "SAME"),
    "conv": ((1, 56, 56, 64), 3, 1, "SAME"),
    "stem": ((1, 224, 224, 3), 7, 2, "SAME"),
    "deep": ((8, 28, 28, 128), 3, 1, "SAME"),
}


def per_call(fn, min_time):
    """Median over 5 batches of the time per call, each batch at least min_time/5 seconds."""
    fn()
    n, elapsed = 1, 0.0
    while True:  # calibrate
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time / 10:
            break
        n *= 2
    n = max(1, int(n * (min_time / 5) / elapsed))
    batches = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        batches.append((time.perf_counter() - t0) / n)
    return statistics.median(batches)


def c_api_time(patchjit_cli, shape, k, s, padding, backend, min_time):
    """pj_kernel_run's median time (seconds) for `backend` from `patchjit bench --json`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        subprocess.run([patchjit_cli, "bench", "--shape", ",".join(map(str, shape)), "--ksizes", f"1,{k},{k},1",
                        "--strides", f"1,{s},{s},1", "--rates", "1,1,1,1", "--padding", padding,
                        "--min-time", str(min_time), "--repetitions", "5", "--threads", "1", "--json", out],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out) as f:
            benchmarks = json.load(f)["benchmarks"]
    for b in benchmarks:
        if b["name"].startswith(backend + "/") and b.get("aggregate_name") == "median":
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            return b["real_time"] * scale
    raise RuntimeError(f"no median for {backend} in patchjit bench's output")


def interleaved_ratio(np, build, shape, k, s, padding, x64, out64, kernel):
    """Median and quartiles over 41 interleaved rounds of kernel(x64, out=out64) / pj_kernel_run
    of the same signature through ctypes (both on the same buffers, one thread)."""
    import ctypes
    lib = ctypes.CDLL(os.path.join(build, "lib", "libpatchjit.so"))

    class Spec(ctypes.Structure):  # pj_spec
        _fields_ = [("dtype", ctypes.c_int), ("input_shape", ctypes.c_int64 * 4), ("ksizes", ctypes.c_int64 * 4),
                    ("strides", ctypes.c_int64 * 4), ("rates", ctypes.c_int64 * 4), ("padding", ctypes.c_int)]

    four = ctypes.c_int64 * 4
    spec = Spec(0, four(*shape), four(1, k, k, 1), four(1, s, s, 1), four(1, 1, 1, 1), 0 if padding == "SAME" else 1)
    backend = {"auto": 0, "reference": 1, "interp": 2, "xbyak": 3, "llvm": 4}[kernel.backend]
    handle = ctypes.c_void_p()
    if lib.pj_kernel_create(ctypes.byref(spec), backend, ctypes.byref(handle)) != 0:
        return None
    run = lib.pj_kernel_run
    run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    xp, op = x64.ctypes.data, out64.ctypes.data

    def batch(fn, n):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return time.perf_counter() - t0

    c_call = lambda: run(handle, xp, op, 1)
    py_call = lambda: kernel(x64, out=out64, threads=1)
    n = max(1, int(0.01 / max(batch(c_call, 1), 1e-7)))
    ratios = sorted(batch(py_call, n) / batch(c_call, n) for _ in range(41))
    lib.pj_kernel_destroy.argtypes = [ctypes.c_void_p]
    lib.pj_kernel_destroy(handle)
    return ratios[20], ratios[10], ratios[30]


def aligned(np, a):
    """A copy of `a` whose data starts on a 64-byte boundary."""
    raw = np.empty(a.nbytes + 64, np.uint8)
    offset = -raw.ctypes.data % 64
    copy = raw[offset:offset + a.nbytes].view(a.dtype).reshape(a.shape)
    copy[...] = a
    return copy


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--min-time", type=float, default=0.3, help="seconds per measurement")
    parser.add_argument("--shapes", default="tiny,conv,stem", help=",".join(SHAPES))
    parser.add_argument("--unfold-suite", action="store_true",
                        help="instead: patchjit.unfold against F.unfold over the suite in torch's format")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))

    import numpy as np
    import patchjit
    try:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(1)
    except ImportError:
        torch = None

    if args.unfold_suite:
        if torch is None:
            sys.exit("--unfold-suite needs torch (Debian python3-torch)")
        return unfold_suite(torch, F, patchjit, args.min_time)

    rows = []
    for name in args.shapes.split(","):
        shape, k, s, padding = SHAPES[name]
        attrs = ([1, k, k, 1], [1, s, s, 1], [1, 1, 1, 1], padding)
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        kernel = patchjit.Kernel(np.float32, shape, *attrs)
        backend = kernel.backend if kernel.backend != "xbyak" else "xbyak_" + patchjit.host_isa()
        out = np.empty(kernel.output_shape, np.float32)
        x64, out64 = aligned(np, x), aligned(np, out)
        label = f"{name} {'x'.join(map(str, shape))} k{k} s{s} {padding}"
        c = c_api_time(os.path.join(args.build, "bin", "patchjit"), shape, k, s, padding, backend, args.min_time)
        times = [("C API (" + backend + ")", c),
                 ("Kernel, out=", per_call(lambda: kernel(x, out=out, threads=1), args.min_time)),
                 ("Kernel, out=, aligned", per_call(lambda: kernel(x64, out=out64, threads=1), args.min_time)),
                 ("Kernel", per_call(lambda: kernel(x, threads=1), args.min_time)),
                 ("extract_image_patches", per_call(
                     lambda: patchjit.extract_image_patches(x, *attrs, threads=1), args.min_time))]
        if torch is not None:
            t = torch.from_numpy(x)
            times.append(("Kernel, torch", per_call(lambda: kernel(t, threads=1), args.min_time)))
            nchw = t.permute(0, 3, 1, 2).contiguous()
            oh = -(-shape[1] // s)
            pad = max(0, ((oh - 1) * s + k - shape[1] + 1) // 2)
            times.append(("F.unfold (torch format)", per_call(
                lambda: F.unfold(nchw, kernel_size=k, padding=pad, stride=s), args.min_time)))
            times.append(("patchjit.unfold (torch format)", per_call(
                lambda: patchjit.unfold(nchw, k, padding=pad, stride=s, threads=1), args.min_time)))
            unfold_kernel = patchjit.Kernel(torch.float32, tuple(nchw.shape), k, s, 1, (pad,) * 4, format="torch")
            times.append(("Kernel, torch format", per_call(lambda: unfold_kernel(nchw, threads=1), args.min_time)))
        same_process = interleaved_ratio(np, args.build, shape, k, s, padding, x64, out64, kernel)
        rows.append((label, times, same_process))

    print("patchjit from Python: time per call, 1 thread (median of 5 batches; C API: patchjit bench median)")
    print(f"{'shape / call':<36}{'time':>12}{'above C':>12}{'x C':>8}")
    for label, times, same_process in rows:
        print(label)
        c = times[0][1]
        for what, t in times:
            print(f"  {what:<34}{fmt(t):>12}{fmt(t - c) if t is not c else '':>12}{t / c:>7.2f}x")
        if same_process:
            median, low, high = same_process
            print(f"  Kernel, out=, aligned / pj_kernel_run, this process, interleaved: {median:.3f}x "
                  f"(quartiles {low:.3f}-{high:.3f})")


def unfold_suite(torch, F, patchjit, min_time):
    """patchjit.unfold (a kernel-cache hit per call, as a torch program calls F.unfold) against
    F.unfold, same tensor, same arguments, one thread each; the geometric mean of the ratios."""
    print("patchjit.unfold against torch.nn.functional.unfold, the suite in torch's format, 1 thread "
          "(median of 5 batches)")
    print(f"{'shape':<40}{'F.unfold':>12}{'patchjit':>12}{'ratio':>8}")
    ratios = []
    generator = torch.Generator().manual_seed(0)
    for shape, dtype, k, s, r, pad in TORCH_SUITE:
        label = f"{dtype} {'x'.join(map(str, shape))} k{k} s{s}" + (f" r{r}" if r > 1 else "") + f" p{pad}"
        if dtype == "uint8":
            x = torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)
        else:
            x = torch.randn(shape, generator=generator).to(getattr(torch, dtype))
        args = dict(kernel_size=k, dilation=r, padding=pad, stride=s)
        ours = patchjit.unfold(x, threads=1, **args)
        try:
            theirs = F.unfold(x, **args)
        except RuntimeError as e:  # torch has no unfold for some dtypes (uint8)
            print(f"{label:<40}{'-':>12}{fmt(per_call(lambda: patchjit.unfold(x, threads=1, **args), min_time)):>12}"
                  f"  (F.unfold: {str(e).splitlines()[0]})")
            continue
        if not torch.equal(ours, theirs):
            sys.exit(f"{label}: patchjit.unfold and F.unfold differ")
        t_torch = per_call(lambda: F.unfold(x, **args), min_time)
        t_ours = per_call(lambda: patchjit.unfold(x, threads=1, **args), min_time)
        ratios.append(t_torch / t_ours)
        print(f"{label:<40}{fmt(t_torch):>12}{fmt(t_ours):>12}{t_torch / t_ours:>7.2f}x")
    geomean = statistics.geometric_mean(ratios)
    print(f"geometric mean over {len(ratios)} shapes: patchjit.unfold {geomean:.2f}x as fast as F.unfold "
          f"(slowest {min(ratios):.2f}x, fastest {max(ratios):.2f}x)")


def fmt(seconds):
    if abs(seconds) < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e3:.3f} ms"


if __name__ == "__main__":
    main()
