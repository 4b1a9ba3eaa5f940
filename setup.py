"""pip's entry: builds patchjit with its own CMake and packs one self-contained package directory.

The extension, libpatchjit and its plugins (llvm, aot) go side by side in patchjit/ (the
extension's RUNPATH is $ORIGIN, and libpatchjit finds its plugins beside itself). Metadata is in
pyproject.toml. Environment: CMAKE_ARGS (extra configure arguments), CMAKE_BUILD_PARALLEL_LEVEL.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = Path(self.build_temp).resolve() / "cmake"
        stage = Path(self.build_temp).resolve() / "stage"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
            "-DPATCHJIT_BUILD_TESTS=OFF", "-DPATCHJIT_BUILD_BENCH=OFF", "-DPATCHJIT_BUILD_TOOLS=OFF",
            "-DPATCHJIT_BUILD_PYTHON=ON", f"-DPython_EXECUTABLE={sys.executable}",
            # One directory for everything: the package is the library directory.
            "-DCMAKE_INSTALL_LIBDIR=patchjit", "-DPATCHJIT_PYTHON_INSTALL_DIR=.",
        ] + shlex.split(os.environ.get("CMAKE_ARGS", ""))
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build)], check=True)  # the library, its plugins, the extension
        shutil.rmtree(stage, ignore_errors=True)
        subprocess.run(["cmake", "--install", str(build), "--prefix", str(stage)], check=True)
        target = Path(self.get_ext_fullpath(ext.name)).parent
        target.mkdir(parents=True, exist_ok=True)
        for path in (stage / "patchjit").iterdir():
            name = path.name
            if re.fullmatch(r"libpatchjit\.so\.\d+", name):
                shutil.copy2(path.resolve(), target / name)  # the SONAME the extension needs, as a file
            elif path.is_file() and not path.is_symlink() and not name.startswith("libpatchjit.so"):
                shutil.copy2(path, target / name)  # the extension, the plugins, the package's files


setup(
    ext_modules=[Extension("patchjit._patchjit", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build/pip"}},
)
