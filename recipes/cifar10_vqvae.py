"""Train a VQ-VAE, VQ-VAE-2 or VAE on CIFAR-10 and save it as a preset.

    python recipes/cifar10_vqvae.py --data-dir ../shared/data --model vqvae --steps 10000 \
        --output-dir runs/cifar10_vqvae

Runs on any backend (the data comes through keras_vq.data.load_numpy, which
needs no TensorFlow). Reads top to bottom: data, model, training, figures.
Training is checkpointed every --steps-per-epoch steps: rerun the same
command with --resume after a crash and it continues from the last
checkpoint, on the same seeded data order, to the same weights an
uninterrupted run reaches (a resume with other arguments is refused). Writes to --output-dir:

    reconstructions.png   test images (top rows) and their reconstructions
    loss_curves.png       training logs per epoch
    preset/               config.json, metadata.json (with the test figures), model.weights.h5
    results.json          the figures printed at the end

The model trains on the first 90% of the CIFAR-10 train split (in keras_vq's
fixed order); the other 10% is the validation set monitored during training.
The test split is only used for the final figures, never to choose anything.
"""

import argparse
import json
import pathlib
import time

import keras
import numpy as np

import keras_vq
import keras_vq.plots

MODELS = {"vqvae": keras_vq.models.VQVAE, "vqvae2": keras_vq.models.VQVAE2, "vae": keras_vq.models.VAE}
TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT = "train[:90%]", "train[90%:]", "test"
EVALUATION_BATCH = 500


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=pathlib.Path, required=True, help="folder holding CIFAR-10")
    parser.add_argument("--model", choices=sorted(MODELS), default="vqvae")
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps-per-epoch", type=int, default=500, help="steps between checkpoints")
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype-policy", default="float32",
                        help="e.g. mixed_bfloat16 to train faster; the preset is saved in float32 either way")
    parser.add_argument("--output-dir", type=pathlib.Path, default=pathlib.Path("runs/cifar10"))
    parser.add_argument("--resume", action="store_true", help="continue the run checkpointed in --output-dir")
    arguments = parser.parse_args()
    try:
        keras_vq.runs.check_arguments(arguments, positive_ints=("steps", "batch_size", "steps_per_epoch"),
                                      positive_numbers=("learning_rate",), dataset="cifar10")
        keras_vq.runs.start_run(arguments.output_dir, arguments, arguments.resume)
    except keras_vq.runs.RunError as error:
        parser.error(str(error))
    return arguments


def build_model(name, seed):
    """The CIFAR-10 configurations: Sonnet's VQ-VAE (8x8 codes, K = 512, D = 64, EMA), with dead-code
    restarts; VQ-VAE-2 with the same blocks (4x4 and 8x8 codes); the like-for-like VAE."""
    if name == "vae":
        return keras_vq.models.VAE(data_shape=(32, 32, 3), seed=seed)
    return MODELS[name](data_shape=(32, 32, 3), dead_code_threshold=1.0, seed=seed)


def main():
    arguments = parse_arguments()
    run_dir = arguments.output_dir
    keras.utils.set_random_seed(arguments.seed)

    # Data: CIFAR-10 train (90% to train on, 10% to watch), float32 on [0, 1].
    training = keras_vq.data.load_numpy(
        "cifar10", TRAIN_SPLIT, arguments.batch_size, data_dir=arguments.data_dir, seed=arguments.seed
    )
    validation_images = keras_vq.data.load_numpy(
        "cifar10", VALIDATION_SPLIT, EVALUATION_BATCH, data_dir=arguments.data_dir, evaluation=True
    ).concatenated()

    # Model.
    keras.config.set_dtype_policy(arguments.dtype_policy)
    model = build_model(arguments.model, arguments.seed)
    model.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))

    # Training, checkpointed and resumable.
    started = time.perf_counter()
    history = keras_vq.training.fit_resumably(
        model,
        lambda step: keras_vq.training.batches_from(training, step),
        total_steps=arguments.steps,
        steps_per_epoch=arguments.steps_per_epoch,
        run_dir=run_dir,
    )
    training_seconds = time.perf_counter() - started
    model = keras_vq.training.in_float32(model)  # What the preset holds and the figures describe.

    # Figures: the validation slice, then the held-out test split.
    test_images = keras_vq.data.load_numpy(
        "cifar10", TEST_SPLIT, EVALUATION_BATCH, data_dir=arguments.data_dir, evaluation=True
    ).concatenated()
    results = {
        "model": arguments.model,
        "backend": keras.backend.backend(),
        "training_steps": len(history.get("loss", [])) * arguments.steps_per_epoch,
        "batch_size": arguments.batch_size,
        "training_dtype_policy": arguments.dtype_policy,
        "seconds_this_run": round(training_seconds, 1),
        "validation": keras_vq.metrics.reconstruction_report(model, validation_images),
        "test": keras_vq.metrics.reconstruction_report(model, test_images),
    }

    keras_vq.runs.write_results(run_dir, results)  # Refuses NaN figures before anything is published.

    # Pictures and the preset.
    reconstructions = model.predict(test_images[:16], verbose=0)
    keras_vq.plots.save_reconstruction_grid(test_images[:16], reconstructions, run_dir / "reconstructions.png")
    keras_vq.plots.save_loss_curves(history, run_dir / "loss_curves.png")
    model.save_to_preset(
        run_dir / "preset",
        metadata={
            "dataset": f"CIFAR-10 {TRAIN_SPLIT} (keras_vq order), batch {arguments.batch_size}, seed {arguments.seed}",
            "training_dtype_policy": arguments.dtype_policy,
            "training_steps": results["training_steps"],
            "test_figures": results["test"],
            "validation_figures": results["validation"],
            "recipe": "recipes/cifar10_vqvae.py",
        },
        overwrite=True,
    )
    print(json.dumps(results, indent=2))
    print(f"wrote {run_dir / 'preset'}, {run_dir / 'reconstructions.png'} and {run_dir / 'loss_curves.png'}")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
