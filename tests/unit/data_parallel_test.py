"""Data-parallel training equals one-device training with the same global batch.

`tests/data_parallel_training.py` trains every scenario (VQ-VAE with the EMA rule, dead-code restarts
and k-means initialisation; VQ-VAE-2 with the EMA rule at the top and at the bottom residual VQ with
quantizer dropout whose stages follow the loss rule, with restarts and k-means; LFQ; a PixelCNN prior)
on one device and on two replicas (TensorFlow: `MirroredStrategy` over two logical CPUs; JAX:
`keras.distribution.DataParallel` over two host devices, and `ModelParallel` with the codebook split
over two devices), 8 SGD steps each (LFQ 2: see the script), in a subprocess that makes the devices. JAX
leaves out VQ-VAE-2, whose subject is keras-vq's replica sums, the identity on JAX (`TRAINED_HERE`).

Tolerance: the runs differ only in the order in which float32 sums are taken (per-replica partial sums,
a partitioned program), so weights, codebooks and EMA state agree to rounding, 1e-7 to 1e-5 measured
after 8 steps; statistics that are not reduced over the replicas are off by 0.01 to several units (a
replica's EMA counts hold half the batch's). Hence rtol = atol = 1e-4.
"""

import argparse
import importlib
import json
import os
import pathlib
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_vq

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "data_parallel_training.py"
TOLERANCE = dict(rtol=1e-4, atol=1e-4)
SCENARIOS = ("vqvae_ema", "vqvae2", "vqvae_lfq", "pixelcnn")
# The scenarios the replica runs train on this backend (on JAX not VQ-VAE-2: see TRAINED_HERE in the script).
REPLICA_SCENARIOS = [name for name in SCENARIOS if not (keras.backend.backend() == "jax" and name == "vqvae2")]

NO_TORCH = pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="Keras' fit has no data parallelism on PyTorch (see docs/scaling.md)"
)


@pytest.fixture(scope="module")
def trained(once_per_pass):
    """The saved arrays of one subprocess run on this backend (every scenario, both ways), once per pass."""

    def train_every_scenario(output):
        environment = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
        result = subprocess.run(
            [sys.executable, str(SCRIPT), str(output)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stderr[-4000:]

    with np.load(once_per_pass("data_parallel_trained.npz", train_every_scenario)) as arrays:
        return dict(arrays)


def weights_of(saved, run, scenario):
    prefix = f"{run}/{scenario}/"
    return {key[len(prefix) :]: value for key, value in saved.items() if key.startswith(prefix)}


@NO_TORCH
@pytest.mark.parametrize("scenario", REPLICA_SCENARIOS)
def test_two_replicas_end_with_the_weights_codebook_and_ema_state_of_one_device(trained, scenario):
    one, many = weights_of(trained, "one", scenario), weights_of(trained, "many", scenario)
    assert sorted(one) == sorted(many) and len(one) > 10
    assert any("codebook" in path or "quantizer" in path for path in one) or scenario == "pixelcnn"
    for path, value in one.items():
        np.testing.assert_allclose(many[path], value, err_msg=path, **TOLERANCE)


@NO_TORCH
@pytest.mark.parametrize("scenario", REPLICA_SCENARIOS)
def test_two_replicas_report_the_figures_of_one_device(trained, scenario):
    """`fit`'s logs (loss, reconstruction, commitment, perplexity, usage) are the global batch's, and the
    held-out figures the recipes add every epoch are those of one device."""
    one, many = weights_of(trained, "history/one", scenario), weights_of(trained, "history/many", scenario)
    assert "loss" in one and sorted(one) == sorted(many)
    assert scenario == "pixelcnn" or "held_out_mse" in one  # HeldOutReport, every epoch (TF: issue 29, defect 1)
    for metric, value in one.items():
        np.testing.assert_allclose(many[metric], value, err_msg=metric, **TOLERANCE)


@NO_TORCH
def test_fit_in_the_scope_of_a_model_built_outside_it_is_refused_by_name(trained):
    assert str(trained["built_outside_refusal"]) == (
        "VQVAE.fit inside a distribution scope (keras_vq.distribute.scope()), but the model was built outside "
        "it, so its variables are on one device: build and compile the model inside the scope"
    )


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="replicas' own copies exist under tf.distribute")
def test_every_replica_holds_the_same_codebook_and_state(trained):
    spreads = {key: float(value) for key, value in trained.items() if key.startswith("replica_spread/")}
    assert any("codebook" in key for key in spreads)
    assert max(spreads.values()) == 0.0, {key: value for key, value in spreads.items() if value > 0}


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution.ModelParallel is JAX's")
def test_a_codebook_split_over_devices_trains_as_on_one_device(trained):
    assert int(trained["model_parallel_codebook_shards"]) == 4  # the 2 x 2 mesh holds the split codebook
    one, split = weights_of(trained, "one", "vqvae_ema"), weights_of(trained, "model_parallel", "vqvae_ema")
    for path, value in one.items():
        np.testing.assert_allclose(split[path], value, err_msg=path, **TOLERANCE)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the recipe runs once, on two JAX host devices")
def test_recipe_trains_data_parallel_over_every_device_and_says_so(tmp_path, monkeypatch, capsys):
    from tests import data_helpers

    environment = dict(
        os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", XLA_FLAGS="--xla_force_host_platform_device_count=2"
    )  # only this flag (see the script)
    command = [
        sys.executable,
        str(ROOT / "recipes" / "cifar10_vqvae.py"),
        "--data-dir",
        str(data_helpers.FIXTURES),
        "--steps",
        "4",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "4",
        *data_helpers.SMALL_CIFAR10_VQVAE,  # a small model: the subject is the devices
        "--data-parallel",
        "--output-dir",
        str(tmp_path / "run"),
    ]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["data_parallel"].startswith("data-parallel over 2 device(s)"), results["data_parallel"]
    assert results["training_steps"] == 4 and np.isfinite(results["test"]["mse"])
    # A global batch that does not split over the devices is named as the arguments are read, before anything
    # is written (in this process, its device count made 2: the subprocess above showed the count is read).
    odd = [
        *command[2 : command.index("--batch-size") + 1],
        "3",
        *command[command.index("--batch-size") + 2 : -1],
        str(tmp_path / "odd"),
    ]
    monkeypatch.setattr(keras.distribution, "list_devices", lambda device_type=None: ["cpu:0", "cpu:1"])
    monkeypatch.setattr("sys.argv", ["cifar10_vqvae", *odd])
    with pytest.raises(SystemExit) as exit:
        importlib.import_module("keras_vq.recipes.cifar10_vqvae").parse_arguments()
    assert exit.value.code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("--data-parallel: --batch-size 3 does not split evenly over the 2 devices; pass a multiple of 2")
    )
    assert not (tmp_path / "odd").exists()


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="PyTorch's refusal")
def test_torch_refuses_data_parallel_and_fit_inside_a_process_group(monkeypatch, tmp_path):
    import torch.distributed

    from keras_vq.runs import RunError, check_arguments

    with pytest.raises(RunError, match="--data-parallel: data-parallel training is not available on the PyTorch"):
        check_arguments(argparse.Namespace(data_parallel=True))
    with pytest.raises(RuntimeError, match="not available on the PyTorch backend"):
        with keras_vq.distribute.scope():
            pass
    # As under torchrun with two processes: each would train its own model, so fit refuses before a step.
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda group=None: 2)
    images = np.random.default_rng(0).random((4, 16, 16, 3)).astype("float32")
    model = keras_vq.models.VQVAE(
        data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(8, 4)
    )
    model.compile(optimizer="adam")
    with pytest.raises(RuntimeError, match="VQVAE.fit: a torch.distributed process group of 2 processes"):
        model.fit(images, epochs=1, verbose=0)
    prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=8, channels=8, num_blocks=1)
    prior.compile(optimizer="adam")
    with pytest.raises(RuntimeError, match="PixelCNN.fit: a torch.distributed process group"):
        prior.fit(np.zeros((4, 4, 4), "int32"), epochs=1, verbose=0)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for connection in sockets:
        connection.bind(("127.0.0.1", 0))
    ports = [connection.getsockname()[1] for connection in sockets]
    for connection in sockets:
        connection.close()
    return ports


# PyTorch has no in-process replicas to test, so its processes train every scenario.
PROCESS_SCENARIOS = SCENARIOS if keras.backend.backend() == "torch" else ("vqvae_ema",)


def test_two_processes_on_localhost_end_with_identical_codebooks_equal_to_one_device(tmp_path, request):
    """JAX: two processes under keras.distribution.initialize; TensorFlow: two MultiWorkerMirroredStrategy
    workers; PyTorch: two processes of a gloo group, each running keras_vq.distribute.torch_train_step
    with the model wrapped in DistributedDataParallel. The one-device reference is the replica tests' on
    TensorFlow and JAX (the same global batches and seed), and a third process of the script on PyTorch."""
    script = ROOT / "tests" / "data_parallel_processes.py"
    environment = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    environment.update(KERAS_BACKEND=keras.backend.backend(), TF_CPP_MIN_LOG_LEVEL="3")
    ports = ",".join(map(str, free_ports(2)))

    def launch(process, processes, output):
        return subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(process),
                str(processes),
                ports,
                str(output),
                ",".join(PROCESS_SCENARIOS),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    on_torch = keras.backend.backend() == "torch"
    runs = [launch(process, 2, tmp_path / "two") for process in (0, 1)]
    runs += [launch(0, 1, tmp_path / "one")] if on_torch else []
    for run in runs:
        _, errors = run.communicate(timeout=600)
        assert run.returncode == 0, errors[-4000:]
    workers = [dict(np.load(tmp_path / f"two.{process}.npz")) for process in (0, 1)]
    assert [int(worker["devices"]) for worker in workers] == [2, 2]
    if on_torch:
        one = dict(np.load(tmp_path / "one.0.npz"))
        assert int(one["devices"]) == 1
    else:
        one = {
            f"weights/{scenario}/{path}": value
            for scenario in PROCESS_SCENARIOS
            for path, value in weights_of(request.getfixturevalue("trained"), "one", scenario).items()
        }
    assert sorted(key for key in workers[0] if key.startswith("weights/")) == sorted(
        key for key in one if key.startswith("weights/")
    )
    if not on_torch:  # The reference's last call was its held-out report's, which left that batch's perplexity.
        one = {key: value for key, value in one.items() if not key.endswith("/batch_perplexity")}
    for scenario in PROCESS_SCENARIOS:
        assert sum(key.startswith(f"weights/{scenario}/") for key in one) > 10, scenario
    assert any("codebook" in key for key in one)
    for key, value in one.items():
        if key.startswith("weights/"):
            np.testing.assert_array_equal(workers[1][key], workers[0][key], err_msg=key)  # the same on every worker
            np.testing.assert_allclose(workers[0][key], value, err_msg=key, **TOLERANCE)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TF_CONFIG is TensorFlow's")
def test_recipes_refuse_data_parallel_on_several_tensorflow_workers_and_say_what_to_do(monkeypatch):
    from keras_vq.runs import RunError, check_arguments

    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps({"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"type": "worker", "index": 0}}),
    )
    with pytest.raises(
        RunError,
        match=r"--data-parallel: the recipes do not train on several TensorFlow workers "
        r"\(TF_CONFIG names 2\).*Use JAX for several hosts",
    ):
        check_arguments(argparse.Namespace(data_parallel=True))
    check_arguments(argparse.Namespace(data_parallel=False))  # without the flag the worker list is not read


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's processes (jax.process_count)")
def test_each_jax_process_takes_its_own_share_of_every_batch(monkeypatch):
    """Process p of P takes rows [pB/P, (p+1)B/P) of arrays and of dicts of arrays: the shares are disjoint
    and concatenate to the global batch (the two-process test slices with its own helper, not this one)."""
    import jax

    monkeypatch.setattr(jax, "process_count", lambda: 2)
    images = np.arange(8 * 3, dtype="float32").reshape(8, 3)
    batches = [images, {"audio": images, "speakers": np.arange(8)}]
    shares = {}
    for index in (0, 1):
        monkeypatch.setattr(jax, "process_index", lambda index=index: index)
        shares[index] = list(keras_vq.distribute.process_share(batches))
    for process, (array, batch) in shares.items():
        np.testing.assert_array_equal(array, images[4 * process : 4 * (process + 1)])
        np.testing.assert_array_equal(batch["speakers"], np.arange(8)[4 * process : 4 * (process + 1)])
    np.testing.assert_array_equal(np.concatenate([shares[0][0], shares[1][0]]), images)
    np.testing.assert_array_equal(np.concatenate([shares[0][1]["audio"], shares[1][1]["audio"]]), images)
    with pytest.raises(ValueError, match="a batch of 7 examples does not split over 2 processes"):
        list(keras_vq.distribute.process_share([np.zeros((7, 3))]))
