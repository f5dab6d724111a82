"""The quantizer comparison: VQ, VQ with the rotation trick, residual VQ, FSQ and LFQ in the same VQ-VAE,
at the same bits per image and the same training budget, over several seeds, on CIFAR-10.

    KERAS_BACKEND=tensorflow python -m keras_vq.recipes.compare_quantizers --data-dir ../shared/data \
        --seeds 3 --epochs 25 --steps-per-epoch 120 --output-dir runs/quantizers

(`python recipes/compare_quantizers.py ...` in a clone). Reads top to bottom:

1. Data: CIFAR-10 `train[:90%]` for training; 1,000 `train[90%:]` images
   measured after every epoch; the whole `test` split for the final figures
   only (nothing is chosen on it).
2. Models: the `cifar10` VQ-VAE preset's architecture (Sonnet's: 8x8 codes
   of a 32x32 image), untrained, with each quantizer in turn. Every
   quantizer spends 10 bits on each of the 64 positions, 640 bits an image:
   - `vq`: `VectorQuantizer`, K = 1,024 codes of D = 64, EMA, dead-code
     restarts (the preset's rule), straight-through gradients;
   - `vq-rotation`: the same with the rotation trick;
   - `residual`: `ResidualVectorQuantizer`, 2 stages of K = 32 (5 + 5 bits),
     each with the same EMA and restarts;
   - `fsq`: `FiniteScalarQuantizer`, levels [8, 5, 5, 5] (1,000 codes, 9.97
     bits), the paper's recommendation for 2^10;
   - `lfq`: `LookupFreeQuantizer`, 10 bits, vector-quantize-pytorch's
     entropy weight 0.1 and temperature 0.01.
   The encoder projects to each quantizer's width (64, 64, 64, 4 and 10
   channels); everything else is the same. `--quantizers` also takes the
   ablations in ABLATIONS (not run by default).
3. Training, per quantizer and seed, checkpointed every epoch in
   `<quantizer>/seed-<n>/` (`keras_vq.comparison.train_and_measure`): the
   same optimizer, learning rate, batch and steps. `--resume` continues a
   killed study; finished runs are not trained again.
4. Final figures on the test split (`keras_vq.metrics.reconstruction_report`):
   MSE, NMSE, PSNR, the perplexity of the codes (for residual VQ, of a
   position's pair of codes) and codebook usage, with training time; then
   mean (sd) over seeds and a ranking by NMSE.

Writes to --output-dir: `results.json`, `table.md` and `curves.png`
(held-out MSE over epochs, mean ± sd over seeds).
"""

import math

import keras

import keras_vq
import keras_vq.comparison
import keras_vq.plots
from keras_vq.comparison import (
    budget_sentence,
    comparison_table,
    curve_over_seeds,
    ranking_verdict,
    study_budget,
    summarize_over_seeds,
)
from keras_vq.layers import FiniteScalarQuantizer, LookupFreeQuantizer, ResidualVectorQuantizer, VectorQuantizer

SPLITS = ("train[:90%]", "train[90%:]", "test")  # training, validation (per-epoch figures), test (final only)
# Each quantizer of the study for a seed; all spend 10 bits at each position.
QUANTIZERS = {
    "vq": lambda seed: VectorQuantizer(1024, 64, dead_code_threshold=1.0, seed=seed, name="quantizer"),
    "vq-rotation": lambda seed: VectorQuantizer(
        1024, 64, dead_code_threshold=1.0, gradient="rotation", seed=seed, name="quantizer"
    ),
    "residual": lambda seed: ResidualVectorQuantizer(
        2, 32, 64, stage_options=dict(dead_code_threshold=1.0), seed=seed, name="quantizer"
    ),
    "fsq": lambda seed: FiniteScalarQuantizer([8, 5, 5, 5], name="quantizer"),
    "lfq": lambda seed: LookupFreeQuantizer(10, name="quantizer"),
}
# Ablations that explain the study's results, run only when named in --quantizers: the rotation trick
# against straight-through under the loss-based codebook rule, and LFQ with an entropy penalty 100 times
# lighter (the default outweighs an MSE on [0, 1] pixels by some 50 times).
ABLATIONS = {
    "vq-loss": lambda seed: VectorQuantizer(
        1024, 64, codebook_update="loss", dead_code_threshold=1.0, seed=seed, name="quantizer"
    ),
    "vq-rotation-loss": lambda seed: VectorQuantizer(
        1024, 64, codebook_update="loss", dead_code_threshold=1.0, gradient="rotation", seed=seed, name="quantizer"
    ),
    "lfq-entropy-0.001": lambda seed: LookupFreeQuantizer(10, entropy_loss_weight=0.001, name="quantizer"),
}
TABLE_FIGURES = (
    "bits_per_image",
    "mse",
    "nmse",
    "psnr_db",
    "perplexity",
    "codebook_usage",
    "parameters",
    "training_minutes",
)
DEFINITIONS = (
    "Bits/image = positions x log2(codebook size) x codes a position. MSE is the mean over every element of "
    "(x - x_hat)^2 with pixels on [0, 1]; NMSE = MSE / Var(x) over the test split (Sonnet's); PSNR = "
    "10 log10(1 / MSE). Perplexity is exp(entropy) of the test codes' frequencies (for residual VQ, of each "
    "position's pair of stage codes, so all five compare against 2^10); codebook usage is the fraction of codes "
    "that occur (residual VQ: the stages' mean). Training minutes are the epochs' wall time (held-out "
    "evaluation excluded). sd: over seeds, ddof = 1."
)
EVALUATION_BATCH = 250


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/quantizers", dataset="cifar10")
    parser.add_data_pipeline_option()
    parser.add_argument(
        "--quantizers",
        default=",".join(QUANTIZERS),
        help=f"comma-separated, of {', '.join(QUANTIZERS)}, or the ablations {', '.join(ABLATIONS)}",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1: each quantizer is trained once per seed")
    parser.add_argument("--epochs", type=int, default=25, help="epochs per quantizer and seed")
    parser.add_training_options(steps=None, batch_size=32, learning_rate=3e-4, steps_per_epoch=120)
    parser.add_argument(
        "--held-out-images", type=int, default=1000, help="validation images measured after every epoch"
    )

    def check(arguments):
        arguments.quantizers = keras_vq.runs.comma_separated_choices(
            "--quantizers", arguments.quantizers, tuple(QUANTIZERS | ABLATIONS)
        )

    return parser.parse(
        positive_ints=("seeds", "epochs", "batch_size", "steps_per_epoch", "held_out_images"),
        positive_numbers=("learning_rate",),
        check=check,
        training_splits={"cifar10": SPLITS[0]},
    )


def build_model(name, seed):
    """The `cifar10` VQ-VAE preset's architecture, untrained, with quantizer `name`; `dtype=None` leaves
    the layers to the global policy (--dtype-policy)."""
    quantizer = (QUANTIZERS | ABLATIONS)[name](seed)
    return keras_vq.models.VQVAE.from_preset("cifar10", load_weights=False, quantizer=quantizer, dtype=None)


def bits_per_image(model):
    level = model.code_levels()["codes"]
    return math.prod(level.shape) * level.codes_per_position * math.log2(level.num_embeddings)


def train_and_measure(name, seed, arguments, held_out, test_images):
    """One quantizer for one seed in `<output-dir>/<quantizer>/seed-<n>/`, resumably; its figures."""

    def training_from(step):
        return keras_vq.data.training_batches(
            "cifar10",
            SPLITS[0],
            arguments.batch_size,
            start_step=step,
            seed=seed,
            pipeline=arguments.data_pipeline,
            data_dir=arguments.data_dir,
            download=arguments.download,
            verbose=0,
        )

    result = keras_vq.comparison.train_and_measure(
        name,
        seed,
        lambda: build_model(name, seed),
        training_from,
        arguments.output_dir / name / f"seed-{seed}",
        epochs=arguments.epochs,
        steps_per_epoch=arguments.steps_per_epoch,
        learning_rate=arguments.learning_rate,
        held_out=held_out,
        test_images=test_images,
        evaluation_batch=EVALUATION_BATCH,
    )
    result["test"]["bits_per_image"] = bits_per_image(build_model(name, seed))
    return result


def main():
    arguments = parse_arguments()
    keras.config.set_dtype_policy(arguments.dtype_policy)

    # 1. Data: a fixed held-out set watched every epoch; the test split at the end.
    data = {"data_dir": arguments.data_dir, "download": arguments.download, "evaluation": True}
    held_out = keras_vq.data.load_numpy("cifar10", SPLITS[1], EVALUATION_BATCH, **data).concatenated()
    held_out = held_out[: arguments.held_out_images]
    test_images = keras_vq.data.load_numpy("cifar10", SPLITS[2], EVALUATION_BATCH, **data).concatenated()

    # 2-4. Every quantizer for every seed, then the summaries over seeds.
    runs = {
        name: [train_and_measure(name, seed, arguments, held_out, test_images) for seed in range(arguments.seeds)]
        for name in arguments.quantizers
    }
    summaries = {name: summarize_over_seeds([run["test"] for run in model_runs]) for name, model_runs in runs.items()}
    curves = {
        "held_out_mse": {
            name: curve_over_seeds([run["history"] for run in model_runs], "held_out_mse")
            for name, model_runs in runs.items()
        }
    }
    verdict = ranking_verdict(summaries, "nmse")

    # Outputs.
    results = {
        "dataset": "cifar10",
        "splits": dict(zip(("training", "validation", "test"), SPLITS)),
        "budget": study_budget(arguments),
        "backend": keras.backend.backend(),
        "held_out_images": int(len(held_out)),
        "test_images": int(len(test_images)),
        "quantizers": {name: keras.saving.serialize_keras_object((QUANTIZERS | ABLATIONS)[name](0)) for name in runs},
        "summaries": summaries,
        "verdict": verdict,
        "runs": {
            name: [{key: run[key] for key in ("seed", "test", "history")} for run in model_runs]
            for name, model_runs in runs.items()
        },
    }
    keras_vq.runs.write_results(arguments.output_dir, results)
    report = (
        f"# CIFAR-10: {', '.join(arguments.quantizers)} in Sonnet's VQ-VAE\n\n"
        + budget_sentence(results["budget"], len(test_images), SPLITS[2])
        + "\n\n"
        + comparison_table(summaries, TABLE_FIGURES)
        + "\n"
        + DEFINITIONS
        + "\n\n"
        + "\n\n".join(verdict)
        + "\n"
    )
    keras_vq.utils.atomic.write_text_atomically(arguments.output_dir / "table.md", report)
    keras_vq.plots.save_comparison_curves(
        curves,
        arguments.output_dir / "curves.png",
        {"held_out_mse": f"held-out MSE ([0, 1] scale, {len(held_out):,} images)"},
    )
    print(report)
    print(f"wrote {arguments.output_dir / 'table.md'}, results.json and curves.png")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
