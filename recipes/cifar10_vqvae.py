"""Train a VQ-VAE, VQ-VAE-2 or VAE on CIFAR-10 and save it as a preset.

    python -m keras_vq.recipes.cifar10_vqvae --data-dir ../shared/data --model vqvae --steps 10000 \
        --output-dir runs/cifar10_vqvae

(or `python recipes/cifar10_vqvae.py ...` in a clone). Runs on any backend:
training batches come from tf.data when TensorFlow is installed, from the
NumPy path (no TensorFlow) otherwise. Reads top to bottom: data, model, training, figures.
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

import json
import time

import keras

import keras_vq
import keras_vq.plots

MODELS = {"vqvae": keras_vq.models.VQVAE, "vqvae2": keras_vq.models.VQVAE2, "vae": keras_vq.models.VAE}
TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT = "train[:90%]", "train[90%:]", "test"
EVALUATION_BATCH = 500
# Validation images scored at the end of every epoch (`validation_` figures in history.json and the curves).
VALIDATION_EACH_EPOCH = 1000


def recipe_parser():
    """The recipe's command line (parse_arguments parses and checks it)."""
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/cifar10", dataset="cifar10")
    parser.add_data_pipeline_option()
    parser.add_argument("--model", choices=sorted(MODELS), default="vqvae", help="what to train")
    parser.add_training_options(steps=10_000, batch_size=32, learning_rate=3e-4, data_parallel=True)
    parser.add_argument(
        "--learning-rate-schedule",
        choices=("constant", "cosine"),
        default="constant",
        help="cosine: a linear warm-up over the first 5%% of --steps to --learning-rate, then "
        "cosine decay to zero at --steps",
    )
    parser.add_argument("--beta", type=float, default=0.25, help="the commitment weight (VQ models)")
    parser.add_argument("--kmeans-init", action="store_true", help="start the codebook(s) from k-means")
    parser.add_argument(
        "--hidden-channels", type=int, default=128, help="the encoder's and decoder's width (Sonnet's: 128)"
    )
    parser.add_argument(
        "--residual-channels", type=int, default=32, help="the residual blocks' bottleneck width (Sonnet's: 32)"
    )
    parser.add_argument(
        "--num-residual-layers", type=int, default=2, help="residual blocks in the encoder and decoder (Sonnet's: 2)"
    )
    parser.add_argument(
        "--num-embeddings", type=int, default=512, help="the codebook size K (VQ models; Sonnet's: 512)"
    )
    parser.add_argument(
        "--output-distribution",
        choices=keras_vq.output_distributions.NAMES,
        default="mse",
        help="what the decoder outputs: the image (trained with the MSE) or a discretised logistic "
        "mixture over 8-bit levels (trained with its likelihood; figures include bits/dim)",
    )
    return parser


def parse_arguments():
    return recipe_parser().parse(
        positive_ints=(
            "steps",
            "batch_size",
            "steps_per_epoch",
            "hidden_channels",
            "residual_channels",
            "num_residual_layers",
            "num_embeddings",
        ),
        positive_numbers=("learning_rate", "beta"),
        may_change=keras_vq.runs.TRAINING_MAY_CHANGE,
        training_splits={"cifar10": TRAIN_SPLIT},
    )


def build_model(
    name,
    seed,
    beta=0.25,
    kmeans_init=False,
    output_distribution="mse",
    hidden_channels=128,
    residual_channels=32,
    num_residual_layers=2,
    num_embeddings=512,
):
    """The CIFAR-10 configurations: Sonnet's VQ-VAE (8x8 codes, K = 512, D = 64, EMA, 128 hidden
    channels, two residual blocks of 32), with dead-code restarts; VQ-VAE-2 with the same blocks (4x4 and
    8x8 codes); the like-for-like VAE. The widths, depth and K are arguments (they serialise)."""
    architecture = dict(
        data_shape=(32, 32, 3),
        hidden_channels=hidden_channels,
        residual_channels=residual_channels,
        num_residual_layers=num_residual_layers,
        output_distribution=output_distribution,
    )
    if name == "vae":
        return keras_vq.models.VAE(seed=seed, **architecture)
    quantizer = keras_vq.layers.VectorQuantizer(
        num_embeddings=num_embeddings,
        embedding_dim=64,
        dead_code_threshold=1.0,
        beta=beta,
        kmeans_init=kmeans_init,
        seed=seed,
        name="quantizer",
    )
    return MODELS[name](quantizer=quantizer, **architecture)


def learning_rate(arguments):
    """Adam's learning rate: constant, or warmed up over 5% of the steps and decayed to zero by a cosine."""
    if arguments.learning_rate_schedule == "constant":
        return arguments.learning_rate
    warmup = max(1, arguments.steps // 20)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=arguments.steps - warmup, warmup_target=arguments.learning_rate, warmup_steps=warmup
    )


def main():
    arguments = parse_arguments()
    run_dir = arguments.output_dir
    keras.utils.set_random_seed(arguments.seed)

    # Data: CIFAR-10 train (90% to train on, 10% to watch), float32 on [0, 1]. Training batches come
    # from tf.data when TensorFlow is installed (any backend), else from the NumPy path.
    data = {"data_dir": arguments.data_dir, "download": arguments.download}

    def training_from(step):
        batches = keras_vq.data.training_batches(
            "cifar10",
            TRAIN_SPLIT,
            arguments.batch_size,
            start_step=step,
            seed=arguments.seed,
            pipeline=arguments.data_pipeline,
            **data,
        )
        return keras_vq.distribute.process_share(batches)  # JAX on several hosts: this process's rows

    validation_images = keras_vq.data.load_numpy(
        "cifar10", VALIDATION_SPLIT, EVALUATION_BATCH, evaluation=True, **data
    ).concatenated()

    # Model.
    keras.config.set_dtype_policy(arguments.dtype_policy)
    with keras_vq.distribute.scope(arguments.data_parallel):  # --data-parallel: every device
        model = build_model(
            arguments.model,
            arguments.seed,
            beta=arguments.beta,
            kmeans_init=arguments.kmeans_init,
            output_distribution=arguments.output_distribution,
            hidden_channels=arguments.hidden_channels,
            residual_channels=arguments.residual_channels,
            num_residual_layers=arguments.num_residual_layers,
            num_embeddings=arguments.num_embeddings,
        )
        model.compile(optimizer=keras.optimizers.Adam(learning_rate(arguments)))

        # Training, checkpointed and resumable.
        started = time.perf_counter()
        history = keras_vq.training.fit_resumably(
            model,
            training_from,
            total_steps=arguments.steps,
            steps_per_epoch=arguments.steps_per_epoch,
            run_dir=run_dir,
            callbacks=[
                keras_vq.callbacks.HeldOutReport(
                    validation_images[:VALIDATION_EACH_EPOCH], prefix="validation_", batch_size=EVALUATION_BATCH
                )
            ],
        )
    training_seconds = time.perf_counter() - started
    model = keras_vq.training.in_float32(model)  # What the preset holds and the figures describe.

    # Figures: the validation slice, then the held-out test split.
    test_images = keras_vq.data.load_numpy(
        "cifar10", TEST_SPLIT, EVALUATION_BATCH, evaluation=True, **data
    ).concatenated()
    results = {
        "model": arguments.model,
        "backend": keras.backend.backend(),
        "training_steps": len(history.get("loss", [])) * arguments.steps_per_epoch,
        "batch_size": arguments.batch_size,
        "training_dtype_policy": arguments.dtype_policy,
        "data_parallel": keras_vq.distribute.describe() if arguments.data_parallel else None,
        "seconds_this_run": round(training_seconds, 1),
        "validation": keras_vq.metrics.reconstruction_report(model, validation_images),
        # The figures on the first VALIDATION_EACH_EPOCH validation images after each epoch.
        "validation_curve": [
            {"steps": (epoch + 1) * arguments.steps_per_epoch}
            | {
                name[len("validation_") :]: values[epoch]
                for name, values in history.items()
                if name.startswith("validation_") and epoch < len(values)
            }
            for epoch in range(len(history.get("loss", [])))
        ],
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
            "validation_curve": results["validation_curve"],
            "recipe": recipe_parser().command_line("keras_vq.recipes.cifar10_vqvae", arguments),
        },
        overwrite=True,
    )
    print(json.dumps(results, indent=2))
    print(f"wrote {run_dir / 'preset'}, {run_dir / 'reconstructions.png'} and {run_dir / 'loss_curves.png'}")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
