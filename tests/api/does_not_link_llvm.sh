#!/bin/sh
# LLVM is a plugin: the library must not pull it into every process. Fails if ldd fails, if it
# lists nothing (not a dynamic library), or if it lists LLVM.
#   does_not_link_llvm.sh LIBRARY
set -eu
deps=$(ldd "$1")
echo "$deps" | grep -q 'libc\.so' || { echo "ldd $1 lists no C library:"; echo "$deps"; exit 1; }
if echo "$deps" | grep -i 'libLLVM'; then
  echo "$1 links LLVM"
  exit 1
fi
echo "$1 does not link LLVM"
