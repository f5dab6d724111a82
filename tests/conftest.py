import contextlib
import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core: each gets one thread, or the backends' thread pools
    # (sized for the whole machine) fight over the cores. Set before any backend is imported; the recipes,
    # scripts and fresh environments the tests start inherit them.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

# The suite's programs are tiny and run a few times each: XLA's LLVM optimisation costs more than it saves (a
# random initialiser compiles in ~0.15 s rather than ~0.6 s). JAX's flag for smoke tests; the programs compute
# the same operations, only less optimised. An environment variable (JAX reads it at import), so that the
# recipes, scripts and fresh environments the tests start on JAX compile the same way: alone, on JAX, the
# listen recipe test took 13 s rather than 18, the data-parallel recipe 16 rather than 20, the TensorFlow-absent
# package test 7 rather than 12. A test that trains for many steps asks for `optimized_compilation`.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")

import keras  # noqa: E402 (after the thread settings above)
import pytest  # noqa: E402

if keras.backend.backend() == "jax":
    # Many tests build the same small models: XLA programs with the same fingerprint are compiled once and
    # then read from this cache (shared by the xdist workers), not compiled again in every test.
    import jax

    # In the checkout (ignored by git), so a fresh clone, as in CI, starts with it empty.
    default_cache = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "jax")
    jax.config.update("jax_compilation_cache_dir", os.environ.get("KERAS_VQ_TEST_JAX_CACHE", default_cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@pytest.fixture(autouse=True)
def fixed_seed():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def optimized_compilation():
    """`with optimized_compilation(): model.fit(...)` for training of many steps: on JAX, XLA optimises the
    programs compiled inside (the suite's default skips that, which costs more than it saves for programs
    run a few times). Only around the long training: building a model (an initialiser compiles per variable)
    and the one-off evaluations compile faster unoptimised. Measured on JAX with the compile cache empty:
    the VQ-VAE's 200 steps 9 s (17.6 s unoptimised), the phone probe's 600 CTC steps 5.7 s (13.1 s); the
    quantizer, VAE, VQ-VAE-2 and likelihood-decoder trainings 49 s with only the fit optimised (76 s with
    the whole test). Not for ~30 steps (the WaveNet test: 5.6 s optimised, 3.7 s not). A no-op on the other
    backends."""

    @contextlib.contextmanager
    def optimized():
        if keras.backend.backend() != "jax":
            yield
            return
        import jax

        jax.config.update("jax_disable_most_optimizations", False)
        try:
            yield
        finally:
            jax.config.update("jax_disable_most_optimizations", os.environ["JAX_DISABLE_MOST_OPTIMIZATIONS"] == "1")

    return optimized


@pytest.fixture(scope="session")
def once_per_pass(tmp_path_factory):
    """`once_per_pass(name, make)`: the path of a file or folder that `make(path)` writes, made once per pass.

    pytest-xdist may run a module's tests on both workers, and a module-scoped fixture then runs once on
    each (`pytest -n 2 tests/unit/data_parallel_test.py` on TensorFlow made the data-parallel runs twice, 56 s
    and 42 s, side by side). The workers of a pass share their base temporary
    folder's parent: the first to ask makes the file there, under a lock, and the others wait for it. `make`
    writes to a temporary path, renamed into place when it returns, so a failed `make` leaves nothing
    behind to be read (the next worker to ask tries again, and fails as loudly).
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent

    def made(name, make):
        import fcntl

        path = root / name
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                partial = root / f"partial-{os.getpid()}-{name}"
                make(partial)
                os.replace(partial, path)
        return path

    return made
