#!/usr/bin/python3
"""End-to-end tests of `patchjit aot`: a manifest -> NAME.o and NAME.h for x86-64-v3, x86-64-v4
and native; the object links into a position-independent executable and a shared library and
has no undefined symbol; the header compiles as strict C99 and as C++; the example program
(examples/aot/main.c) built against the output checks every kernel the CPU can run against
TensorFlow's rule; bad CPUs, bad manifests and bad flags fail with their reason and write
nothing, as does a kernel over the llvm budget; progress shows on a terminal only.

    aot_test.py PATH/TO/patchjit SOURCE_DIR
"""
import os
import pty
import subprocess
import sys
import tempfile
import unittest

from temp_dir_test import TempDirTest

PATCHJIT = None
SOURCE = None
CC = os.environ.get("CC", "cc")
CXX = os.environ.get("CXX", "c++")

ATTRS = "--ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME"


def run(*args, **kwargs):
    p = subprocess.run([PATCHJIT, *args], capture_output=True, text=True, **kwargs)
    return p.returncode, p.stdout, p.stderr


def shell(*args, cwd=None):
    p = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p.stdout


class AotTest(TempDirTest):

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def aot(self, manifest, cpu, name=None, out="out"):
        args = ["aot", "--manifest", manifest, "--cpu", cpu, "--output-dir", self.path(out)]
        if name:
            args += ["--name", name]
        return run(*args)

    def test_each_cpu_gives_an_object_and_header_that_link_and_run(self):
        manifest = os.path.join(SOURCE, "examples", "aot", "kernels.manifest")
        include = os.path.join(SOURCE, "include")
        for cpu in ["x86-64-v3", "x86-64-v4", "native"]:
            with self.subTest(cpu=cpu):
                out = "out_" + cpu
                code, stdout, stderr = self.aot(manifest, cpu, name="example_kernels", out=out)
                self.assertEqual(code, 0, stderr)
                self.assertEqual(stderr, "")  # no progress when stderr is not a terminal
                self.assertRegex(stdout, r"^patchjit aot: 5 kernels \(5 signatures\) for \S+, (16|32|64)-byte vectors: "
                                         r".*example_kernels\.o \(\d+ bytes\), .*example_kernels\.h in \d+\.\d+ s\n$")
                if cpu != "native":
                    self.assertIn(f"for {cpu}, {32 if cpu == 'x86-64-v3' else 64}-byte vectors", stdout)
                obj, header = self.path(out, "example_kernels.o"), self.path(out, "example_kernels.h")
                self.assertEqual(sorted(os.listdir(self.path(out))), ["example_kernels.h", "example_kernels.o"])
                self.assertEqual(shell("nm", "-u", obj), "")
                symbols = shell("nm", "--defined-only", "-g", obj).split()
                self.assertIn("example_kernels_kernels", symbols)
                self.assertIn("example_kernels_e4_56x56x64_k3x3_s1x1_r1x1_same", symbols)
                self.assertIn("example_kernels_e2_28x28x256_k3x3_s1x1_r2x2_same", symbols)
                self.assertEqual(len([s for s in symbols if s.startswith("example_kernels_e")]), 5)
                with open(header) as f:
                    text = f.read()
                self.assertIn("#define EXAMPLE_KERNELS_KERNEL_COUNT 5", text)
                self.assertIn("extern const pj_aot_kernel example_kernels_kernels[EXAMPLE_KERNELS_KERNEL_COUNT];", text)
                self.assertIn("void example_kernels_e1_224x224x3_k7x7_s2x2_r1x1_same(const pj_aot_args* args);", text)
                # Position-independent: a shared library with no text relocations, and a PIE.
                shell(CC, "-shared", "-Wl,-z,text", "-Wl,--no-undefined", obj, "-o", self.path(out, "libk.so"))
                # The header as strict C99 and as C++, and the example built against it.
                shell(CC, "-std=c99", "-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-I", self.path(out),
                      "-I", include, "-fPIE", "-pie", os.path.join(SOURCE, "examples", "aot", "main.c"), obj,
                      "-o", self.path(out, "example"))
                shell(CXX, "-x", "c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                      "-I", self.path(out), "-I", include, header)
                result = shell(self.path(out, "example"))
                self.assertRegex(result, r"(\d) of \1 kernels identical to TensorFlow's rule")

    def test_signatures_share_kernels_and_empty_outputs_are_noted(self):
        manifest = self.write("m.txt", "\n".join([
            "# two dtypes of 4 bytes and two batches: one kernel",
            f"--shape 1,20,20,8 --dtype float32 {ATTRS}",
            f"--shape 4,20,20,8 --dtype int32 {ATTRS}",
            f"--shape 1,20,20,8 --dtype uint8 {ATTRS}",
            "--shape 1,2,2,3 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding VALID  # empty",
        ]) + "\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v3", name="k")
        self.assertEqual(code, 0, stderr)
        self.assertIn("patchjit aot: 2 kernels (4 signatures) for x86-64-v3", stdout)
        self.assertEqual(stderr, f"patchjit aot: {manifest}:5: note: the output [1,0,0,27] is empty for every batch: no kernel\n")
        symbols = shell("nm", "--defined-only", "-g", self.path("out", "k.o")).split()
        self.assertEqual(sorted(s for s in symbols if s.startswith("k_")),
                         ["k_e1_20x20x8_k3x3_s1x1_r1x1_same", "k_e4_20x20x8_k3x3_s1x1_r1x1_same", "k_kernels"])

    def test_fold_lines_make_fold_kernels_and_unserved_folds_name_their_line(self):
        manifest = self.write("m.txt", "\n".join([
            f"--op fold --shape 1,20,20,8 --dtype float32 {ATTRS}",
            f"--op fold --shape 4,20,20,8 --dtype float32 {ATTRS}   # another batch: the same kernel",
            f"--op fold --shape 1,20,20,8 --dtype int32 {ATTRS}     # another dtype: adds of its own",
            f"--op fold --mode mean --shape 1,20,20,8 {ATTRS}",
            f"--shape 1,20,20,8 --dtype float32 {ATTRS}             # extract of the signature",
        ]) + "\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v3", name="k")
        self.assertEqual(code, 0, stderr)
        self.assertIn("patchjit aot: 4 kernels (5 signatures) for x86-64-v3", stdout)
        symbols = shell("nm", "--defined-only", "-g", self.path("out", "k.o")).split()
        self.assertEqual(sorted(s for s in symbols if s.startswith("k_")),
                         ["k_e4_20x20x8_k3x3_s1x1_r1x1_same", "k_fold_f32_20x20x8_k3x3_s1x1_r1x1_same",
                          "k_fold_f32_20x20x8_k3x3_s1x1_r1x1_same_mean", "k_fold_i32_20x20x8_k3x3_s1x1_r1x1_same",
                          "k_kernels"])
        with open(self.path("out", "k.h")) as f:
            text = f.read()
        self.assertIn("Fold (the sum: the gradient): input patches [N,20,20,72]", text)
        self.assertIn("pj_aot_args args = {input, output, 0, batch * 20};", text)
        # Torch's fold at column stride 2 has no compiled kernel (the interpreter runs it): said,
        # nothing written.
        manifest = self.write("t.txt", f"--op fold --shape 1,8,8,3 {ATTRS}\n"
                                       "--op fold --shape 1,3,8,8 --ksizes 1,3,3,1 --format torch --pads 1,1,1,1\n"
                                       f"--mode mean --shape 1,8,8,3 {ATTRS}\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v3", out="torch")
        self.assertEqual((code, stdout), (1, ""), stderr)
        self.assertEqual(stderr, f"patchjit aot: {manifest}:3: --mode is fold's: give --op fold\n")
        manifest = self.write("t.txt", f"--op fold --shape 1,8,8,3 {ATTRS}\n"
                                       "--op fold --shape 1,3,8,8 --ksizes 1,3,3,1 --strides 1,2,2,1 --format torch "
                                       "--pads 1,1,1,1\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v3", out="torch")
        self.assertEqual((code, stdout), (1, ""), stderr)
        self.assertRegex(stderr, rf"^patchjit aot: {manifest}:2: fold's JIT sums whole pixels.*"
                                 r" \(there is no ahead-of-time kernel for it\)\n$")
        self.assertFalse(os.path.exists(self.path("torch")))

    def test_a_bad_cpu_is_named_with_valid_ones_and_nothing_is_written(self):
        manifest = self.write("m.txt", f"--shape 1,8,8,3 {ATTRS}\n")
        code, stdout, stderr = self.aot(manifest, "skylake-avx513")
        self.assertEqual(code, 1)
        self.assertRegex(stderr, r"^patchjit aot: unknown CPU 'skylake-avx513' for x86_64\S*: expected native or one "
                                 r"of LLVM's \d+ CPU names for this target, such as skylake-avx512, ")
        self.assertFalse(os.path.exists(self.path("out")))
        code, _, stderr = self.aot(manifest, "i686")
        self.assertEqual(code, 1)
        self.assertIn("cannot run 64-bit code", stderr)

    def test_a_bad_manifest_names_every_bad_line_and_writes_nothing(self):
        os.makedirs(self.path("out"))
        self.write(os.path.join("out", "patchjit_kernels.h"), "old header\n")
        manifest = self.write("m.txt", "\n".join([
            f"--shape 1,8,8,3 {ATTRS}",
            f"--shape 1,8,8,3 --colour red {ATTRS}",
            "",
            "--shape 1,8,8,3 --ksizes 2,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME",
            f"--shape 1,8,x,3 {ATTRS}",
        ]) + "\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v3")
        self.assertEqual(code, 1)
        self.assertEqual(stdout, "")
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 3, stderr)
        self.assertEqual(lines[0], f"patchjit aot: {manifest}:2: unknown flag --colour")
        self.assertTrue(lines[1].startswith(f"patchjit aot: {manifest}:4: Only support ksizes across space."), lines[1])
        self.assertEqual(lines[2], f"patchjit aot: {manifest}:5: --shape must be comma-separated integers, got '1,8,x,3'")
        self.assertEqual(os.listdir(self.path("out")), ["patchjit_kernels.h"])
        with open(self.path("out", "patchjit_kernels.h")) as f:
            self.assertEqual(f.read(), "old header\n")
        # A manifest without kernels, and one that cannot be read.
        empty = self.write("empty.txt", "# nothing\n\n")
        code, _, stderr = self.aot(empty, "x86-64-v3")
        self.assertEqual((code, stderr), (1, f"patchjit aot: {empty}: no kernels to make: the manifest has no "
                                             "signature with a non-empty output\n"))
        code, _, stderr = self.aot(self.path("missing.txt"), "x86-64-v3")
        self.assertEqual((code, stderr), (1, f"patchjit aot: {self.path('missing.txt')}: No such file or directory\n"))
        self.assertEqual(os.listdir(self.path("out")), ["patchjit_kernels.h"])

    def test_a_kernel_over_the_llvm_budget_names_its_line_and_writes_nothing(self):
        manifest = self.write("m.txt", f"--shape 1,8,8,3 {ATTRS}\n"
                                       "--shape 1,32,32,64 --ksizes 1,9,9,1 --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME\n")
        code, stdout, stderr = self.aot(manifest, "x86-64-v4")
        self.assertEqual((code, stdout), (1, ""), stderr)
        self.assertRegex(stderr, rf"^patchjit aot: {manifest}:2: kernel patchjit_kernels_e4_32x32x64_k9x9_s1x1_r1x1_same "
                                 r"would take about \d+ bytes of code and \d+ loops, over the llvm budget of 262144 bytes "
                                 r"and 256 loops: the llvm JIT runs it with the interpreter, and there is no ahead-of-time "
                                 r"kernel for it\n$")
        self.assertFalse(os.path.exists(self.path("out")))

    def test_the_commands_own_flags_are_usage_errors(self):
        manifest = self.write("m.txt", f"--shape 1,8,8,3 {ATTRS}\n")
        for args, message in [
            (["aot", "--manifest", manifest, "--cpu", "native"], "missing --output-dir"),
            (["aot", "--manifest", manifest, "--cpu", "native", "--output-dir", self.dir, "--opt", "3"],
             "unknown flag --opt"),
            (["aot", "--manifest", manifest, "--cpu", "native", "--output-dir", self.dir, "--name", "my-kernels"],
             "--name must be a C identifier ([A-Za-z_][A-Za-z0-9_]*): it prefixes every symbol, got 'my-kernels'"),
        ]:
            code, _, stderr = run(*args)
            self.assertEqual((code, stderr), (2, f"patchjit aot: {message}\n"), args)
        self.assertEqual(sorted(os.listdir(self.dir)), ["m.txt"])

    def test_progress_shows_on_a_terminal(self):
        manifest = self.write("m.txt", "".join(f"--shape 1,{8 + i},9,3 {ATTRS}\n" for i in range(3)))
        main, secondary = pty.openpty()
        try:
            p = subprocess.run([PATCHJIT, "aot", "--manifest", manifest, "--cpu", "x86-64-v3", "--output-dir",
                                self.path("out")], stdout=subprocess.PIPE, stderr=secondary, text=True)
            os.close(secondary)
            shown = b""
            while True:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the terminal is closed: all read
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            os.close(main)
        self.assertEqual(p.returncode, 0)
        shown = shown.decode()
        # One counter over both phases: three kernels optimized, then their machine code.
        self.assertRegex(shown, r"\[1/6\] e4_8x9x3_k3x3_s1x1_r1x1_same  optimizing  \d+\.\d s")
        self.assertRegex(shown, r"\[4/6\] e4_8x9x3_k3x3_s1x1_r1x1_same  machine code  \d+\.\d s")
        self.assertRegex(shown, r"\[6/6\] e4_10x9x3_k3x3_s1x1_r1x1_same  machine code  \d+\.\d s")
        self.assertNotRegex(shown, r"\[\d/3\]")
        self.assertTrue(shown.endswith("\r\x1b[K"), repr(shown[-40:]))  # cleared at the end
        self.assertIn("patchjit aot: 3 kernels", p.stdout)


if __name__ == "__main__":
    PATCHJIT, SOURCE = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
