#!/bin/bash
# The main job: installs dependencies, builds patchjit, and shows it working on a generated image
# and on a realistic convolution-layer shape, each backend verified against the golden reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
patchjit=build/bin/patchjit
py=/usr/bin/python3
demo=build/demo
mkdir -p "$demo"
backends=$($patchjit --version >/dev/null && echo "reference interp xbyak llvm auto")

echo "== 1. ViT-style patchify of a generated 96x128 RGB image: 16x16 patches, stride 16, VALID"
$py - "$demo/image.npy" <<'PY'
import sys, numpy as np
y, x = np.mgrid[0:96, 0:128]
r = np.hypot(y - 48, x - 64)
image = np.stack([(x * 2) % 256, (y * 2.6) % 256, 128 + 127 * np.sin(r / 4)], -1).astype(np.uint8)
np.save(sys.argv[1], image[None])
print(f"   image {image.shape[0]}x{image.shape[1]}x3 uint8 -> {sys.argv[1]}")
PY
for b in $backends; do
  $patchjit extract --input "$demo/image.npy" --output "$demo/patches_$b.npy" --ksizes 1,16,16,1 \
    --strides 1,16,16,1 --rates 1,1,1,1 --padding VALID --backend "$b" --verify 2>&1 | sed 's/^/   /' || true
done
$py - "$demo/image.npy" "$demo/patches_auto.npy" <<'PY'
import sys, numpy as np
image, patches = np.load(sys.argv[1]), np.load(sys.argv[2])
i, j = 2, 5
block = image[0, 16 * i:16 * i + 16, 16 * j:16 * j + 16, :].reshape(-1)
print(f"   patches {patches.shape}; patch ({i},{j}) equals image rows 32-47, cols 80-95:",
      bool((patches[0, i, j] == block).all()))
PY

echo
echo "== 2. A ResNet layer's im2col: float32 1x56x56x64, 3x3 kernel, stride 1, SAME"
$py - "$demo/conv.npy" <<'PY'
import sys, numpy as np
np.save(sys.argv[1], np.random.default_rng(7).standard_normal((1, 56, 56, 64)).astype(np.float32))
PY
for b in $backends; do
  $patchjit extract --input "$demo/conv.npy" --output "$demo/conv_$b.npy" --ksizes 1,3,3,1 \
    --strides 1,1,1,1 --rates 1,1,1,1 --padding SAME --backend "$b" --verify 2>&1 | sed 's/^/   /' || true
done
echo
echo "== 3. The plan behind it (patchjit info)"
$patchjit info --shape 1,56,56,64 --dtype float32 --ksizes 1,3,3,1 --strides 1,1,1,1 --rates 1,1,1,1 \
  --padding SAME | sed 's/^/   /' | head -24
echo
echo "== 4. Warm timings of the same layer against the generic implementations (patchjit bench)"
$patchjit bench --shape 1,56,56,64 --dtype float32 --ksizes 1,3,3,1 --strides 1,1,1,1 \
  --rates 1,1,1,1 --padding SAME --min-time 0.05 --repetitions 3 2>&1 | sed 's/^/   /'
echo
echo "== 5. From Python (build/python): the seed's call on a numpy image and on a torch tensor"
if [[ -d build/python/patchjit ]]; then
  PYTHONPATH=build/python $py - "$demo/conv.npy" <<'PY' 2>&1 | sed 's/^/   /'
import sys, time, numpy as np, patchjit
image = np.load(sys.argv[1])
patches = patchjit.extract_image_patches(image, ksizes=[1, 3, 3, 1], strides=[1, 1, 1, 1],
                                         rates=[1, 1, 1, 1], padding="SAME")
cli = np.load(sys.argv[1].replace("conv.npy", "conv_auto.npy"))
print(f"numpy {image.shape} -> {type(patches).__name__} {patches.shape}; same bytes as the CLI's:",
      patches.tobytes() == cli.tobytes())
try:
    import torch
    t = patchjit.extract_patches(torch.from_numpy(image), sizes=[1, 3, 3, 1], strides=[1, 1, 1, 1],
                                 rates=[1, 1, 1, 1], padding="SAME")
    print(f"torch {tuple(image.shape)} -> {type(t).__module__}.{type(t).__name__} {tuple(t.shape)}; equal:",
          bool((t.numpy() == patches).all()))
except ImportError:
    print("(torch is not installed: skipped)")
try:
    patchjit.extract_image_patches(image, ksizes=[1, 0, 3, 1], strides=[1, 1, 1, 1], rates=[1, 1, 1, 1],
                                   padding="SAME")
except patchjit.OutOfRangeError as e:
    print(f"ksizes [1,0,3,1] -> patchjit.OutOfRangeError: {e}")
kernel = patchjit.Kernel("float32", image.shape, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
out = np.empty(kernel.output_shape, np.float32)
kernel(image, out=out, threads=1)
n, t0 = 2000, time.perf_counter()
for _ in range(n):
    kernel(image, out=out, threads=1)
print(f"{kernel!r}: {(time.perf_counter() - t0) / n * 1e6:.0f} us per warm call")
PY
else
  echo "   (the Python package was not built: pybind11 or numpy missing)"
fi
echo
echo "demo: done. Times in parts 1 and 2 are single cold runs (first touch of the output included);"
echo "part 4 gives medians of warm runs. Full suite: build/bin/patchjit bench --suite"
