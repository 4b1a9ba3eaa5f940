#!/usr/bin/python3
"""End-to-end tests of the patchjit command-line tool: .npy files made by numpy, outputs checked
against an independent numpy implementation of TensorFlow's rule, the exit statuses and
messages of the contract, and the promise that a failed run leaves the output file alone.

    cli_test.py PATH/TO/patchjit
"""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from temp_dir_test import TempDirTest

PATCHJIT = None


def windowed(size, k_eff, stride, padding):
    """TensorFlow's GetWindowedOutputSize: (out, pad_before), or None for the 'negative' error."""
    if padding == "VALID":
        q = size - k_eff + stride
        out = q // stride if q >= 0 else -((-q) // stride)  # C++ truncation toward zero
        return (out, 0) if out >= 0 else None
    out = -(-size // stride)
    need = max(0, (out - 1) * stride + k_eff - size)
    return out, need // 2


def extract_patches(x, ksizes, strides, rates, padding):
    """ExtractImagePatches by fancy indexing, independent of the C++ code."""
    n, h, w, c = x.shape
    (kr, kc), (sr, sc), (rr, rc) = ksizes, strides, rates
    rows = windowed(h, kr + (kr - 1) * (rr - 1), sr, padding)
    cols = windowed(w, kc + (kc - 1) * (rc - 1), sc, padding)
    (out_r, pad_t), (out_c, pad_l) = rows, cols
    ri = np.arange(out_r)[:, None] * sr - pad_t + np.arange(kr)[None, :] * rr  # [out_r, kr]
    ci = np.arange(out_c)[:, None] * sc - pad_l + np.arange(kc)[None, :] * rc  # [out_c, kc]
    rv, cv = (ri >= 0) & (ri < h), (ci >= 0) & (ci < w)
    g = x[:, np.clip(ri, 0, max(h - 1, 0))[:, None, :, None], np.clip(ci, 0, max(w - 1, 0))[None, :, None, :], :]
    mask = (rv[:, None, :, None] & cv[None, :, None, :])[None, ..., None]
    g = np.where(mask, g, np.zeros((), dtype=x.dtype))  # [n, out_r, out_c, kr, kc, c]
    return g.reshape(n, out_r, out_c, kr * kc * c)


def run(*args):
    p = subprocess.run([PATCHJIT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def attrs(k, s, r, padding):
    return ["--ksizes", f"1,{k[0]},{k[1]},1", "--strides", f"1,{s[0]},{s[1]},1",
            "--rates", f"1,{r[0]},{r[1]},1", "--padding", padding]


NUMPY_DTYPES = ["float32", "float64", "int32", "int64", "uint8", "int16", "int8", "uint16",
                "float16", "complex64", "complex128", "bool", "uint32", "uint64"]


class CliTest(TempDirTest):

    def save(self, name, array):
        np.save(self.path(name), array)
        return self.path(name)

    def random_array(self, rng, dtype, shape):
        if dtype == "bool":
            return rng.integers(0, 2, shape).astype(bool)
        if dtype.startswith("complex"):
            return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        if dtype.startswith("float"):
            return rng.standard_normal(shape).astype(dtype)
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)

    def test_every_dtype_matches_numpy(self):
        rng = np.random.default_rng()
        for i in range(60):
            dtype = NUMPY_DTYPES[i % len(NUMPY_DTYPES)]
            shape = tuple(int(v) for v in (rng.integers(1, 3), rng.integers(1, 9), rng.integers(1, 9), rng.integers(1, 5)))
            k = tuple(int(v) for v in rng.integers(1, 4, 2))
            s = tuple(int(v) for v in rng.integers(1, 4, 2))
            r = tuple(int(v) for v in rng.integers(1, 3, 2))
            padding = ["SAME", "VALID"][i % 2]
            x = self.random_array(rng, dtype, shape)
            src = self.save("in.npy", x)
            out = self.path("out.npy")
            rows = windowed(shape[1], k[0] + (k[0] - 1) * (r[0] - 1), s[0], padding)
            cols = windowed(shape[2], k[1] + (k[1] - 1) * (r[1] - 1), s[1], padding)
            code, _, err = run("extract", "--input", src, "--output", out, *attrs(k, s, r, padding),
                               "--verify", "--threads", str(i % 3))
            case = f"{dtype} {shape} k{k} s{s} r{r} {padding}"
            if rows is None or cols is None:
                self.assertEqual(code, 1, case)
                self.assertIn("Computed output size would be negative", err, case)
                continue
            self.assertEqual(code, 0, case + ": " + err)
            y = np.load(out)
            self.assertEqual(y.dtype, x.dtype, case)
            expected = extract_patches(x, k, s, r, padding)
            self.assertEqual(y.shape, expected.shape, case)
            self.assertEqual(y.tobytes(), expected.tobytes(), case)  # bit-exact, NaNs included

    def test_bfloat16_reads_two_byte_data(self):
        x = np.arange(2 * 4 * 4 * 3, dtype=np.uint16).reshape(2, 4, 4, 3)
        src = self.save("bf.npy", x)
        out = self.path("bf_out.npy")
        code, stdout, err = run("extract", "--input", src, "--output", out, "--dtype", "bfloat16",
                                *attrs((2, 2), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertIn("bfloat16", stdout)
        y = np.load(out)
        self.assertEqual(y.dtype, np.uint16)  # the input's descr is kept
        self.assertEqual(y.tobytes(), extract_patches(x, (2, 2), (1, 1), (1, 1), "SAME").tobytes())
        # Other sizes cannot be bfloat16, and --dtype must otherwise match the file.
        f4 = self.save("f4.npy", np.zeros((1, 2, 2, 1), np.float32))
        code, _, err = run("extract", "--input", f4, "--output", out, "--dtype", "bfloat16", *attrs((1, 1), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 1)
        self.assertIn("bfloat16 needs 2-byte data", err)
        code, _, err = run("extract", "--input", f4, "--output", out, "--dtype", "int32", *attrs((1, 1), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 1)
        self.assertIn("does not match the input's descr '<f4'", err)
        code, _, err = run("extract", "--input", f4, "--output", out, "--dtype", "float32", *attrs((1, 1), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)

    def expect_error(self, args, code, message, output=None):
        got_code, stdout, err = run(*args)
        self.assertEqual(got_code, code, f"{args}: {err}")
        self.assertIn(message, err, f"{args}")
        self.assertEqual(len(err.strip().splitlines()) if code == 1 else 1, 1, err)
        if output is not None:
            self.assertFalse(os.path.exists(output), f"{args} created {output}")

    def test_errors_use_tensorflows_words_and_exit_1(self):
        src = self.save("in.npy", np.zeros((1, 4, 4, 2), np.float32))
        out = self.path("never.npy")
        base = ["extract", "--input", src, "--output", out]
        self.expect_error(base + ["--ksizes", "1,3,3", "--strides", "1,1,1,1", "--rates", "1,1,1,1", "--padding", "SAME"],
                          1, "ExtractImagePatches requires the ksizes attribute to contain 4 values, but got: 3", out)
        self.expect_error(base + ["--ksizes", "1,3,3,1", "--strides", "1,1,1,1,1", "--rates", "1,1,1,1", "--padding", "SAME"],
                          1, "ExtractImagePatches requires the stride attribute to contain 4 values, but got: 5", out)
        self.expect_error(base + ["--ksizes", "2,3,3,1", "--strides", "1,1,1,1", "--rates", "1,1,1,1", "--padding", "SAME"],
                          1, "Only support ksizes across space.", out)
        self.expect_error(base + ["--ksizes", "1,3,3,1", "--strides", "1,0,1,1", "--rates", "1,1,1,1", "--padding", "SAME"],
                          1, "strides is out of range.", out)
        self.expect_error(base + ["--ksizes", "1,9,1,1", "--strides", "1,1,1,1", "--rates", "1,1,1,1", "--padding", "VALID"],
                          1, "Computed output size would be negative: -4 [input_size: 4, effective_filter_size: 9, stride: 1]", out)
        three_d = self.save("3d.npy", np.zeros((2, 3, 4), np.float32))
        self.expect_error(["extract", "--input", three_d, "--output", out, *attrs((1, 1), (1, 1), (1, 1), "SAME")],
                          1, "input must be 4-dimensional[2,3,4]", out)
        self.expect_error(["extract", "--input", self.path("missing.npy"), "--output", out, *attrs((1, 1), (1, 1), (1, 1), "SAME")],
                          1, "missing.npy", out)

    def test_unparseable_flags_exit_2(self):
        src = self.save("in.npy", np.zeros((1, 4, 4, 2), np.float32))
        out = self.path("never.npy")
        base = ["extract", "--input", src, "--output", out]
        good = attrs((1, 1), (1, 1), (1, 1), "SAME")
        self.expect_error(base + ["--ksizes", "1,a,3,1", "--strides", "1,1,1,1", "--rates", "1,1,1,1", "--padding", "SAME"],
                          2, "--ksizes must be comma-separated integers", out)
        self.expect_error(base + good + ["--bogus", "1"], 2, "unknown flag --bogus", out)
        self.expect_error(base + good + ["--threads", "-1"], 2, "--threads", out)
        self.expect_error(base + good + ["--backend", "cuda"], 2, "unknown backend 'cuda'", out)
        self.expect_error(["extract", "--input", src, "--output", out, "--ksizes", "1,1,1,1"], 2, "missing --padding", out)
        self.expect_error(["extract", "--input", src, "--ksizes", "1,1,1,1", "--padding", "SAME"], 2, "missing --output", out)
        # Every usage error exits 2: unknown values of --padding and --dtype, bad numbers, typos.
        self.expect_error(base + attrs((1, 1), (1, 1), (1, 1), "EXPLICIT"),
                          2, "Value for attr 'padding' of \"EXPLICIT\" is not in the list of allowed values", out)
        self.expect_error(base + good + ["--dtype", "float128"], 2, "unknown dtype 'float128'", out)
        self.expect_error(base + good + ["--threads", "two"], 2, "--threads must be an integer", out)
        self.expect_error(base + good + ["--ksize", "1,1,1,1"], 2, "unknown flag --ksize (did you mean --ksizes?)", out)
        self.expect_error(base + good + ["--outptu", "x"], 2, "unknown flag --outptu (did you mean --output?)", out)
        self.expect_error(base + good + ["--verify=yes"], 2, "--verify takes no value", out)
        self.expect_error(["info", "--shape", "1,4,4,2", "--padding", "SAME", "--ksizes", "1,1,1,1", "--dtype", "float128"],
                          2, "unknown dtype 'float128'")
        self.expect_error(["info", "--shape", "1,4,4,2", "--padding", "same", "--ksizes", "1,1,1,1"],
                          2, "Value for attr 'padding' of \"same\"")
        self.expect_error(base + good + ["--ksizes"], 2, "", out)
        self.assertEqual(run()[0], 2)
        self.assertEqual(run("frobnicate")[0], 2)
        self.assertEqual(run("--help")[0], 0)
        for command in ("extract", "info", "bench", "aot"):  # that command's usage only
            code, stdout, err = run(command, "--help")
            self.assertEqual((code, err), (0, ""), command)
            self.assertTrue(stdout.startswith(f"usage: patchjit {command} "), stdout)
            for other in {"extract", "info", "bench", "aot"} - {command}:
                self.assertNotIn(f"patchjit {other}", stdout)
            self.assertIn("exit status", stdout)
        code, stdout, _ = run("--help")
        self.assertEqual(code, 0)
        for command in ("extract", "info", "bench", "aot"):
            self.assertIn(f"  {command} ", stdout)
        code, _, err = run("extrct")
        self.assertEqual(code, 2)
        self.assertIn("unknown command 'extrct' (did you mean extract?)", err)
        code, stdout, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertTrue(stdout.startswith("patchjit "))

    def test_outputs_beyond_memory_are_refused_before_allocating(self):
        # To standard output, so that no filesystem's free space comes first.
        src = self.save("big.npy", np.zeros((1, 1000, 1000, 1), np.uint8))
        p = subprocess.run([PATCHJIT, "extract", "--input", src, "--output", "-", *attrs((1000, 1000), (1, 1), (1, 1), "SAME")],
                           capture_output=True)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("the output [1,1000,1000,1000000] would take 1000000000000 bytes, more than the", err)
        self.assertEqual(p.stdout, b"")

    def test_outputs_beyond_the_free_disk_space_are_refused_before_computing(self):
        # A real filesystem's real free space: the kernel's side is chosen so that the output is
        # half as large again as what is free where it would go.
        fs = os.statvfs(self.dir)
        free = fs.f_bavail * fs.f_frsize
        k = int((free * 1.5 / 1e6) ** 0.5) + 1
        if k > 1000:
            self.skipTest(f"{free} bytes free: more than a 1x1000x1000x1 uint8 input can fill")
        src = self.save("in.npy", np.zeros((1, 1000, 1000, 1), np.uint8))
        out = self.path("never.npy")
        code, stdout, err = run("extract", "--input", src, "--output", out, *attrs((k, k), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 1, err)
        lines = err.splitlines()
        self.assertEqual(len(lines), 2, err)
        expected = 1000 * 1000 * k * k  # uint8 [1,1000,1000,k*k] and a header of 128 bytes
        # Said up front (over 1 GiB), then refused with both sizes.
        self.assertRegex(lines[0], rf"^patchjit extract: the output \[1,1000,1000,{k * k}\] is {expected + 128} bytes "
                                   r"\(\d+\.\d GiB\)$")
        self.assertRegex(lines[1], rf"^patchjit extract: the output \[1,1000,1000,{k * k}\] as {out} would take "
                                   rf"{expected + 128} bytes \(\d+\.\d GiB\), more than the \d+ bytes \(\d+\.\d GiB\) "
                                   rf"free on the filesystem of {self.dir}: nothing written$")
        self.assertEqual(stdout, "")
        self.assertEqual(sorted(os.listdir(self.dir)), ["in.npy"])

    def test_says_what_ran_and_how_long_it_took(self):
        src = self.save("in.npy", np.ones((1, 6, 6, 2), np.float32))
        out = self.path("out.npy")
        code, stdout, err = run("extract", "--input", src, "--output", out, "--backend", "interp", *attrs((2, 2), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertRegex(stdout, rf"^{out}: float32 \[1,6,6,8\], 1152 bytes; kernel time \d+\.\d{{3}} ms on interp; "
                                 r"wall time \d+\.\d ms\n$")
        # llvm asked for, on a kernel over its budget (SAME 9x9: 81 border programs): the
        # interpreter serves it, and the line says so and why.
        code, stdout, err = run("info", "--shape", "1,8,8,1", "--backend", "llvm", *attrs((1, 1), (1, 1), (1, 1), "SAME"))
        if code != 0:
            self.skipTest("no llvm backend here: " + err)
        src = self.save("big.npy", np.ones((1, 32, 32, 64), np.float32))
        code, stdout, err = run("extract", "--input", src, "--output", out, "--backend", "llvm", *attrs((9, 9), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertIn("kernel time", stdout)
        self.assertRegex(stdout, r" on interp \(asked for llvm, passed over: llvm: .*budget.*\); wall time ")

    def test_flags_as_tf2_users_type_them(self):
        x = np.arange(2 * 5 * 6 * 3, dtype=np.int16).reshape(2, 5, 6, 3)
        src = self.save("in.npy", x)
        out = self.path("out.npy")
        code, _, err = run("extract", "--input", src, "--output", out, "--sizes", "1,2,3,1", "--padding", "VALID")
        self.assertEqual(code, 0, err)
        self.assertEqual(np.load(out).tobytes(), extract_patches(x, (2, 3), (1, 1), (1, 1), "VALID").tobytes())

    def test_standard_input_and_output(self):
        import io
        x = np.arange(1 * 4 * 5 * 2, dtype=np.float64).reshape(1, 4, 5, 2)
        data = io.BytesIO()
        np.save(data, x)
        p = subprocess.run([PATCHJIT, "extract", "--input", "-", "--output", "-", *attrs((2, 2), (1, 1), (1, 1), "SAME")],
                           input=data.getvalue(), capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"standard output: float64 [1,4,5,8]", p.stderr)  # the summary, not in the data
        y = np.load(io.BytesIO(p.stdout))
        self.assertEqual(y.tobytes(), extract_patches(x, (2, 2), (1, 1), (1, 1), "SAME").tobytes())
        # A file in, standard output out, and standard input in, a file out.
        src = self.save("in.npy", x)
        p = subprocess.run([PATCHJIT, "extract", "--input", src, "--output", "-", *attrs((1, 1), (1, 1), (1, 1), "VALID")],
                           capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(np.load(io.BytesIO(p.stdout)).tobytes(), x.tobytes())
        out = self.path("out.npy")
        p = subprocess.run([PATCHJIT, "extract", "--input", "-", "--output", out, *attrs((1, 1), (1, 1), (1, 1), "VALID")],
                           input=data.getvalue(), capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(np.load(out).tobytes(), x.tobytes())
        # A stream that is not one whole .npy file is an error naming standard input; nothing written.
        for bad in (b"", data.getvalue()[:-3], data.getvalue() + b"x", b"\x93NUMPY\x01\x00\xff\xff{"):
            p = subprocess.run([PATCHJIT, "extract", "--input", "-", "--output", self.path("never.npy"),
                                *attrs((1, 1), (1, 1), (1, 1), "VALID")], input=bad, capture_output=True)
            self.assertEqual(p.returncode, 1, bad)
            self.assertTrue(p.stderr.startswith(b"patchjit extract: standard input: "), p.stderr)
            self.assertFalse(os.path.exists(self.path("never.npy")))

    def test_failed_run_leaves_existing_output_unchanged(self):
        src = self.save("in.npy", np.ones((1, 4, 4, 1), np.float32))
        out = self.path("keep.npy")
        with open(out, "wb") as f:
            f.write(b"precious")
        code, _, _ = run("extract", "--input", src, "--output", out, *attrs((9, 1), (1, 1), (1, 1), "VALID"))
        self.assertEqual(code, 1)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"precious")
        self.assertEqual(sorted(os.listdir(self.dir)), ["in.npy", "keep.npy"])  # no temporary left
        code, _, err = run("extract", "--input", src, "--output", out, *attrs((2, 2), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertEqual(np.load(out).shape, (1, 4, 4, 4))
        code, _, err = run("extract", "--input", src, "--output", self.path("no/such/dir/out.npy"), *attrs((2, 2), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 1)
        self.assertIn("no/such/dir/out.npy", err)

    def test_hostile_npy_files_are_errors(self):
        def blob(header, data=b"\0" * 64, magic=b"\x93NUMPY\x01\x00"):
            text = header.encode()
            text += b" " * (-(len(magic) + 2 + len(text) + 1) % 64) + b"\n"
            return magic + len(text).to_bytes(2, "little") + text + data

        def dict_(descr="'<f4'", fortran="False", shape="(1, 4, 4, 1)"):
            return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)

        ok = blob(dict_())
        cases = {
            "empty": (b"", ""),
            "bad magic": (b"\x93NUMPZ" + ok[6:], "magic"),
            "version 9": (blob(dict_(), magic=b"\x93NUMPY\x09\x00"), "version"),
            "truncated header": (ok[:20], "truncated"),
            "truncated data": (ok[:-5], "truncated data"),
            "trailing bytes": (ok + b"xx", "after the data"),
            "big-endian": (blob(dict_(descr="'>f4'")), "big-endian"),
            "fortran order": (blob(dict_(fortran="True")), "Fortran"),
            "huge shape, short file": (blob(dict_(shape="(1000000, 1000000, 1000000, 1)")), "truncated data"),
            "overflowing shape": (blob(dict_(shape="(4611686018427387904, 4611686018427387904, 1, 1)")), ""),
            "absurd number": (blob(dict_(shape="(99999999999999999999999, 1, 1, 1)")), ""),
            "negative shape": (blob(dict_(shape="(1, -4, 4, 1)")), "negative"),
            "unknown dtype": (blob(dict_(descr="'<U1'")), "<U1"),
            "object dtype": (blob(dict_(descr="'|O'")), "|O"),
            "not a dict": (blob("[1, 2, 3]"), ""),
            "missing key": (blob("{'descr': '<f4', 'shape': (1, 4, 4, 1), }"), "fortran_order"),
        }
        out = self.path("never.npy")
        for name, (data, fragment) in cases.items():
            path = self.path(name.replace(" ", "_").replace(",", "") + ".npy")
            with open(path, "wb") as f:
                f.write(data)
            code, _, err = run("extract", "--input", path, "--output", out, *attrs((2, 2), (1, 1), (1, 1), "SAME"))
            self.assertEqual(code, 1, f"{name}: {err}")
            self.assertTrue(err.startswith("patchjit extract: " + path), f"{name}: {err}")
            self.assertIn(fragment, err, name)
            self.assertEqual(len(err.strip().splitlines()), 1, f"{name}: {err}")
            self.assertFalse(os.path.exists(out), name)
        # The well-formed file of the same construction is accepted.
        with open(self.path("ok.npy"), "wb") as f:
            f.write(ok)
        code, _, err = run("extract", "--input", self.path("ok.npy"), "--output", out, *attrs((2, 2), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)

    def test_info_prints_shape_padding_and_plan(self):
        code, stdout, err = run("info", "--shape", "1,10,10,3", "--dtype", "uint8", "--backend", "interp",
                                *attrs((3, 3), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertIn("output shape [1,10,10,27]", stdout)
        self.assertIn("padding SAME: rows 1 before, 1 after; cols 1 before, 1 after", stdout)
        self.assertIn("plan e1_10x10x3_k3x3_s1x1_r1x1_same", stdout)
        self.assertIn("regions (9)", stdout)
        code, _, err = run("info", "--shape", "1,10,10", *attrs((3, 3), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 1)
        self.assertIn("input must be 4-dimensional[1,10,10]", err)
        code, _, err = run("info", "--shape", "1,10,10,3", "--dtype", "float128", *attrs((3, 3), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 2)
        self.assertIn("unknown dtype 'float128'", err)
        code, stdout, err = run("info", "--shape", "0,10,10,3", *attrs((3, 3), (1, 1), (1, 1), "SAME"))
        self.assertEqual(code, 0, err)
        self.assertIn("empty output", stdout)

    def test_info_dumps_code_and_prints_stats(self):
        dump = self.path("kernel.bin")
        args = ["info", "--shape", "1,10,10,3", *attrs((3, 3), (1, 1), (1, 1), "SAME"), "--stats"]
        code, stdout, err = run(*args, "--backend", "xbyak", "--dump-code", dump)
        if code != 0:  # no JIT on this machine: the reason is TensorFlow-free and clear
            self.assertIn("backend xbyak", err)
            return
        self.assertIn("kernel eip_", stdout)
        self.assertIn("kernel cache: 1 entries", stdout)
        self.assertIn("1 misses", stdout)
        with open(dump, "rb") as f:
            machine_code = f.read()
        self.assertGreater(len(machine_code), 16)
        self.assertEqual(machine_code[0], 0x53)  # push rbx: the prologue
        self.assertIn(b"\xc3", machine_code)  # ret
        code, _, err = run(*args, "--backend", "interp", "--dump-code", dump)
        self.assertEqual(code, 1)
        self.assertIn("backend interp has no machine code to dump", err)


if __name__ == "__main__":
    PATCHJIT = sys.argv.pop(1)
    unittest.main(verbosity=1)
