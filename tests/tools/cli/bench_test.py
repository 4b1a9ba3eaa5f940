#!/usr/bin/python3
"""End-to-end tests of `patchjit bench` on a tiny shape: the table has a row per implementation,
the JSON is Google Benchmark's (compare.py compares two runs, bench/summarize.py reads one), the
SVG is well-formed with one bar per implementation, a wrong output exits 1, bad flags exit 2.

    bench_test.py PATH/TO/patchjit PATH/TO/SOURCE_DIR
"""
import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

PATCHJIT = None
SOURCE_DIR = None
COMPARE_PY = "/usr/share/benchmark/compare.py"  # Debian's libbenchmark-tools

SHAPE = "f32_1x8x8x4_k3s1_same"
SIGNATURE = ["--shape", "1,8,8,4", "--ksizes", "1,3,3,1", "--strides", "1,1,1,1", "--rates", "1,1,1,1",
             "--padding", "SAME"]
FAST = ["--min-time", "0.01", "--repetitions", "1"]
FLOORS = {"floor_memset", "floor_vector", "floor_memcpy16k", "floor_stream", "floor_copy"}
PEERS = {"naive", "im2col", "eigen"}  # and "halide" where its plugin is built: all_peers()
ROW = re.compile(r"^  (\S+)\s+[0-9.]+ (?:ns|us|ms|s)\s+[0-9.]+\s+[0-9.]+x")


def halide_built():
    """Whether the Halide peer's plugin was built beside the peers (Debian libhalide14-0-dev)."""
    return os.path.exists(os.path.join(os.path.dirname(PATCHJIT), "..", "lib", "libpj_halide_peer.so"))


def torch_built():
    """Whether torch's unfold peer's plugin was built beside the peers (Debian libtorch-dev)."""
    return os.path.exists(os.path.join(os.path.dirname(PATCHJIT), "..", "lib", "libpj_torch_peer.so"))


def all_peers():
    return PEERS | ({"halide"} if halide_built() else set())


def run(*args, env=None):
    p = subprocess.run([PATCHJIT, "bench", *args], capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def table_rows(stdout):
    """The implementation names of the table's rows, in order."""
    return [m.group(1) for m in map(ROW.match, stdout.splitlines()) if m]


class BenchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.json_path = os.path.join(cls.tmp.name, "run.json")
        cls.svg_path = os.path.join(cls.tmp.name, "run.svg")
        # One run shared by the table, JSON and SVG tests: two thread counts, two repetitions
        # (so the JSON has aggregates).
        cls.code, cls.stdout, cls.stderr = run(*SIGNATURE, "--threads", "1,2", "--min-time", "0.02",
                                               "--repetitions", "2", "--json", cls.json_path,
                                               "--svg", cls.svg_path)
        cls.rows = table_rows(cls.stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def backends(self):
        return [r for r in self.rows if r not in FLOORS | all_peers()]

    def test_table_has_a_row_per_implementation(self):
        self.assertEqual(self.code, 0, self.stderr)
        self.assertEqual(self.stderr, "", "no progress when stderr is not a terminal")
        self.assertIn(SHAPE + ": float32 [1,8,8,4]", self.stdout)
        peers = ["naive", "im2col", "eigen"] + (["halide"] if halide_built() else [])
        self.assertEqual(self.rows[:5 + len(peers)], ["floor_memset", "floor_vector", "floor_memcpy16k", "floor_stream",
                                                      "floor_copy"] + peers)
        if not halide_built():
            self.assertIn("not measured: peer halide: ", self.stdout)
        backends = self.backends()
        self.assertIn("interp", backends)
        self.assertIn("interp_t2", backends)
        if "not measured: backend xbyak" not in self.stdout:
            self.assertTrue({"xbyak_avx2", "xbyak_avx2_t2"} <= set(backends), backends)
        if "not measured: backend llvm" not in self.stdout:
            self.assertTrue({"llvm", "llvm_t2"} <= set(backends), backends)
        for b in backends:  # each backend with both thread counts
            self.assertIn(b[:-3] if b.endswith("_t2") else b + "_t2", backends)
        self.assertEqual(len(self.rows), len(set(self.rows)))
        # The machine, the date and the peers' compiler are named.
        self.assertRegex(self.stdout, r"machine: .+, \d+ cpus")
        self.assertRegex(self.stdout, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertRegex(self.stdout, r"peers, built with (g\+\+|clang) .*-O3")
        # Speed-up columns on backend rows, creation times for the JIT backends.
        self.assertIn("over naive", self.stdout)
        self.assertIn("over eigen", self.stdout)
        interp = next(l for l in self.stdout.splitlines() if l.startswith("  interp "))
        self.assertEqual(len(re.findall(r"[0-9.]+x", interp)), len(peers) + 1, interp)
        if any(b.startswith(("xbyak", "llvm")) for b in backends):
            self.assertIn("cold compile", self.stdout)

    def test_json_is_google_benchmark_format(self):
        with open(self.json_path) as f:
            data = json.load(f)
        context = data["context"]
        for key in ("date", "host_name", "num_cpus", "mhz_per_cpu", "library_build_type", "peers", "host_isa"):
            self.assertIn(key, context)
        entries = data["benchmarks"]
        names = {e["run_name"] for e in entries}
        for row in self.rows:
            self.assertIn(f"{row}/{SHAPE}", names)
        # Creation rows are named by the table's rows, the ISA in every xbyak name.
        jit = [b for b in self.backends() if b.startswith(("xbyak", "llvm")) and not b.endswith("_t2")]
        for b in jit:
            self.assertIn(f"compile_{b}/{SHAPE}", names)
            self.assertIn(f"create_hit_{b}/{SHAPE}", names)
        self.assertEqual(len(names), len(self.rows) + 2 * len(jit))
        for e in entries:
            for key in ("name", "run_name", "run_type", "iterations", "real_time", "cpu_time", "time_unit"):
                self.assertIn(key, e)
            self.assertEqual(e["time_unit"], "us")
            self.assertGreater(e["iterations"], 0)
            if e["run_type"] == "iteration":
                self.assertEqual(e["name"], e["run_name"])
                self.assertGreater(e["real_time"], 0)
                self.assertEqual("bytes_per_second" in e, not e["name"].startswith(("compile_", "create_hit")), e)
            else:
                self.assertEqual(e["run_type"], "aggregate")
                self.assertEqual(e["name"], e["run_name"] + "_" + e["aggregate_name"])
        medians = {e["run_name"] for e in entries if e.get("aggregate_name") == "median"}
        self.assertEqual(medians, names)
        repetitions = [e for e in entries if e["run_name"] == f"im2col/{SHAPE}" and e["run_type"] == "iteration"]
        self.assertEqual([e["repetition_index"] for e in repetitions], [0, 1])

    def medians(self):
        with open(self.json_path) as f:
            entries = json.load(f)["benchmarks"]
        return {e["run_name"].split("/")[0]: e["real_time"] for e in entries if e.get("aggregate_name") == "median"}

    def test_the_floor_is_the_fastest_store_floor_or_the_copy_when_slower(self):
        medians = self.medians()
        store = min(medians[f] for f in FLOORS - {"floor_copy"})
        floor = max(store, medians["floor_copy"])
        lines = {ROW.match(l).group(1): l for l in self.stdout.splitlines() if ROW.match(l)}
        # The floor's own row is 1.00x; each row's x floor is its time over that floor.
        name = "floor_copy" if medians["floor_copy"] > store else min(FLOORS - {"floor_copy"}, key=medians.get)
        self.assertRegex(lines[name], r"\s1\.00x\s")
        for row, line in lines.items():
            shown = float(re.search(r"\s([0-9.]+)x\s", line).group(1))
            self.assertAlmostEqual(shown, medians[row] / floor, delta=0.01 * shown + 0.006, msg=line)

    def test_random_sweep(self):
        # Shapes drawn from a seed, the same each run, each benchmarked and checked as a
        # signature is, then the worst shapes of each backend.
        code, stdout, err = run("--random", "2", "--seed", "11", *FAST)
        self.assertEqual(code, 0, err)
        self.assertIn("random sweep: 2 shapes from seed 11 (patchjit bench --random 2 --seed 11 draws them again)", stdout)
        names = re.findall(r"^(\w+): \w+ \[", stdout, re.M)
        self.assertEqual(len(names), 2, stdout)
        self.assertIn("(random 1 of seed 11)", stdout)
        self.assertIn("over 2 shapes: geometric mean (worst)", stdout)
        worst = stdout[stdout.index("worst shapes: the 5 highest x floor"):]
        self.assertRegex(worst, r"\n  interp\n    x floor\s+[0-9.]+x (\w+)\n\s+[0-9.]+x (\w+)\n    over naive")
        for name in names:
            self.assertIn(name, worst)
        code, again, err = run("--random", "1", "--seed", "11", "--op", "fold", *FAST)
        if "bool" not in names[0]:  # fold has no bool: a sweep of one bool shape has nothing to run
            self.assertEqual(code, 0, err)
            self.assertIn("fold_" + names[0], again)
        # In the torch format the same shapes, in NCHW, beside the NCHW im2col.
        code, torch, err = run("--random", "1", "--seed", "11", "--format", "torch", *FAST)
        self.assertEqual(code, 0, err)
        self.assertRegex(torch, r"\n\w+_torch: \w+ \[.*\(random 1 of seed 11\)\n")
        self.assertIn("over im2col", torch)
        for args, message in {("--random", "0"): "--random must be an integer from 1 to 100000, got '0'",
                              ("--random", "2", "--seed", "x"): "--seed must be an integer from 1",
                              ("--seed", "3"): "--seed is the random sweep's: give --random N too",
                              ("--random", "2", "--suite"): "give --suite or --random, not both",
                              ("--random", "2", "--shape", "1,2,3,4"): "--random takes no --shape"}.items():
            code, stdout, err = run(*args, *FAST)
            self.assertEqual(code, 2, f"{args}: {err}")
            self.assertIn(message, err, args)
            self.assertEqual(stdout, "", args)

    def test_rows_with_more_threads_slower_than_one_are_marked(self):
        medians = self.medians()
        lines = {ROW.match(l).group(1): l for l in self.stdout.splitlines() if ROW.match(l)}
        for row in self.backends():
            if not row.endswith("_t2"):
                self.assertNotIn("slower than 1 thread", lines[row])
                continue
            slower = medians[row] > medians[row[:-3]]
            self.assertEqual("slower than 1 thread" in lines[row], slower, lines[row])

    def test_spread_is_shown_and_wide_spreads_warned_about(self):
        self.assertIn("spread", self.stdout)
        lines = [l for l in self.stdout.splitlines() if ROW.match(l)]
        for l in lines:
            self.assertRegex(l, r" \d+%!?(  slower than 1 thread \([0-9.]+x\))?$")
        wide = [l for l in lines if re.search(r"\d+%!", l)]
        self.assertEqual(bool(wide), "between repetitions (widest: " in self.stdout, self.stdout)
        if wide:
            self.assertRegex(self.stdout, rf"warning: {len(wide)} rows? spread over 10% between repetitions")
        self.assertRegex(self.stdout, r"load average \d+\.\d\d on \d+ cpus")

    def test_svg_has_a_bar_per_implementation(self):
        root = ElementTree.parse(self.svg_path).getroot()  # well-formed, or this raises
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        marks = list(root.iter())
        bars = [e.get("data-impl") for e in marks if e.get("class") == "bar"]
        self.assertEqual(sorted(bars), sorted(r for r in self.rows if r not in FLOORS))
        self.assertEqual(len([e for e in marks if e.get("class") == "floor"]), 1)
        # The legend says which bars are patchjit's and which are peers.
        groups = {}
        for e in marks:
            if e.get("class") == "legend-item":
                groups.setdefault(e.get("data-group"), []).append("".join(e.itertext()))
        self.assertEqual(sorted(groups["backend"]), sorted(self.backends()))
        self.assertEqual(sorted(groups["peer"]), sorted(all_peers()))
        self.assertEqual(len(groups["floor"]), 1)
        # The floor's marks lie above and below the bars, never across a bar or its label.
        floor = next(e for e in marks if e.get("class") == "floor")
        ys = [float(v) for path in floor.iter("{http://www.w3.org/2000/svg}path")
              for point in path.get("d").replace("M", "").replace("Z", "").split(" L") for v in [point.split(",")[1]]]
        bars = [e for e in marks if e.get("class") == "bar"]
        top = min(float(b.get("y")) for b in bars)
        bottom = max(float(b.get("y")) + float(b.get("height")) for b in bars)
        self.assertTrue(all(y <= top or y >= bottom for y in ys), (ys, top, bottom))
        text = "".join(root.itertext())
        self.assertIn("patchjit bench", text)
        self.assertIn(SHAPE, text)
        self.assertRegex(text, r"\d{4}-\d\d-\d\d")  # the date

    def test_compare_py_compares_two_runs(self):
        other = os.path.join(self.tmp.name, "other.json")
        code, _, err = run(*SIGNATURE, *FAST, "--threads", "1,2", "--json", other)
        self.assertEqual(code, 0, err)
        p = subprocess.run(["/usr/bin/python3", COMPARE_PY, "--no-color", "benchmarks", self.json_path, other],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr + "\n(compare.py needs Debian's python3-scipy)")
        self.assertIn(f"xbyak_avx2/{SHAPE}" if "xbyak_avx2" in self.rows else f"interp/{SHAPE}", p.stdout)
        self.assertIn("OVERALL_GEOMEAN", p.stdout)

    def test_summarize_py_reads_the_json(self):
        p = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE_DIR, "bench", "summarize.py"), self.json_path],
                           capture_output=True, text=True)
        if "xbyak_avx2" not in self.rows:
            self.skipTest("summarize.py tabulates the xbyak rows; this machine has none")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(SHAPE, p.stdout)

    def test_progress_on_a_terminal(self):
        master, slave = pty.openpty()
        p = subprocess.Popen([PATCHJIT, "bench", *SIGNATURE, *FAST], stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        output = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            output += chunk
        os.close(master)
        self.assertEqual(p.wait(), 0)
        self.assertIn(f"\r\x1b[K[1/1] {SHAPE}: im2col...".encode(), output)

    def test_other_dtypes_and_dilation(self):
        code, stdout, err = run("--shape", "1,9,7,2", "--dtype", "half", "--ksizes", "1,2,3,1", "--strides", "1,1,2,1",
                                "--rates", "1,2,1,1", "--padding", "VALID", *FAST)
        self.assertEqual(code, 0, err)
        self.assertIn("f16_1x9x7x2_k2x3s1x2r2x1_valid: half [1,9,7,2]", stdout)
        self.assertIn("eigen", table_rows(stdout))

    def test_engine_formats(self):
        # torch's unfold with padding 1: the careful NCHW im2col is the im2col peer (checked
        # against the golden loops like every row), Eigen (TensorFlow's op only) is left out.
        for flags in (["--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--pads", "1,1,1,1", "--pad-value", "-inf"],
                      ["--shape", "2,2,11,10", "--dtype", "uint8", "--ksizes", "1,3,2,1", "--strides", "1,2,3,1",
                       "--rates", "1,1,2,1", "--pads", "2,0,1,3", "--pad-value", "7"],
                      ["--shape", "1,4,6,7", "--dtype", "half", "--ksizes", "1,2,2,1", "--padding", "SAME"]):
            code, stdout, err = run(*flags, "--format", "torch", *FAST)
            self.assertEqual(code, 0, f"{flags}: {err}")
            rows = table_rows(stdout)
            self.assertIn("naive", rows)
            self.assertIn("im2col", rows)
            self.assertNotIn("eigen", rows)
            # torch's unfold pads with zeros only (and SAME's extra row through F.pad).
            zero_pad = "--pad-value" not in flags
            self.assertEqual("unfold" in rows, zero_pad and torch_built(), f"{flags}: {rows}")
            if zero_pad and not torch_built():
                self.assertIn("not measured: peer unfold: ", stdout)
        code, stdout, err = run("--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--format", "torch",
                                "--pads", "1,1,1,1", "--pad-value", "-inf", *FAST)
        self.assertIn("f32_1x3x9x9_k3s1_pad1x1x1x1_torch_padvalue: float32 [1,3,9,9]", stdout)
        # A format with no careful peer of its own: the golden loops only.
        code, stdout, err = run("--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--layout", "nchw",
                                "--padding", "SAME", *FAST)
        self.assertEqual(code, 0, err)
        rows = table_rows(stdout)
        self.assertIn("naive", rows)
        self.assertNotIn("im2col", rows)
        self.assertNotIn("eigen", rows)
        code, stdout, err = run("--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--format", "torch",
                                "--padding", "VALID", *FAST, env={"PATCHJIT_TEST_CORRUPT": "im2col"})
        self.assertEqual(code, 1, err)
        self.assertIn("im2col differs from the golden loops", err)
        if torch_built():  # the unfold peer's output is checked like every row's
            code, stdout, err = run("--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--format", "torch",
                                    "--padding", "SAME", *FAST, env={"PATCHJIT_TEST_CORRUPT": "unfold"})
            self.assertEqual(code, 1, err)
            self.assertIn("unfold differs from the golden loops", err)
        code, _, err = run(*SIGNATURE[:-2], "--format", "torch", "--patches", "rows", "--padding", "SAME", *FAST)
        self.assertEqual(code, 2, err)
        self.assertIn("--patches rows contradicts --format torch", err)
        code, _, err = run("--suite", "--layout", "nchw", *FAST)
        self.assertEqual(code, 2, err)
        self.assertIn("--suite takes no --layout", err)

    def test_fold(self):
        # Fold's peers (the golden loops, TensorFlow's gradient algorithm, the careful scatter)
        # and its read floor, every output checked against fold's golden loops; xbyak's and
        # llvm's kernels (where built and the CPU runs them) in the tf format, and named as not
        # measured in the torch format at column stride 2.
        for flags in (["--shape", "2,7,6,5", "--ksizes", "1,3,2,1", "--strides", "1,2,1,1", "--padding", "SAME"],
                      ["--shape", "1,6,6,8", "--dtype", "half", "--ksizes", "1,2,2,1", "--padding", "VALID"]):
            code, stdout, err = run(*flags, "--op", "fold", *FAST)
            self.assertEqual(code, 0, f"{flags}: {err}")
            rows = table_rows(stdout)
            self.assertTrue({"floor_read", "naive", "tf_gradient", "scatter", "interp"} <= set(rows), rows)
            self.assertIn("over tf_gradient", stdout)
            self.assertNotIn("eigen", rows)
            self.assertIn("fold_", stdout)
            xbyak = "not measured: backend xbyak" not in stdout  # built, and this CPU runs it
            if xbyak:
                self.assertIn("xbyak_avx2", rows)
            llvm = "not measured: backend llvm" not in stdout
            if llvm:
                self.assertIn("llvm", rows)
        code, stdout, err = run("--shape", "1,3,9,9", "--ksizes", "1,3,3,1", "--strides", "1,2,2,1", "--format", "torch",
                                "--pads", "1,1,1,1", "--op", "fold", "--mode", "mean", *FAST)
        self.assertEqual(code, 0, err)
        rows = table_rows(stdout)
        self.assertIn("interp", rows)
        if xbyak:
            self.assertNotIn("xbyak_avx2", rows)
            self.assertIn("not measured: backend xbyak_avx2: fold's JIT sums whole pixels", stdout)
        if llvm:
            self.assertNotIn("llvm", rows)
            self.assertIn("not measured: backend llvm: fold's JIT sums whole pixels", stdout)
        self.assertNotIn("tf_gradient", rows)  # TensorFlow's gradient has no mean
        code, stdout, err = run("--shape", "1,7,6,4", "--ksizes", "1,3,3,1", "--padding", "SAME", "--op", "fold",
                                *FAST, env={"PATCHJIT_TEST_CORRUPT": "scatter"})
        self.assertEqual(code, 1, err)
        self.assertIn("scatter differs from the golden loops", err)
        for args, message in {("--op", "unfold"): "--op must be extract or fold",
                              ("--mode", "mean"): "--mode is fold's",
                              ("--op", "fold", "--mode", "max"): "--mode must be sum or mean"}.items():
            code, _, err = run(*SIGNATURE, *args, *FAST)
            self.assertEqual(code, 2, f"{args}: {err}")
            self.assertIn(message, err)
        code, _, err = run(*SIGNATURE[:2], "--dtype", "bool", *SIGNATURE[2:], "--op", "fold", *FAST)
        self.assertEqual(code, 1, err)
        self.assertIn("bool has no sum", err)

    def test_a_wrong_output_exits_1_and_names_it(self):
        json_path = os.path.join(self.tmp.name, "never.json")
        for impl in ("im2col", "eigen", "interp") + (("halide",) if halide_built() else ()):
            code, _, err = run(*SIGNATURE, *FAST, "--json", json_path, env={"PATCHJIT_TEST_CORRUPT": impl})
            self.assertEqual(code, 1, impl)
            self.assertRegex(err, rf"^patchjit bench: {SHAPE}: {impl} differs from the golden loops at element \d+ "
                                  r"\[\d+,\d+,\d+,\d+\] \(patch row \d+, col \d+, channel \d+\): expected 0x[0-9a-f]+, "
                                  r"got 0x[0-9a-f]+\n$")
        # Neither the JSON nor its temporary file is left behind.
        self.assertEqual([f for f in os.listdir(self.tmp.name) if f.startswith("never.json")], [])

    def test_flag_errors_exit_2(self):
        cases = {
            (): "give a signature (--shape N,H,W,C and the attributes), --suite or --random N",
            ("--suite", "--shape", "1,2,3,4"): "--suite takes no --shape",
            ("--bogus",): "unknown flag --bogus",
            (*SIGNATURE, "--threads", "1,x"): "--threads must be an integer",
            (*SIGNATURE, "--threads", "2,2"): "--threads lists 2 twice",
            (*SIGNATURE, "--min-time", "0"): "--min-time must be a number of seconds",
            (*SIGNATURE, "--min-time", "fast"): "--min-time must be a number of seconds",
            (*SIGNATURE, "--repetitions", "0"): "--repetitions must be an integer from 1",
            (*SIGNATURE[:-2],): "missing --padding",
            (*SIGNATURE, "--dtype", "float128"): "unknown dtype 'float128'",
            (*SIGNATURE[:-1], "same"): "Value for attr 'padding' of \"same\"",
            (*SIGNATURE, "--repetition", "3"): "unknown flag --repetition (did you mean --repetitions?)",
            ("--shape", "1,2,x,4", *SIGNATURE[2:]): "--shape must be comma-separated integers",
            ("--suite", "--format", "pytorch"): "--format must be tf or torch, got 'pytorch'",
            ("--suite", "--patches", "columns"): "--suite takes no --patches",
        }
        for args, message in cases.items():
            code, stdout, err = run(*args)
            self.assertEqual(code, 2, f"{args}: {err}")
            self.assertIn(message, err, args)
            self.assertEqual(stdout, "", args)

    def test_signature_errors_exit_1(self):
        cases = {
            ("--shape", "1,10,10", *SIGNATURE[2:]): "input must be 4-dimensional[1,10,10]",
            ("--shape", "1,3,3,1", "--ksizes", "1,5,5,1", *SIGNATURE[4:-1], "VALID"): "Computed output size would be negative",
            ("--shape", "0,10,10,3", *SIGNATURE[2:]): "has an empty output",
            (*SIGNATURE, "--json", "/nonexistent-dir/x.json"): "cannot write /nonexistent-dir/x.json",
        }
        for args, message in cases.items():
            code, _, err = run(*args)
            self.assertEqual(code, 1, f"{args}: {err}")
            self.assertIn(message, err, args)


if __name__ == "__main__":
    PATCHJIT = sys.argv.pop(1)
    SOURCE_DIR = sys.argv.pop(1)
    unittest.main(verbosity=1)
