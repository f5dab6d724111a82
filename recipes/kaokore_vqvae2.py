"""Train the KaoKore VQ-VAE-2 preset: 256x256 faces from Japanese illustrations.

    python -m keras_vq.recipes.kaokore_vqvae2 --data-dir ~/data/kaokore --download --steps 20000

(`python recipes/kaokore_vqvae2.py ...` in a clone).

Downloads the KaoKore images (with --download; or reads an existing copy in
the official `images_256/` + `labels.csv` layout), trains
`VQVAE2.from_preset("kaokore", load_weights=False)` on the train split with
checkpoints (rerun with --resume after a crash), and saves the preset where
`keras_vq.models.VQVAE2.from_preset("kaokore")` finds it
(`~/.keras/keras_vq/presets/vqvae2/kaokore`, or --preset-dir). Writes to
--output-dir: reconstructions.png (test images and their reconstructions),
loss_curves.png and results.json (dev and test figures).

KaoKore: ROIS-DS Center for Open Data in the Humanities, CC BY-SA 4.0.
"""

import json
import pathlib

import keras

import keras_vq
import keras_vq.plots

EVALUATION_BATCH = 32


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/kaokore_vqvae2", dataset="kaokore")
    parser.add_data_pipeline_option()
    parser.add_training_options(steps=20_000, batch_size=16, learning_rate=3e-4, dtype_policy=False, data_parallel=True)
    parser.add_argument(
        "--preset-dir",
        type=pathlib.Path,
        default=keras_vq.models.VQVAE2.trained_preset_dir("kaokore"),
        help="where to save the preset (the default is where from_preset('kaokore') looks)",
    )

    def check(arguments):
        if (arguments.preset_dir / "model.weights.h5").exists() and not arguments.resume:
            raise keras_vq.runs.RunError(f"{arguments.preset_dir} already holds trained weights; move them away first")

    return parser.parse(
        positive_ints=("steps", "batch_size", "steps_per_epoch"),
        positive_numbers=("learning_rate",),
        check=check,
        may_change=keras_vq.runs.TRAINING_MAY_CHANGE,
        training_splits={"kaokore": "train"},
    )


def main():
    arguments = parse_arguments()
    run_dir = arguments.output_dir
    keras.utils.set_random_seed(arguments.seed)

    # Data: KaoKore's train split, float32 on [0, 1]; dev and test for the figures.
    data = {"data_dir": arguments.data_dir, "download": arguments.download}

    def training_from(step):  # tf.data when TensorFlow is installed, else the NumPy path.
        batches = keras_vq.data.training_batches(
            "kaokore",
            "train",
            arguments.batch_size,
            start_step=step,
            seed=arguments.seed,
            pipeline=arguments.data_pipeline,
            **data,
        )
        return keras_vq.distribute.process_share(batches)  # JAX on several hosts: this process's rows

    # Model: the preset's architecture, untrained.
    with keras_vq.distribute.scope(arguments.data_parallel):  # --data-parallel: every device
        model = keras_vq.models.VQVAE2.from_preset("kaokore", load_weights=False)
        model.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))

        # Training, checkpointed and resumable.
        history = keras_vq.training.fit_resumably(
            model,
            training_from,
            total_steps=arguments.steps,
            steps_per_epoch=arguments.steps_per_epoch,
            run_dir=run_dir,
        )

    # Figures on dev and test.
    def evaluation_images(split):
        return keras_vq.data.load_numpy("kaokore", split, EVALUATION_BATCH, evaluation=True, **data).concatenated()

    test_images = evaluation_images("test")
    results = {
        "backend": keras.backend.backend(),
        "training_steps": len(history.get("loss", [])) * arguments.steps_per_epoch,
        "batch_size": arguments.batch_size,
        "dev": keras_vq.metrics.reconstruction_report(model, evaluation_images("dev")),
        "test": keras_vq.metrics.reconstruction_report(model, test_images),
    }

    keras_vq.runs.write_results(run_dir, results)  # Refuses NaN figures before anything is published.

    # Pictures and the preset.
    reconstructions = model.predict(test_images[:16], verbose=0)
    keras_vq.plots.save_reconstruction_grid(test_images[:16], reconstructions, run_dir / "reconstructions.png")
    keras_vq.plots.save_loss_curves(history, run_dir / "loss_curves.png")
    model.save_to_preset(
        arguments.preset_dir,
        metadata={
            "dataset": f"KaoKore v1.3 train split, batch {arguments.batch_size}, seed {arguments.seed}",
            "training_steps": results["training_steps"],
            "test_figures": results["test"],
            "dev_figures": results["dev"],
            "recipe": "python -m keras_vq.recipes.kaokore_vqvae2",
        },
        overwrite=arguments.resume,
    )
    print(json.dumps(results, indent=2))
    print(f"saved the preset to {arguments.preset_dir}; VQVAE2.from_preset('kaokore') now loads it")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
