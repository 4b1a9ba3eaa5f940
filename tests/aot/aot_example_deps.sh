#!/bin/sh
# The example deployment of ahead-of-time kernels needs the C library and nothing else: ldd lists
# no libpatchjit, LLVM, Xbyak or C++ library; every undefined symbol of the program is glibc's
# (or one of the weak hooks of the C start-up files); the kernels' object has no undefined
# symbol at all.
#   aot_example_deps.sh PROGRAM OBJECT
set -eu
program=$1 object=$2
status=0

libraries=$(ldd "$program")
echo "ldd $program:"
echo "$libraries"
unexpected=$(echo "$libraries" | grep -v -E '^[[:space:]]*(linux-vdso\.so|linux-gate\.so|libc\.so|/lib[^ ]*/ld-linux[^ ]*\.so)' || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: the program needs more than the C library:"
  echo "$unexpected"
  status=1
fi

undefined=$(nm -u "$program")
unexpected=$(echo "$undefined" | grep -v -E '@GLIBC_|^[[:space:]]*w (__gmon_start__|_ITM_[A-Za-z]+TMCloneTable)$' | grep . || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: undefined symbols that glibc does not define:"
  echo "$unexpected"
  status=1
fi
if echo "$undefined" | grep -q -i -E 'pj_|llvm|xbyak'; then
  echo "FAIL: the program refers to patchjit, LLVM or Xbyak"
  status=1
fi

undefined=$(nm -u "$object")
if [ -n "$undefined" ]; then
  echo "FAIL: $object has undefined symbols (kernels must call nothing):"
  echo "$undefined"
  status=1
fi
[ "$status" = 0 ] && echo "ok: $program needs only the C library; $object needs nothing"
exit $status
