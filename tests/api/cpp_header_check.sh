#!/bin/sh
# patchjit.hpp under a compiler's strictest warnings: clean at C++17 and C++20 with -Wconversion
# and -Wsign-conversion as errors, and a clear #error below C++17. Fails if the compiler cannot
# run at all.
#   cpp_header_check.sh CXX INCLUDE_DIR SOURCE
set -eu
cxx=$1 include=$2 source=$3
for std in c++17 c++20; do
  "$cxx" -std=$std -fsyntax-only -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Werror \
    -I "$include" "$source" || { echo "patchjit.hpp is not clean at -std=$std"; exit 1; }
done
if "$cxx" -std=c++14 -fsyntax-only -I "$include" "$source" 2>"${TMPDIR:-/tmp}/pj_hpp_check.$$"; then
  echo "patchjit.hpp compiled at -std=c++14 without its #error"; exit 1
fi
grep -q 'patchjit.hpp needs C++17 or later' "${TMPDIR:-/tmp}/pj_hpp_check.$$" || {
  echo "below C++17 the compiler said something else:"; cat "${TMPDIR:-/tmp}/pj_hpp_check.$$"; exit 1; }
rm -f "${TMPDIR:-/tmp}/pj_hpp_check.$$"
echo "patchjit.hpp: clean at C++17 and C++20, refused below C++17 ($cxx)"
