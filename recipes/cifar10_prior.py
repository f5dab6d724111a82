"""Train class-conditional priors over a CIFAR-10 VQ-VAE's codes, measure bits/dim, sample.

    python -m keras_vq.recipes.cifar10_prior --data-dir ../shared/data --model vqvae --steps 20000 \
        --output-dir runs/cifar10_prior

(`python recipes/cifar10_prior.py ...` in a clone).

With `--model vqvae` it trains one prior over the 8x8 codes of
`VQVAE.from_preset("cifar10")`; with `--model vqvae2`, the two priors of
`VQVAE2.from_preset("cifar10")`: over the 4x4 top codes, then over the 8x8
bottom codes conditioned on the top ones. All priors are conditioned on the
class label. The prior is `--prior` (a name in `keras_vq.models.PRIORS`,
PixelCNN by default) built by its `for_code_level` with
`--prior-arguments` (its constructor's architecture arguments, as JSON).
MaskGIT gives no likelihood: its held-out figure is the masked codes' bits
(its `evaluate`), and there is no bits/dim bound. Reads top to bottom:
codes, priors, figures, samples.

Codes come from `keras_vq.data.load_codes` (encoded once, cached under
~/.keras/keras_vq/codes). Priors train on the first 90% of the CIFAR-10 train
split (the VQ-VAE's own training images); the other 10% is the validation
set; the test split is used only for the final figures. Training is
checkpointed every --steps-per-epoch steps: rerun with --resume after a crash.
Writes to --output-dir:

    <level>/preset/      each prior as a preset (metadata: validation and test bits/code)
    samples.png          --samples-per-class generated images for each class (rows)
    results.json         bits/code per level, the test bits/dim bound and its parts

Bits/dim: -log2 p(x) <= -log2 p(x | z) - log2 p(z) over the test split, with
p(x | z) the decoder's own distribution (an autoencoder trained with
`output_distribution="logistic_mixture"`), or for one trained with the MSE a
discretised logistic around the decoder's output whose per-channel scale is
fitted on training images (`keras_vq.metrics.bits_per_dim`).
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_vq
import keras_vq.plots

AUTOENCODERS = {"vqvae": keras_vq.models.VQVAE, "vqvae2": keras_vq.models.VQVAE2}
TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT = "train[:90%]", "train[90%:]", "test"
# Training images whose reconstructions fit the decoder likelihood's scales.
SCALE_FIT_IMAGES = 5000
# Each prior's architecture unless --prior-arguments says otherwise: its shipped CIFAR-10 presets'.
DEFAULT_PRIOR_ARGUMENTS = {
    "pixelcnn": {"channels": 64, "num_blocks": 8},
    "transformer": {"dim": 128, "num_layers": 4, "num_heads": 4, "dropout": 0.1, "class_dropout": 0.1},
    "maskgit": {"dim": 128, "num_layers": 4, "num_heads": 4, "dropout": 0.1, "class_dropout": 0.1},
}


def recipe_parser():
    """The recipe's command line (parse_arguments parses and checks it)."""
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/cifar10_prior", dataset="cifar10")
    parser.add_argument(
        "--model",
        choices=sorted(AUTOENCODERS),
        default="vqvae",
        help="whose codes: the VQ-VAE's (one prior) or the VQ-VAE-2's (top and bottom priors)",
    )
    parser.add_argument("--autoencoder-preset", default="cifar10", help="the autoencoder's preset name or directory")
    parser.add_training_options(steps=20_000, batch_size=64, learning_rate=1e-3, data_parallel=True)
    parser.add_argument(
        "--prior", choices=sorted(keras_vq.models.PRIORS), default="pixelcnn", help="the prior over each level's codes"
    )
    parser.add_argument(
        "--prior-arguments",
        type=prior_arguments,
        help="the prior's architecture arguments as a JSON object (default: its shipped presets', "
        + "; ".join(f"{name}: {json.dumps(value)}" for name, value in DEFAULT_PRIOR_ARGUMENTS.items())
        + ")",
    )
    parser.add_argument("--samples-per-class", type=int, default=10, help="samples drawn for each class")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    return parser


def parse_arguments():
    return recipe_parser().parse(
        positive_ints=("steps", "batch_size", "steps_per_epoch", "samples_per_class"),
        positive_numbers=("learning_rate", "temperature"),
        may_change=keras_vq.runs.TRAINING_MAY_CHANGE,
        check=fill_default_prior_arguments,
    )


def fill_default_prior_arguments(arguments):
    """Without `--prior-arguments`, the prior's defaults, filled in before the run records its arguments
    (so that a resumed run builds the same prior whatever later defaults say)."""
    if arguments.prior_arguments is None:
        arguments.prior_arguments = DEFAULT_PRIOR_ARGUMENTS.get(arguments.prior, {})


def prior_arguments(text):
    """`--prior-arguments`: a JSON object of keyword arguments."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object of keyword arguments; got {text!r}")
    return value


def build_prior(level, arguments):
    """A class-conditional prior over one of the autoencoder's code levels (conditioned on the top
    codes too, for VQ-VAE-2's bottom level)."""
    return keras_vq.models.PRIORS[arguments.prior].for_code_level(
        level,
        num_classes=len(keras_vq.data.CIFAR10_CLASS_NAMES),
        name=f"{level.name}_prior",
        **arguments.prior_arguments,
    )


def held_out_bits(prior, codes, level):
    """Bits/code on the validation and test codes: the exact figure, or MaskGIT's masked codes' bits."""
    figures = {}
    for name, split in (("validation", VALIDATION_SPLIT), ("test", TEST_SPLIT)):
        inputs = keras_vq.data.prior_inputs(codes[split], level, prior)
        if prior.HAS_LIKELIHOOD:
            symbols = np.asarray(prior.symbols_of(inputs))
            figures[f"{name}_bits_per_code"] = float(prior.log_likelihood_bits(inputs).sum() / symbols.size)
        else:
            logs = prior.evaluate(inputs, batch_size=256, verbose=0, return_dict=True)
            figures[f"{name}_masked_bits_per_code"] = float(logs[prior.BITS_METRIC])
    return figures


def train_prior(level, codes, arguments):
    """Trains the prior of `level` (or, when its checkpoint holds every step, loads it); returns it in float32."""
    level_dir = arguments.output_dir / level.name
    with keras_vq.distribute.scope(arguments.data_parallel):  # --data-parallel: every device
        keras.config.set_dtype_policy(arguments.dtype_policy)
        prior = build_prior(level, arguments)
        keras.config.set_dtype_policy("float32")
        inputs = keras_vq.data.prior_inputs(codes[TRAIN_SPLIT], level, prior)
        # The prior's own batches (MaskGIT's masked at random), drawn from the seed and step: resumable.
        training = prior.training_batches(inputs, arguments.batch_size, seed=arguments.seed)
        prior.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))
        started = time.perf_counter()
        history = keras_vq.training.fit_resumably(
            prior,
            lambda step: keras_vq.distribute.process_share(keras_vq.training.batches_from(training, step)),
            total_steps=arguments.steps,
            steps_per_epoch=arguments.steps_per_epoch,
            run_dir=level_dir,
        )
    prior = keras_vq.training.in_float32(prior)
    keras_vq.plots.save_loss_curves(history, level_dir / "loss_curves.png", keys=[prior.BITS_METRIC])
    return prior, {
        "training_steps": len(history.get("loss", [])) * arguments.steps_per_epoch,
        "seconds_this_run": round(time.perf_counter() - started, 1),
    }


def main():
    arguments = parse_arguments()
    keras.utils.set_random_seed(arguments.seed)

    # Codes of the three splits under the trained autoencoder.
    autoencoder = AUTOENCODERS[arguments.model].from_preset(arguments.autoencoder_preset)
    codes = {
        split: keras_vq.data.load_codes(
            autoencoder, "cifar10", split, data_dir=arguments.data_dir, download=arguments.download
        )
        for split in (TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT)
    }

    # Priors, level by level, each with its bits/code on validation and test codes.
    priors, results = (
        [],
        {
            "model": arguments.model,
            "autoencoder_preset": arguments.autoencoder_preset,
            "backend": keras.backend.backend(),
            "levels": {},
        },
    )
    for level in autoencoder.code_levels().values():
        prior, training = train_prior(level, codes, arguments)
        priors.append(prior)
        results["levels"][level.name] = {**training, **held_out_bits(prior, codes, level)}

    # The whole model's bound on the test split, in bits per dimension: under the decoder's own likelihood
    # when it has one, else under a logistic around its output with per-channel scales fitted on training images.
    # (None with MaskGIT, which gives no likelihood.)
    scales = None
    if all(prior.HAS_LIKELIHOOD for prior in priors) and not autoencoder.output_distribution.has_likelihood:
        training_images = keras_vq.data.load_numpy(
            "cifar10", TRAIN_SPLIT, 500, data_dir=arguments.data_dir, evaluation=True
        ).concatenated()[:SCALE_FIT_IMAGES]
        means = autoencoder.predict(training_images, verbose=0)
        pixels = np.rint(training_images * 255).astype(np.int64)
        scales = keras_vq.metrics.fit_logistic_scales(pixels, means)
        results["decoder_logistic_scales"] = scales.tolist()
    test_images, test_labels = keras_vq.data.load_numpy(
        "cifar10", TEST_SPLIT, 500, data_dir=arguments.data_dir, evaluation=True, with_labels=True
    ).concatenated()
    if all(prior.HAS_LIKELIHOOD for prior in priors):
        results["test"] = keras_vq.metrics.bits_per_dim(autoencoder, priors, test_images, scales, test_labels)

    keras_vq.runs.write_results(arguments.output_dir, results)  # Refuses NaN figures before anything is published.

    # Samples: one row per class.
    labels = np.repeat(np.arange(len(keras_vq.data.CIFAR10_CLASS_NAMES)), arguments.samples_per_class)
    samples = autoencoder.generate(
        *priors, len(labels), class_labels=labels, temperature=arguments.temperature, seed=arguments.seed
    )
    keras_vq.plots.save_sample_grid(samples, keras_vq.data.CIFAR10_CLASS_NAMES, arguments.output_dir / "samples.png")

    # Presets again, now with their figures in the metadata.
    command = recipe_parser().command_line("keras_vq.recipes.cifar10_prior", arguments)
    for level, prior in zip(autoencoder.code_levels(), priors):
        prior.save_to_preset(
            arguments.output_dir / level / "preset",
            metadata={
                "dataset": f"codes of CIFAR-10 {TRAIN_SPLIT} under {arguments.model} preset "
                f"{arguments.autoencoder_preset!r}, batch {arguments.batch_size}, seed {arguments.seed}",
                "training_dtype_policy": arguments.dtype_policy,
                **results["levels"][level],
                **(
                    {"test_bits_per_dim_of_the_whole_model": results["test"]["bits_per_dim"]}
                    if "test" in results
                    else {}
                ),
                "recipe": command,
            },
            overwrite=True,
        )
    print(json.dumps(results, indent=2))
    print(f"wrote {arguments.output_dir / 'samples.png'} and the presets in {arguments.output_dir}/*/preset")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
