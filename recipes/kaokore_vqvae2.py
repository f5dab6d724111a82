"""Train the KaoKore VQ-VAE-2 preset: 256x256 faces from Japanese illustrations.

    python recipes/kaokore_vqvae2.py --data-dir ~/data/kaokore --download --steps 20000

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

import argparse
import json
import pathlib

import keras
import numpy as np

import keras_vq
import keras_vq.plots
from keras_vq.presets import user_presets_dir
from keras_vq.models.vqvae2.vqvae2_presets import VQVAE2_PRESETS

EVALUATION_BATCH = 32


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=pathlib.Path, required=True, help="folder with (or for) KaoKore")
    parser.add_argument("--download", action="store_true", help="download the images that are missing")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps-per-epoch", type=int, default=500, help="steps between checkpoints")
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", type=pathlib.Path, default=pathlib.Path("runs/kaokore_vqvae2"))
    parser.add_argument("--preset-dir", type=pathlib.Path, default=None,
                        help="where to save the preset (default: where from_preset('kaokore') looks)")
    parser.add_argument("--resume", action="store_true", help="continue the run checkpointed in --output-dir")
    arguments = parser.parse_args()
    arguments.preset_dir = arguments.preset_dir or user_presets_dir() / VQVAE2_PRESETS["kaokore"]["user_directory"]
    try:
        keras_vq.runs.check_arguments(arguments, positive_ints=("steps", "batch_size", "steps_per_epoch"),
                                      positive_numbers=("learning_rate",), dataset="kaokore")
        if (arguments.preset_dir / "model.weights.h5").exists() and not arguments.resume:
            raise keras_vq.runs.RunError(f"{arguments.preset_dir} already holds trained weights; move them away first")
        keras_vq.runs.start_run(arguments.output_dir, arguments, arguments.resume, may_change=("resume", "download"))
    except keras_vq.runs.RunError as error:
        parser.error(str(error))
    return arguments


def main():
    arguments = parse_arguments()
    run_dir = arguments.output_dir
    keras.utils.set_random_seed(arguments.seed)

    # Data: KaoKore's train split, float32 on [0, 1]; dev and test for the figures.
    training = keras_vq.data.load_numpy(
        "kaokore", "train", arguments.batch_size, data_dir=arguments.data_dir,
        download=arguments.download, seed=arguments.seed,
    )

    # Model: the preset's architecture, untrained.
    model = keras_vq.models.VQVAE2.from_preset("kaokore", load_weights=False)
    model.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))

    # Training, checkpointed and resumable.
    history = keras_vq.training.fit_resumably(
        model,
        lambda step: keras_vq.training.batches_from(training, step),
        total_steps=arguments.steps,
        steps_per_epoch=arguments.steps_per_epoch,
        run_dir=run_dir,
    )

    # Figures on dev and test.
    def evaluation_images(split):
        return keras_vq.data.load_numpy(
            "kaokore", split, EVALUATION_BATCH, data_dir=arguments.data_dir, evaluation=True
        ).concatenated()

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
            "recipe": "recipes/kaokore_vqvae2.py",
        },
        overwrite=arguments.resume,
    )
    print(json.dumps(results, indent=2))
    print(f"saved the preset to {arguments.preset_dir}; VQVAE2.from_preset('kaokore') now loads it")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
