#!/bin/bash
# Installs patchjit into a fresh prefix, configures examples/consumer against the installed
# CMake package (find_package(patchjit)), builds it and runs its programs.
#   install_consumer_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# The llvm backend's plugin is installed beside the library that loads it.
if [[ -e "$build/lib/libpatchjit_llvm.so" && ! -e "$work/prefix/lib/libpatchjit_llvm.so" ]]; then
  echo "libpatchjit_llvm.so was not installed beside libpatchjit.so" >&2
  exit 1
fi
cmake -S "$source/examples/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer_c"
"$work/build/consumer_cpp"
# The same C program through pkg-config, and the documents the headers cite.
pc_dir=$(dirname "$(find "$work/prefix" -name patchjit.pc -print -quit)")
[[ -d "$pc_dir" ]] || { echo "patchjit.pc was not installed" >&2; exit 1; }
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs patchjit)
cc -std=c99 "$source/examples/consumer/main.c" $flags -o "$work/consumer_pkgconfig"
"$work/consumer_pkgconfig"
# Statically linked, when the build made libpatchjit.a: no libpatchjit.so needed at run time.
if [[ -e "$build/lib/libpatchjit.a" ]]; then
  static_flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs patchjit-static)
  cc -std=c99 "$source/examples/consumer/main.c" $static_flags -o "$work/consumer_static"
  deps=$(ldd "$work/consumer_static")   # set -e: a failing ldd fails the test
  if grep -q libpatchjit <<<"$deps"; then
    echo "consumer_static still needs libpatchjit.so" >&2; exit 1
  fi
  "$work/consumer_static"
fi
for doc in SEMANTICS.md ARCHITECTURE.md; do
  [[ -f "$work/prefix/share/doc/patchjit/$doc" ]] || { echo "docs/$doc was not installed" >&2; exit 1; }
done
