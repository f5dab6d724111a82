"""Quick start: train a VQ-VAE on the CIFAR-10 images that ship with keras_vq.

    KERAS_BACKEND=tensorflow python -m keras_vq.recipes.quickstart --output-dir runs/quickstart

(`python recipes/quickstart.py ...` in a clone).

Runs on any backend. Reads top to bottom: data, model, training, figures,
pictures. Writes to --output-dir:

    reconstructions.png   held-out images (top rows) and their reconstructions
    loss_curves.png       training losses, perplexity and codebook usage per epoch
    vqvae.keras           the trained model (keras.saving.load_model reads it)
    results.json          the held-out figures printed at the end

The embedded sample is 3,000 CIFAR-10 *training* images; 300 of them are
held out here for the figures (the CIFAR-10 test split is not involved).
"""

import json

import keras
import numpy as np

import keras_vq
import keras_vq.plots

HELD_OUT_IMAGES = 300


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/quickstart", resumable=False)
    parser.add_argument("--steps", type=int, default=1500, help="training steps, rounded up to whole passes")
    parser.add_argument("--batch-size", type=int, default=32, help="images per training step")
    parser.add_argument("--learning-rate", type=float, default=3e-4, help="Adam's learning rate")
    parser.add_argument("--overwrite", action="store_true", help="replace results already in --output-dir")

    def check(arguments):
        keras_vq.runs.refuse_to_replace_results(arguments.output_dir, arguments.overwrite)
        existing = arguments.output_dir / "vqvae.keras"
        if existing.exists() and not arguments.overwrite:
            raise keras_vq.runs.RunError(
                f"{existing} exists; pass --overwrite to replace it or choose another --output-dir"
            )

    return parser.parse(
        positive_ints=("steps", "batch_size"), positive_numbers=("learning_rate",), check=check, start=False
    )


def main():
    arguments = parse_arguments()
    arguments.output_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(arguments.seed)

    # Data: the embedded CIFAR-10 sample, on the models' [0, 1] pixel scale.
    images, _, _ = keras_vq.data.load_cifar10_sample()
    order = np.random.default_rng(arguments.seed).permutation(len(images))
    training_images, held_out_images = images[order[HELD_OUT_IMAGES:]], images[order[:HELD_OUT_IMAGES]]

    # Model: Sonnet's CIFAR-10 VQ-VAE (8x8 codes from K = 512, EMA codebook), with dead-code restarts.
    quantizer = keras_vq.layers.VectorQuantizer(
        num_embeddings=512, embedding_dim=64, dead_code_threshold=1.0, seed=arguments.seed
    )
    model = keras_vq.models.VQVAE(data_shape=(32, 32, 3), quantizer=quantizer)
    model.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))

    # Training: whole passes over the training images, as many as --steps asks for (rounded up).
    steps_per_epoch = -(-len(training_images) // arguments.batch_size)
    epochs = -(-arguments.steps // steps_per_epoch)
    history = model.fit(training_images, batch_size=arguments.batch_size, epochs=epochs, verbose=2).history

    # Figures on the held-out images.
    reconstructions = keras.ops.convert_to_numpy(model.predict(held_out_images, batch_size=100, verbose=0))
    codes = keras.ops.convert_to_numpy(model.encode(held_out_images)["codes"])
    results = {
        "backend": keras.backend.backend(),
        "training_steps": steps_per_epoch * epochs,
        "held_out_images": HELD_OUT_IMAGES,
        "mse": keras_vq.metrics.mean_squared_error(held_out_images, reconstructions),
        "nmse": keras_vq.metrics.normalized_mean_squared_error(held_out_images, reconstructions),
        "psnr_db": keras_vq.metrics.peak_signal_to_noise_ratio(held_out_images, reconstructions),
        "perplexity": keras_vq.metrics.perplexity(codes, model.num_embeddings),
        "codebook_usage": keras_vq.metrics.codebook_usage(codes, model.num_embeddings),
    }

    keras_vq.runs.write_results(arguments.output_dir, results)  # Refuses NaN figures before anything is published.

    # Pictures and the model.
    keras_vq.plots.save_reconstruction_grid(
        held_out_images[:16], reconstructions[:16], arguments.output_dir / "reconstructions.png"
    )
    keras_vq.plots.save_loss_curves(
        history,
        arguments.output_dir / "loss_curves.png",
        keys=["reconstruction_loss", "commitment_loss", "perplexity", "codebook_usage"],
    )
    with keras_vq.utils.atomic.atomic_path(arguments.output_dir / "vqvae.keras") as temporary:  # Never a torn file.
        model.save(temporary)
    print(json.dumps(results, indent=2))
    print(f"wrote {arguments.output_dir / 'reconstructions.png'} and {arguments.output_dir / 'loss_curves.png'}")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
