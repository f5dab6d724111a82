import os

# What a pytest-xdist worker sets for itself; subprocesses that train (recipes) drop them again.
SINGLE_THREAD_SETTINGS = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "XLA_FLAGS")

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core: each gets one thread, or the backends' thread pools
    # (sized for the whole machine) fight over the cores. Set before any backend is imported.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()

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
    # The suite's programs are tiny and run a few times each: XLA's LLVM optimisation costs more than it
    # saves (a random initialiser compiles in ~0.15 s rather than ~0.6 s). JAX's flag for smoke tests; the
    # programs compute the same operations, only less optimised.
    jax.config.update("jax_disable_most_optimizations", True)


@pytest.fixture(autouse=True)
def fixed_seed():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def optimized_compilation():
    """For a test that trains for many steps: on JAX, XLA optimises its programs (the suite's default skips
    that, which costs more than it saves for programs run a few times; a 20-epoch test ran 95 s rather than
    42 s). A no-op on the other backends."""
    if keras.backend.backend() != "jax":
        yield
        return
    import jax

    jax.config.update("jax_disable_most_optimizations", False)
    try:
        yield
    finally:
        jax.config.update("jax_disable_most_optimizations", True)
