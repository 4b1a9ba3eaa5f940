#!/usr/bin/python3
"""End-to-end tests of `patchjit fold` (docs/SEMANTICS.md §11): the gradient of extract, bit for
bit against TensorFlow's algorithm written here in numpy (every pixel's contributions added one
at a time in ascending output position, in the dtype), in every format; mode mean; the round
trip; torch.nn.functional.fold as an oracle within rounding; and its errors, with nothing
written.

    fold_test.py PATH/TO/patchjit
"""
import itertools
import os
import subprocess
import sys
import unittest

import numpy as np

from temp_dir_test import TempDirTest

PATCHJIT = None


def tf_gradient(patches, image_shape, k, s, r, pads, layout="nhwc", order="hwc", as_="rows"):
    """TensorFlow's gradient algorithm: rows (oh, ow, i, j) added in order into their pixels,
    each add in the patches' dtype (numpy rounds every += in float32/float16)."""
    n, h, w, c = image_shape if layout == "nhwc" else (image_shape[0], image_shape[2], image_shape[3], image_shape[1])
    (kr, kc), (sr, sc), (rr, rc) = k, s, r
    top, bottom, left, right = pads
    oh = (h + top + bottom - (kr + (kr - 1) * (rr - 1)) + sr) // sr
    ow = (w + left + right - (kc + (kc - 1) * (rc - 1)) + sc) // sc
    if as_ == "columns":
        patches = patches.transpose(0, 2, 1)  # [n, oh*ow, K]
    p = patches.reshape(n, oh, ow, *((kr, kc, c) if order == "hwc" else (c, kr, kc)))
    if order == "chw":
        p = p.transpose(0, 1, 2, 4, 5, 3)  # [n, oh, ow, kr, kc, c]
    image = np.zeros((n, h, w, c), dtype=patches.dtype)
    for y, x, i, j in itertools.product(range(oh), range(ow), range(kr), range(kc)):
        hh, ww = y * sr - top + i * rr, x * sc - left + j * rc
        if 0 <= hh < h and 0 <= ww < w:
            image[:, hh, ww, :] += p[:, y, x, i, j, :]
    return image if layout == "nhwc" else np.ascontiguousarray(image.transpose(0, 3, 1, 2))


def run(*args):
    p = subprocess.run([PATCHJIT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class FoldTest(TempDirTest):

    def fold(self, patches, *flags, expect=0):
        src, out = self.path("patches.npy"), self.path("image.npy")
        if os.path.exists(out):
            os.remove(out)
        np.save(src, patches)
        code, stdout, err = run("fold", "--input", src, "--output", out, *flags)
        self.assertEqual(code, expect, f"{flags}: {err}")
        if expect != 0:
            self.assertFalse(os.path.exists(out), f"{flags}: an output was left behind")
            return err
        return np.load(out)

    def extract(self, image, *flags):
        src, out = self.path("image_in.npy"), self.path("patches_out.npy")
        np.save(src, image)
        code, _, err = run("extract", "--input", src, "--output", out, *flags)
        self.assertEqual(code, 0, err)
        return np.load(out)

    def test_gradient_is_tensorflows_in_every_format(self):
        rng = np.random.default_rng(3)
        cases = [((3, 3), (1, 1), (1, 1), (1, 1, 1, 1)), ((2, 3), (2, 1), (1, 2), (0, 1, 2, 0)),
                 ((3, 2), (1, 2), (2, 1), (2, 2, 0, 3))]
        for (layout, order, as_), (k, s, r, pads), dtype in itertools.product(
                itertools.product(["nhwc", "nchw"], ["hwc", "chw"], ["rows", "columns"]), cases,
                ["float32", "float16", "int32"]):
            image_shape = (2, 6, 7, 3) if layout == "nhwc" else (2, 3, 6, 7)
            flags = ["--image-shape", ",".join(map(str, image_shape)), "--ksizes", f"1,{k[0]},{k[1]},1",
                     "--strides", f"1,{s[0]},{s[1]},1", "--rates", f"1,{r[0]},{r[1]},1",
                     "--pads", ",".join(map(str, pads)), "--layout", layout, "--patch-order", order,
                     "--patches", as_]
            image = np.zeros(image_shape, dtype=dtype)
            shape = self.extract(image, *flags[2:]).shape
            patches = (rng.standard_normal(shape) * 100).astype(dtype)
            got = self.fold(patches, *flags, "--verify")
            want = tf_gradient(patches, image_shape, k, s, r, pads, layout, order, as_)
            self.assertEqual(got.dtype, want.dtype)
            self.assertEqual(got.tobytes(), want.tobytes(), f"{layout} {order} {as_} {k} {s} {r} {pads} {dtype}")

    def test_mean_and_round_trip(self):
        rng = np.random.default_rng(4)
        image = rng.integers(-50, 50, (1, 5, 5, 2)).astype(np.float64)
        flags = ["--ksizes", "1,3,3,1", "--padding", "SAME"]
        patches = self.extract(image, *flags)
        total = self.fold(patches, "--image-shape", "1,5,5,2", *flags)
        mean = self.fold(patches, "--image-shape", "1,5,5,2", "--mode", "mean", *flags)
        cover = self.fold(np.ones_like(patches), "--image-shape", "1,5,5,2", *flags)
        np.testing.assert_array_equal(total, image * cover)
        np.testing.assert_array_equal(mean, image)  # overlap-mean reconstruction is exact here

    def test_torch_fold_agrees_within_rounding(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch is not installed (Debian python3-torch)")
        rng = np.random.default_rng(5)
        for (k, s, r, p) in [((3, 3), (1, 1), (1, 1), 1), ((2, 3), (2, 1), (1, 2), 2), ((4, 4), (2, 2), (1, 1), 1)]:
            image_shape = (2, 3, 9, 8)
            cols = torch.nn.functional.unfold(torch.zeros(image_shape), k, dilation=r, padding=p, stride=s)
            patches = rng.standard_normal(tuple(cols.shape)).astype(np.float32)
            want = torch.nn.functional.fold(torch.from_numpy(patches), image_shape[2:], k, dilation=r, padding=p,
                                            stride=s).numpy()
            got = self.fold(patches, "--format", "torch", "--image-shape", ",".join(map(str, image_shape)),
                            "--pads", f"{p},{p},{p},{p}", "--ksizes", f"1,{k[0]},{k[1]},1",
                            "--strides", f"1,{s[0]},{s[1]},1", "--rates", f"1,{r[0]},{r[1]},1")
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
            integers = rng.integers(-20, 20, patches.shape).astype(np.float32)  # exact sums: equal bits
            want = torch.nn.functional.fold(torch.from_numpy(integers), image_shape[2:], k, dilation=r, padding=p,
                                            stride=s).numpy()
            got = self.fold(integers, "--format", "torch", "--image-shape", ",".join(map(str, image_shape)),
                            "--pads", f"{p},{p},{p},{p}", "--ksizes", f"1,{k[0]},{k[1]},1",
                            "--strides", f"1,{s[0]},{s[1]},1", "--rates", f"1,{r[0]},{r[1]},1")
            self.assertEqual(got.tobytes(), want.tobytes())

    def test_errors_write_nothing(self):
        flags = ["--ksizes", "1,3,3,1", "--padding", "SAME"]
        patches = np.zeros((1, 4, 4, 18), np.float32)
        err = self.fold(patches, "--image-shape", "1,4,5,2", *flags, expect=1)
        self.assertIn("the patches [1,4,4,18]", err)
        self.assertIn("[1,4,5,18] that extract gives for the image [1,4,5,2]", err)
        self.assertIn("bool has no sum", self.fold(patches.astype(bool), "--image-shape", "1,4,4,2", *flags, expect=1))
        self.assertIn("mode mean", self.fold(patches.astype(np.int32), "--image-shape", "1,4,4,2", "--mode", "mean",
                                             *flags, expect=1))
        self.assertIn("no pad value", self.fold(patches, "--image-shape", "1,4,4,2", "--pad-value", "1", *flags,
                                                expect=1))
        self.assertIn("--mode must be sum or mean", self.fold(patches, "--image-shape", "1,4,4,2", "--mode", "max",
                                                              *flags, expect=2))
        self.assertIn("image-shape", self.fold(patches, *flags, expect=2))
        code, _, err = run("fold", "--help")
        self.assertEqual(code, 0)

    def test_info_describes_a_fold(self):
        code, out, err = run("info", "--op", "fold", "--mode", "mean", "--shape", "1,5,5,2", "--ksizes", "1,3,3,1",
                             "--padding", "SAME")
        self.assertEqual(code, 0, err)
        self.assertIn("fold (mean): patches [1,5,5,18] -> image", out)
        self.assertIn("fold plan fold_f32_5x5x2", out)
        self.assertIn("input 1800 bytes, output 200 bytes", out)
        code, _, err = run("info", "--mode", "mean", "--shape", "1,5,5,2", "--ksizes", "1,3,3,1", "--padding", "SAME")
        self.assertEqual(code, 2)
        self.assertIn("--mode is fold's", err)


if __name__ == "__main__":
    PATCHJIT = sys.argv.pop(1)
    unittest.main(verbosity=1)
