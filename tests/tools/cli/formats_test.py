#!/usr/bin/python3
"""End-to-end tests of the engine-format flags of the patchjit tool (docs/SEMANTICS.md §6-§9):
--pads, --pad-value, --layout, --patch-order, --patches, --format on extract and info. Outputs are
compared byte for byte with a numpy im2col written here from the element rule (independent of
the C++ code), and with torch.nn.functional.unfold when torch is installed.

    formats_test.py PATH/TO/patchjit
"""
import itertools
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from temp_dir_test import TempDirTest

PATCHJIT = None


def reference(x, layout, order, patches, k, s, r, pads, pad_value):
    """The element rule of SEMANTICS.md §8 with explicit pads, by numpy fancy indexing."""
    if layout == "nchw":
        x = x.transpose(0, 2, 3, 1)  # to [N, H, W, C]
    n, h, w, c = x.shape
    (kr, kc), (sr, sc), (rr, rc) = k, s, r
    top, bottom, left, right = pads
    oh = (h + top + bottom - (kr + (kr - 1) * (rr - 1)) + sr) // sr
    ow = (w + left + right - (kc + (kc - 1) * (rc - 1)) + sc) // sc
    ri = np.arange(oh)[:, None] * sr - top + np.arange(kr)[None, :] * rr  # [oh, kr]
    ci = np.arange(ow)[:, None] * sc - left + np.arange(kc)[None, :] * rc  # [ow, kc]
    rv, cv = (ri >= 0) & (ri < h), (ci >= 0) & (ci < w)
    g = x[:, np.clip(ri, 0, h - 1)[:, None, :, None], np.clip(ci, 0, w - 1)[None, :, None, :], :]
    mask = (rv[:, None, :, None] & cv[None, :, None, :])[None, ..., None]
    g = np.where(mask, g, pad_value)  # [n, oh, ow, kr, kc, c]
    if order == "chw":
        g = g.transpose(0, 1, 2, 5, 3, 4)  # [n, oh, ow, c, kr, kc]
    g = g.reshape(n, oh * ow, kr * kc * c)
    return g.reshape(n, oh, ow, -1) if patches == "rows" else np.ascontiguousarray(g.transpose(0, 2, 1))


def run(*args):
    p = subprocess.run([PATCHJIT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


class FormatsTest(TempDirTest):

    def extract(self, x, *flags):
        src = self.path("in.npy")
        out = self.path("out.npy")
        if os.path.exists(out):
            os.remove(out)
        np.save(src, x)
        code, stdout, err = run("extract", "--input", src, "--output", out, *flags)
        self.assertEqual(code, 0, f"{flags}: {err}")
        return np.load(out)

    def assert_same_bytes(self, got, want, what):
        self.assertEqual(got.shape, want.shape, what)
        self.assertEqual(got.dtype, want.dtype, what)
        self.assertEqual(got.tobytes(), want.tobytes(), what)

    def test_all_eight_formats_with_pads_and_a_pad_value(self):
        rng = np.random.default_rng(12)
        cases = [((2, 3), (1, 1), (1, 1), (1, 0, 2, 1)), ((3, 3), (2, 1), (1, 2), (2, 2, 0, 3)),
                 ((1, 2), (1, 3), (2, 1), (0, 0, 0, 0))]
        for layout, order, patches in itertools.product(["nhwc", "nchw"], ["hwc", "chw"], ["rows", "columns"]):
            for (k, s, r, pads), (dtype, value) in zip(cases, [("float32", "-inf"), ("uint8", "128"), ("int16", "-7")]):
                x = rng.integers(-100, 100, (2, 5, 6, 3)).astype(dtype)
                want = reference(x, layout, order, patches, k, s, r, pads, np.array(float(value), dtype))
                got = self.extract(x, "--layout", layout, "--patch-order", order, "--patches", patches,
                                   "--ksizes", f"1,{k[0]},{k[1]},1", "--strides", f"1,{s[0]},{s[1]},1",
                                   "--rates", f"1,{r[0]},{r[1]},1", "--pads", ",".join(map(str, pads)),
                                   "--pad-value", value, "--verify")
                self.assert_same_bytes(got, want, f"{layout} {order} {patches} {k} {s} {r} {pads} {dtype} {value}")

    def test_format_names_and_same_valid_still_work(self):
        x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
        torch_format = self.extract(x, "--format", "torch", "--ksizes", "1,2,2,1", "--padding", "VALID")
        self.assert_same_bytes(torch_format, reference(x, "nchw", "chw", "columns", (2, 2), (1, 1), (1, 1),
                                                       (0, 0, 0, 0), 0.0), "torch VALID")
        consistent = self.extract(x, "--format", "torch", "--layout", "nchw", "--patches", "columns",
                                  "--ksizes", "1,2,2,1", "--padding", "VALID")
        self.assert_same_bytes(consistent, torch_format, "a format with the flags it implies")
        tf = self.extract(x, "--format", "tf", "--ksizes", "1,3,3,1", "--padding", "SAME")
        self.assertEqual(tf.shape, (2, 3, 4, 45))
        # SAME pads a 3x3 window of a 3x4 image by one on every side.
        self.assert_same_bytes(tf, reference(x, "nhwc", "hwc", "rows", (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 0.0),
                               "tf SAME")

    def test_pad_values_are_exact_in_every_dtype(self):
        cases = [("int64", "9223372036854775807", np.int64(2**63 - 1)),
                 ("int64", "-9223372036854775808", np.int64(-2**63)),
                 ("uint64", "18446744073709551615", np.uint64(2**64 - 1)),
                 ("int8", "-128", np.int8(-128)), ("uint32", "4294967295", np.uint32(2**32 - 1)),
                 ("bool", "1", np.bool_(True)), ("float32", "nan", np.float32("nan")),
                 ("float32", "-inf", np.float32("-inf")), ("float32", "0.1", np.float32(0.1)),
                 ("float64", "inf", np.float64("inf")), ("float16", "65519", np.float16(65519.0)),
                 ("float16", "3e-8", np.float16(3e-8)), ("float16", "1.00048828125", np.float16(1.00048828125)),
                 ("complex64", "-2.5", np.complex64(-2.5)), ("complex128", "nan", np.complex128(complex("nan")))]
        for dtype, text, value in cases:
            x = np.ones((1, 2, 2, 1), dtype)
            got = self.extract(x, "--ksizes", "1,2,2,1", "--pads", "1,0,0,0", "--pad-value", text)
            self.assertEqual(got.shape, (1, 2, 1, 4))
            self.assertEqual(got[0, 0, 0, 0].tobytes(), np.array(value, dtype).tobytes(), f"{dtype} {text}")
            self.assertEqual(got[0, 0, 0, 2].tobytes(), np.array(1, dtype).tobytes(), f"{dtype} {text}")

    def test_bfloat16_pad_values_round_to_nearest_even(self):
        x = np.full((1, 1, 1, 1), 0x3f80, np.uint16)  # 1.0 in bfloat16
        for text, bits in [("1.00390625", 0x3f80), ("1.01171875", 0x3f82), ("-inf", 0xff80), ("-0", 0x8000),
                           ("3.3895e38", 0x7f7f)]:
            got = self.extract(x, "--dtype", "bfloat16", "--ksizes", "1,1,2,1", "--pads", "0,0,1,0",
                               "--pad-value", text)
            self.assertEqual(int(got.reshape(-1)[0]), bits, text)

    def expect_usage_error(self, flags, message, dtype="uint8"):
        src = self.path("in.npy")
        out = self.path("never.npy")
        np.save(src, np.zeros((1, 3, 3, 2), dtype))
        code, _, err = run("extract", "--input", src, "--output", out, "--ksizes", "1,2,2,1", *flags)
        self.assertEqual(code, 2, f"{flags}: {err}")
        self.assertIn(message, err, f"{flags}")
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertFalse(os.path.exists(out), f"{flags} wrote {out}")

    def test_bad_pad_values_are_usage_errors_naming_flag_and_range(self):
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "300"],
                                "--pad-value for uint8 must be an integer from 0 to 255, got '300'")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "-1"], "from 0 to 255, got '-1'")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "1.5"], "integer from 0 to 255")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "-129"],
                                "--pad-value for int8 must be an integer from -128 to 127", "int8")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "18446744073709551616"],
                                "from 0 to 18446744073709551615", "uint64")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "2"], "--pad-value for bool must be 0 or 1", "bool")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "1e39"], "within float32's range", "float32")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "65520"], "within half's range", "float16")
        self.expect_usage_error(["--padding", "SAME", "--pad-value", "zero"], "must be a number", "float64")

    def test_contradictions_and_bad_words_are_usage_errors(self):
        self.expect_usage_error(["--pads", "1,1,1,1", "--padding", "SAME"], "--pads and --padding exclude each other")
        self.expect_usage_error(["--format", "torch", "--layout", "nhwc", "--padding", "SAME"],
                                "--layout nhwc contradicts --format torch")
        self.expect_usage_error(["--format", "tf", "--patches", "columns", "--padding", "SAME"],
                                "--patches columns contradicts --format tf")
        self.expect_usage_error(["--layout", "nchv", "--padding", "SAME"],
                                "--layout must be nhwc or nchw, got 'nchv' (did you mean nchw?)")
        self.expect_usage_error(["--patch-order", "cwh", "--padding", "SAME"], "--patch-order must be hwc or chw")
        self.expect_usage_error(["--patches", "cols", "--padding", "SAME"], "--patches must be rows or columns")
        self.expect_usage_error(["--format", "pytorch", "--padding", "SAME"], "--format must be tf or torch")
        self.expect_usage_error(["--pads", "1,1,1"], "--pads must be four integers T,B,L,R")
        self.expect_usage_error([], "missing --padding (SAME or VALID, or --pads T,B,L,R)")

    def test_negative_pads_are_errors_naming_the_side(self):
        src = self.path("in.npy")
        out = self.path("never.npy")
        np.save(src, np.zeros((1, 3, 3, 2), np.float32))
        code, _, err = run("extract", "--input", src, "--output", out, "--ksizes", "1,2,2,1", "--pads", "0,0,-2,0")
        self.assertEqual(code, 1, err)
        self.assertIn("the left padding must be non-negative", err)
        self.assertFalse(os.path.exists(out))

    def test_info_prints_the_format(self):
        code, out, err = run("info", "--shape", "1,3,5,5", "--ksizes", "1,3,3,1", "--format", "torch",
                             "--pads", "1,1,1,1", "--dtype", "uint8", "--pad-value", "128")
        self.assertEqual(code, 0, err)
        self.assertIn("pads [1,1,1,1]", out)
        self.assertIn("output shape [1,27,25]", out)
        self.assertIn("format: layout nchw, patch order chw, patches as columns", out)
        self.assertIn("pad value: 0x80", out)
        code, out, err = run("info", "--shape", "1,5,5,4", "--ksizes", "1,3,3,1", "--padding", "VALID",
                             "--input-strides", "0,0,8", "--output-strides", "40,0")
        self.assertEqual(code, 0, err)
        self.assertIn("input strides (elements): image 200, row 40, pixel 8", out)
        self.assertIn("output strides (elements): leading dimension 40", out)
        code, _, err = run("info", "--shape", "1,5,5,4", "--ksizes", "1,3,3,1", "--padding", "VALID",
                           "--output-strides", "30,0")
        self.assertEqual(code, 1, err)
        self.assertIn("patches", err)

    def test_torch_format_equals_torch_unfold(self):
        if not torch_available():
            print("\nskipped: torch is not importable by /usr/bin/python3 (Debian python3-torch); "
                  "--format torch was checked against numpy only", file=sys.stderr)
            return
        import torch
        rng = np.random.default_rng(5)
        for (k, s, r, p) in [((3, 3), (1, 1), (1, 1), 1), ((2, 3), (2, 1), (1, 2), 2), ((1, 1), (3, 2), (1, 1), 0)]:
            x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
            want = torch.nn.functional.unfold(torch.from_numpy(x), kernel_size=k, dilation=r, padding=p,
                                              stride=s).numpy()
            got = self.extract(x, "--format", "torch", "--pads", f"{p},{p},{p},{p}",
                               "--ksizes", f"1,{k[0]},{k[1]},1", "--strides", f"1,{s[0]},{s[1]},1",
                               "--rates", f"1,{r[0]},{r[1]},1")
            self.assert_same_bytes(got, want, f"unfold {k} {s} {r} {p}")


if __name__ == "__main__":
    PATCHJIT = sys.argv.pop(1)
    unittest.main(verbosity=1)
