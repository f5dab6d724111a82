"""The comparison study: a VAE, a VQ-VAE and a VQ-VAE-2 trained side by side, over several seeds.

    KERAS_BACKEND=tensorflow python -m keras_vq.recipes.compare_autoencoders --dataset cifar10 \
        --data-dir ../shared/data --seeds 3 --epochs 10 --steps-per-epoch 200 --output-dir runs/compare

(`python recipes/compare_autoencoders.py ...` in a clone). The KaoKore study
(VAE vs VQ-VAE vs VQ-VAE-2 on 256x256 faces) done with one set of
definitions and with mean (sd) over seeds. Reads top to bottom:

1. Data: the training split; a fixed held-out set from the validation split
   (CIFAR-10: the last 10% of train; KaoKore: dev), on which every model is
   measured after every epoch; the whole test split for the final figures
   only (nothing is chosen on it).
2. Models: the same encoder and decoder widths for all three (CIFAR-10:
   Sonnet's VQ-VAE blocks; KaoKore: the `kaokore` VQ-VAE-2 preset's, with a
   VQ-VAE and a VAE of matching widths whose latent is at the VQ-VAE-2's
   bottom resolution), the same optimizer, learning rate, batch size and
   step budget.
3. Training, per seed and model, checkpointed every epoch in
   `<model>/seed-<n>/`; `keras_vq.callbacks.HeldOutReport` records the
   held-out figures of every epoch and `ReconstructionSnapshots` the same
   images at the snapshot epochs. `--resume` continues a killed study;
   finished models are not trained again.
4. Final figures on the test split (`keras_vq.metrics.reconstruction_report`:
   MSE, NMSE and PSNR on the [0, 1] scale; commitment loss, perplexity and
   usage per level; the VAE's KL and active units), then per model the mean
   and sd over seeds (`keras_vq.comparison`).

Writes to --output-dir: `results.json` (every seed's figures and the
summaries), `table.md` (the table and a verdict on the study's three
claims), `curves.png` (held-out MSE and commitment loss over epochs, mean
± sd over seeds) and `snapshots.png` (the first seed's reconstructions of
the same held-out images at the snapshot epochs).
"""

import keras
import numpy as np

import keras_vq
import keras_vq.comparison
import keras_vq.plots
from keras_vq.comparison import (
    budget_sentence,
    comparison_table,
    comparison_verdict,
    curve_over_seeds,
    scaled_snapshot_epochs,
    study_budget,
    summarize_over_seeds,
)

MODEL_CLASSES = {"vae": keras_vq.models.VAE, "vqvae": keras_vq.models.VQVAE, "vqvae2": keras_vq.models.VQVAE2}
MODELS = tuple(MODEL_CLASSES)
SPLITS = {  # training, validation (per-epoch figures), test (final figures only)
    "cifar10": ("train[:90%]", "train[90%:]", "test"),
    "kaokore": ("train", "dev", "test"),
}
SNAPSHOT_IMAGES = 8
DEFINITIONS = (  # What table.md's figures are (keras_vq.metrics.reconstruction_report).
    "MSE is the mean over every element of (x - x_hat)^2 with pixels on [0, 1]; PSNR = 10 log10(1 / MSE). "
    "Commitment is the mean over elements of (z_e - sg[e_k])^2 for each quantizer, before beta; the VQ-VAE-2's "
    "is given per level and as the mean of its levels. Perplexity is exp(entropy) of the test codes' "
    "frequencies. The VAE's KL to N(0, I) is summed over its latent's elements, in nats an image; a latent "
    "element is active when Cov_x(E_q[z|x]) > 0.01 (Burda et al. 2015). sd: over seeds, ddof = 1."
)
EVALUATION_BATCH = 250


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/compare", dataset=tuple(SPLITS))
    parser.add_data_pipeline_option()
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1: each model is trained once per seed")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per model and seed")
    parser.add_training_options(steps=None, batch_size=32, learning_rate=3e-4, steps_per_epoch=200)
    parser.add_argument(
        "--snapshot-epochs",
        default=None,
        help="comma-separated epochs to snapshot (default: the study's 1, 12, 14, 16, 18 and 100 "
        "of 100, scaled to --epochs)",
    )
    parser.add_argument(
        "--held-out-images", type=int, default=1000, help="validation images measured after every epoch"
    )

    def check(arguments):
        arguments.models = keras_vq.runs.comma_separated_choices("--models", arguments.models, MODELS)
        if arguments.snapshot_epochs is None:
            arguments.snapshot_epochs = scaled_snapshot_epochs(arguments.epochs)
        elif isinstance(arguments.snapshot_epochs, str):
            try:
                arguments.snapshot_epochs = sorted({int(epoch) for epoch in arguments.snapshot_epochs.split(",")})
            except ValueError:
                raise keras_vq.runs.RunError(
                    f"--snapshot-epochs {arguments.snapshot_epochs!r} is not a comma-separated list of epochs"
                ) from None
        outside = [epoch for epoch in arguments.snapshot_epochs if not 1 <= epoch <= arguments.epochs]
        if outside:
            raise keras_vq.runs.RunError(f"--snapshot-epochs {outside} lie outside 1..{arguments.epochs} (--epochs)")

    return parser.parse(
        positive_ints=("seeds", "epochs", "batch_size", "steps_per_epoch", "held_out_images"),
        positive_numbers=("learning_rate",),
        check=check,
        training_splits={dataset: splits[0] for dataset, splits in SPLITS.items()},
    )


def build_model(name, dataset, seed):
    """One of the study's three models, untrained, with the widths the other two share: on CIFAR-10 the
    `cifar10` presets' architectures (Sonnet's blocks), on KaoKore the `kaokore` VQ-VAE-2 and a VQ-VAE
    and a VAE of its widths. `dtype=None` leaves the layers to the global policy (--dtype-policy)."""
    if dataset == "cifar10" or name == "vqvae2":
        return MODEL_CLASSES[name].from_preset(dataset, load_weights=False, seed=seed, dtype=None)
    config = keras_vq.models.VQVAE2.preset_config(dataset)
    widths = {key: config[key] for key in ("data_shape", "hidden_channels", "num_residual_layers", "residual_channels")}
    quantizer_config = config["quantizer"]["bottom"]["config"]  # The VQ-VAE-2's bottom level: its widest codes
    if name == "vae":
        return keras_vq.models.VAE(**widths, latent_dim=quantizer_config["embedding_dim"], seed=seed)
    quantizer = keras_vq.layers.VectorQuantizer.from_config(quantizer_config | {"name": "quantizer", "seed": seed})
    return keras_vq.models.VQVAE(**widths, quantizer=quantizer)


def train_and_measure(name, seed, arguments, held_out, snapshot_images, test_images):
    """Trains one model for one seed in `<output-dir>/<model>/seed-<n>/` (resuming its checkpoint; a
    finished one is read back) and returns its final figures and history."""

    def training_from(step):
        return keras_vq.data.training_batches(
            arguments.dataset,
            SPLITS[arguments.dataset][0],
            arguments.batch_size,
            start_step=step,
            seed=seed,
            pipeline=arguments.data_pipeline,
            data_dir=arguments.data_dir,
            download=arguments.download,
            verbose=0,
        )

    return keras_vq.comparison.train_and_measure(
        name,
        seed,
        lambda: build_model(name, arguments.dataset, seed),
        training_from,
        arguments.output_dir / name / f"seed-{seed}",
        epochs=arguments.epochs,
        steps_per_epoch=arguments.steps_per_epoch,
        learning_rate=arguments.learning_rate,
        held_out=held_out,
        test_images=test_images,
        snapshot_images=snapshot_images,
        snapshot_epochs=arguments.snapshot_epochs,
        evaluation_batch=EVALUATION_BATCH,
    )


def main():
    arguments = parse_arguments()
    _, validation_split, test_split = SPLITS[arguments.dataset]
    keras.config.set_dtype_policy(arguments.dtype_policy)

    # 1. Data: a fixed held-out set watched every epoch, its first images snapshotted, the test split at the end.
    data = {"data_dir": arguments.data_dir, "download": arguments.download, "evaluation": True}
    validation = keras_vq.data.load_numpy(arguments.dataset, validation_split, EVALUATION_BATCH, **data)
    held_out = validation.concatenated()[: arguments.held_out_images]
    snapshot_images = held_out[:SNAPSHOT_IMAGES]
    test_images = keras_vq.data.load_numpy(arguments.dataset, test_split, EVALUATION_BATCH, **data).concatenated()

    # 2-4. Every model for every seed, then the summaries over seeds.
    runs = {
        name: [
            train_and_measure(name, seed, arguments, held_out, snapshot_images, test_images)
            for seed in range(arguments.seeds)
        ]
        for name in arguments.models
    }
    summaries = {name: summarize_over_seeds([run["test"] for run in model_runs]) for name, model_runs in runs.items()}
    curves = {
        key: {
            name: curve_over_seeds([run["history"] for run in model_runs], key)
            for name, model_runs in runs.items()
            if key in model_runs[0]["history"]
        }
        for key in ("held_out_mse", "held_out_commitment_loss")
    }
    # Learning speed: the epochs each seed takes to reach twice the best model's final held-out MSE.
    threshold = 2 * min(float(mean[-1]) for mean, _ in curves["held_out_mse"].values())
    verdict = comparison_verdict(
        summaries, {name: [run["history"] for run in model_runs] for name, model_runs in runs.items()}, threshold
    )

    # Outputs.
    results = {
        "dataset": arguments.dataset,
        "splits": dict(zip(("training", "validation", "test"), SPLITS[arguments.dataset])),
        "budget": study_budget(arguments),
        "backend": keras.backend.backend(),
        "snapshot_epochs": arguments.snapshot_epochs,
        "held_out_images": int(len(held_out)),
        "test_images": int(len(test_images)),
        "learning_speed_threshold_mse": threshold,
        "summaries": summaries,
        "verdict": verdict,
        "runs": {
            name: [{key: run[key] for key in ("seed", "test", "history")} for run in model_runs]
            for name, model_runs in runs.items()
        },
    }
    keras_vq.runs.write_results(arguments.output_dir, results)
    report = (
        f"# {arguments.dataset}: {', '.join(arguments.models)}\n\n"
        + budget_sentence(results["budget"], len(test_images), test_split)
        + "\n\n"
        + comparison_table(summaries)
        + "\n"
        + DEFINITIONS
        + f" Learning speed: the first epoch at which a seed's held-out MSE ({len(held_out):,} "
        f"`{validation_split}` images) reaches {threshold:.3g}, twice the best model's final one, as mean "
        "± sd over seeds. A difference between models counts only where it exceeds their sds together."
        "\n\n" + "\n\n".join(verdict) + "\n"
    )
    keras_vq.utils.atomic.write_text_atomically(arguments.output_dir / "table.md", report)
    keras_vq.plots.save_comparison_curves(
        curves,
        arguments.output_dir / "curves.png",
        {
            "held_out_mse": f"held-out MSE ([0, 1] scale, {len(held_out):,} images)",
            "held_out_commitment_loss": "held-out commitment loss (mean of levels)",
        },
    )
    first_seed = {
        name: {
            int(epoch): np.load(arguments.output_dir / name / "seed-0" / path)
            for epoch, path in model_runs[0]["snapshots"].items()
        }
        for name, model_runs in runs.items()
    }
    keras_vq.plots.save_snapshot_grid(snapshot_images, first_seed, arguments.output_dir / "snapshots.png")
    print(report)
    print(f"wrote {arguments.output_dir / 'table.md'}, results.json, curves.png and snapshots.png")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
