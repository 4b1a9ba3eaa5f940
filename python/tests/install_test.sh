#!/bin/bash
# Installs patchjit into a fresh prefix and imports the installed package with the interpreter it
# was built for: the extension must load the prefix's libpatchjit (a relative RUNPATH), not the
# build tree's, and run a kernel on every backend the build has.
#   install_test.sh BUILD_DIR WORK_DIR PYTHON SITE_DIR   (SITE_DIR relative to the prefix)
set -euo pipefail
build=$1 work=$2 python=$3 site=$4
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
package="$work/prefix/$site/patchjit"
for f in __init__.py _patchjit.pyi py.typed; do
  [[ -e "$package/$f" ]] || { echo "install_test: $package/$f missing" >&2; exit 1; }
done
extension=$(ls "$package"/_patchjit*.so)
if ! readelf -d "$extension" | grep -q 'RUNPATH.*\$ORIGIN'; then
  echo "install_test: $extension has no \$ORIGIN-relative RUNPATH:" >&2
  readelf -d "$extension" | grep -E 'RPATH|RUNPATH' >&2
  exit 1
fi
cd "$work"  # away from the source and build trees
PYTHONPATH="$work/prefix/$site" "$python" - "$work/prefix" <<'PY'
import sys
import numpy as np
import patchjit
prefix = sys.argv[1]
assert patchjit.__file__.startswith(prefix), patchjit.__file__
x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
for backend in ("auto", "interp", "reference", "xbyak", "llvm"):
    if patchjit.backend_available(backend):
        p = patchjit.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME", backend=backend)
        assert p[0, 2, 2].tolist() == [8, 0, 0, 0], (backend, p[0, 2, 2])
libraries = [line.split()[-1] for line in open("/proc/self/maps") if "libpatchjit" in line]
assert libraries and all(path.startswith(prefix) for path in libraries), set(libraries)
print("install_test: the installed package runs from", prefix)
PY
