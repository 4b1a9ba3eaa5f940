"""Several Python threads at once, and the GIL released while a kernel runs."""
import threading
import time

import numpy as np

import patchjit
import reference
from conftest import random_image, random_spec
from reference import assert_same


def test_many_threads_many_signatures():
    failures = []
    cases = []
    rng = np.random.default_rng(5)
    while len(cases) < 24:
        shape, k, s, r, padding = random_spec(rng)
        images = random_image(rng, shape, [np.float32, np.uint8, np.int64, np.complex128][len(cases) % 4])
        try:
            cases.append((images, (k, s, r, padding), reference.extract(images, k, s, r, padding)))
        except reference.ReferenceError:
            pass
    kernels = [patchjit.Kernel(images.dtype, images.shape, *args) for images, args, _ in cases]
    start = threading.Barrier(6)

    def work(t):
        try:
            start.wait()
            for round in range(30):
                i = (t * 7 + round) % len(cases)
                images, args, want = cases[i]
                assert_same(patchjit.extract_image_patches(images, *args, threads=1 + round % 2), want)
                assert_same(kernels[i](images), want)
        except Exception as e:  # reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[0]


def test_gil_is_released_while_a_kernel_runs():
    # A Python thread keeps stamping the time; with the GIL released during the call it stamps
    # inside the call's middle, which it could never do if the call held the GIL.
    images = np.random.default_rng(0).standard_normal((1, 96, 96, 32)).astype(np.float32)
    kernel = patchjit.Kernel(np.float32, images.shape, [1, 5, 5, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME",
                             backend="reference")
    stamps, done = [], threading.Event()

    def stamp():
        while not done.is_set():
            stamps.append(time.perf_counter())

    for _ in range(3):  # a busy machine may starve the stamper once
        stamps.clear()
        done.clear()
        thread = threading.Thread(target=stamp)
        thread.start()
        while not stamps:
            time.sleep(0.001)
        t0 = time.perf_counter()
        kernel(images, threads=1)
        t1 = time.perf_counter()
        done.set()
        thread.join()
        assert t1 - t0 > 0.02, "the call is too short to tell"
        middle = (t0 + 0.25 * (t1 - t0), t1 - 0.25 * (t1 - t0))
        if any(middle[0] < s < middle[1] for s in stamps):
            return
    raise AssertionError("no Python thread ran while the kernel ran: the GIL was held")
