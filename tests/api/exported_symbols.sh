#!/bin/sh
# Only pj_ symbols leave the shared library: fails if nm fails, if the library exports no pj_
# symbol at all, or if it exports any other.
#   exported_symbols.sh LIBRARY
set -eu
symbols=$(nm -D --defined-only "$1" | awk '{print $3}')   # set -e: a failing nm fails the test
[ -n "$symbols" ] || { echo "no exported symbols in $1"; exit 1; }
echo "$symbols" | grep -q '^pj_kernel_create$' || { echo "pj_kernel_create is not exported by $1"; exit 1; }
others=$(echo "$symbols" | grep -v '^pj_' || true)
if [ -n "$others" ]; then
  echo "symbols other than pj_ exported by $1:"
  echo "$others"
  exit 1
fi
echo "$(echo "$symbols" | wc -l) symbols, all pj_"
