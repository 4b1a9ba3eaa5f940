#!/bin/bash
# Installs what patchjit needs to build, test and benchmark, from Debian's packages only.
# Idempotent: packages already installed are skipped, and nothing runs when none is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git ca-certificates   # toolchain
  libxbyak-dev                                            # x86-64 JIT assembler (header-only)
  llvm-19-dev                                             # LLVM ORC JIT backend
  libgtest-dev libgmock-dev                               # tests
  libbenchmark-dev libbenchmark-tools                     # benchmarks and compare.py
  libeigen3-dev                                           # the Eigen peer (TensorFlow's CPU kernel)
  libhalide14-0-dev                                       # the hand-scheduled Halide peer (bench/peers/halide)
  python3 python3-numpy                                   # .npy files in the CLI tests and the demo
  python3-dev pybind11-dev python3-pybind11 python3-pytest  # the Python package (python/) and its tests
  python3-torch                                           # torch interop and F.unfold as a test oracle
  libtorch-dev                                            # the unfold peer and pj_torch_bench (F.unfold, F.fold)
  python3-scipy                                           # compare.py (patchjit bench JSON, two runs)
  clang-19 libclang-rt-19-dev                             # libFuzzer, and the ASan/UBSan build
  valgrind                                                # the AVX2 kernels under memcheck
  pkgconf                                                 # the install test checks patchjit.pc
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
