"""Class-conditional samples of CIFAR-10 priors, measured: sampling speed, class accuracy, codebook usage.

    KERAS_BACKEND=tensorflow python -m keras_vq.recipes.cifar10_samples --data-dir ../shared/data \
        --autoencoder-preset cifar10_logistic_mixture \
        --priors pixelcnn=cifar10_logistic_mixture transformer=cifar10_logistic_mixture \
        --output-dir runs/cifar10_samples

(`python recipes/cifar10_samples.py ...` in a clone). No FID: its Inception weights cannot be fetched
here. What can be measured instead, reading top to bottom:

1. A classifier: a small CNN (`classifier`) trained on CIFAR-10 `train[:90%]` with random flips and
   shifts, `--classifier-epochs` epochs; its accuracy on `train[90%:]` (validation) and on the `test`
   split (stated, never used to choose anything). Saved as `classifier.keras` and reused by a later run.
2. Each prior in `--priors` (`kind=preset`: `kind` one of PRIOR_KINDS, `preset` a built-in name or a
   directory), with each of its samplers: PixelCNN and the transformer by their cached loop, MaskGIT in
   each of `--maskgit-steps` passes. Every sampler draws `--samples-per-class` code maps of every class
   (the same labels and seed), timed after one warm-up draw of the same size: samples per second.
3. The samples decoded by the autoencoder, then: the classifier's accuracy against the labels they were
   drawn for (class accuracy); the codebook usage of their codes (codes used / K, and the perplexity of
   the codes' histogram), beside the same figures of as many validation images' own codes (and the
   classifier's accuracy on the validation images' reconstructions); a picture of each sampler's samples,
   one row a class.

Writes to --output-dir: `results.json`, `table.md`, `samples_<sampler>.png` and `classifier.keras`.
"""

import argparse
import math
import time

import keras
import numpy as np

import keras_vq
import keras_vq.plots

TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT = "train[:90%]", "train[90%:]", "test"
# The priors over image codes (WaveNet's are audio's).
PRIOR_KINDS = {name: keras_vq.models.PRIORS[name] for name in ("maskgit", "pixelcnn", "transformer")}
# The built-in priors over the codes of the VQ-VAE preset `cifar10_logistic_mixture`.
DEFAULT_PRIORS = ("pixelcnn=cifar10_logistic_mixture", "transformer=cifar10_logistic_mixture")
CLASS_NAMES = keras_vq.data.CIFAR10_CLASS_NAMES
CLASSIFIER_BATCH = 128
# Samples of each class in each sampler's picture.
PICTURED_PER_CLASS = 10


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/cifar10_samples", dataset="cifar10", resumable=False)
    parser.add_argument(
        "--autoencoder-preset", default="cifar10_logistic_mixture", help="the VQ-VAE preset the priors' codes are of"
    )
    parser.add_argument(
        "--priors",
        nargs="+",
        type=prior_choice,
        default=[prior_choice(text) for text in DEFAULT_PRIORS],
        help=f"priors as kind=preset (kind one of {sorted(PRIOR_KINDS)}; preset a built-in name or a directory; "
        f"default: {' '.join(DEFAULT_PRIORS)})",
    )
    parser.add_argument("--maskgit-steps", type=int, nargs="+", default=[8, 12], help="MaskGIT's passes to measure")
    parser.add_argument(
        "--guidance-scales",
        type=float,
        nargs="+",
        default=[1.0, 3.0],
        help="the transformers' classifier-free guidance scales to measure (1: none)",
    )
    parser.add_argument("--samples-per-class", type=int, default=20, help="samples drawn for each class")
    parser.add_argument("--classifier-epochs", type=int, default=10, help="the classifier's training epochs")
    parser.add_argument("--overwrite", action="store_true", help="replace the results in --output-dir")
    return parser.parse(positive_ints=("samples_per_class", "classifier_epochs"), check=check, start=False)


def prior_choice(text):
    kind, separator, preset = text.partition("=")
    if not separator or kind not in PRIOR_KINDS or not preset:
        raise argparse.ArgumentTypeError(f"{text!r}: give kind=preset, kind one of {sorted(PRIOR_KINDS)}")
    return kind, preset


def check(arguments):
    keras_vq.runs.refuse_to_replace_results(arguments.output_dir, arguments.overwrite)
    if any(scale < 0 for scale in arguments.guidance_scales):
        raise keras_vq.runs.RunError(f"--guidance-scales must all be >= 0, got {arguments.guidance_scales}")
    if any(steps < 1 for steps in arguments.maskgit_steps):
        raise keras_vq.runs.RunError(f"--maskgit-steps must all be >= 1, got {arguments.maskgit_steps}")


def classifier(seed):
    """A small CNN for 32x32x3 images in [0, 1]: three stages of two 3x3 convolutions (16, 32, 64
    channels, batch norm, ReLU) and 2x2 max-pooling, global average pooling, dropout, 10 logits."""
    layers = [keras.Input((32, 32, 3)), keras.layers.RandomFlip("horizontal", seed=seed)]
    layers.append(keras.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed))
    for channels in (16, 32, 64):
        for _ in range(2):
            layers += [
                keras.layers.Conv2D(channels, 3, padding="same", use_bias=False),
                keras.layers.BatchNormalization(),
                keras.layers.ReLU(),
            ]
        layers.append(keras.layers.MaxPooling2D())
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dropout(0.3), keras.layers.Dense(10)]
    return keras.Sequential(layers, name="classifier")


def labelled_images(arguments, split):
    """`split` of CIFAR-10 on [0, 1], and its labels."""
    return keras_vq.data.load_numpy(
        "cifar10", split, 500, data_dir=arguments.data_dir, evaluation=True, with_labels=True
    ).concatenated()


def trained_classifier(arguments):
    """The classifier of `classifier.keras` in --output-dir, or one trained now and saved there."""
    path = arguments.output_dir / "classifier.keras"
    if path.exists():
        return keras_vq.saving.load_model(path)
    model = classifier(arguments.seed)
    images, labels = labelled_images(arguments, TRAIN_SPLIT)  # Read only to train.
    steps = arguments.classifier_epochs * math.ceil(len(images) / CLASSIFIER_BATCH)
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(images, labels, batch_size=CLASSIFIER_BATCH, epochs=arguments.classifier_epochs, verbose=2)
    with keras_vq.utils.atomic.atomic_path(path) as temporary:
        model.save(temporary)
    return model


def accuracy(model, images, labels):
    return float(np.mean(np.argmax(model.predict(images, batch_size=500, verbose=0), axis=-1) == labels))


def codebook_figures(codes, num_embeddings):
    """Codes used / K and the perplexity of the codes' histogram."""
    return {
        "codebook_usage": keras_vq.metrics.codebook_usage(codes, num_embeddings),
        "code_perplexity": keras_vq.metrics.perplexity(codes, num_embeddings),
    }


def samplers(arguments):
    """(name, prior, keyword arguments of its `sample`) for each sampler measured: the transformers at each
    of `--guidance-scales` (the PixelCNN, trained without class dropout, at 1 only)."""
    for kind, preset in arguments.priors:
        prior = PRIOR_KINDS[kind].from_preset(preset)
        scales = [1.0] if kind == "pixelcnn" else arguments.guidance_scales
        for scale in scales:
            guidance = {} if kind == "pixelcnn" else {"guidance_scale": scale}
            suffix = "" if kind == "pixelcnn" else f", guidance {scale:g}"
            if kind == "maskgit":
                for steps in arguments.maskgit_steps:
                    yield f"maskgit, {steps} passes{suffix}", prior, {"steps": steps, **guidance}
            else:
                yield f"{kind}, cached{suffix}", prior, {"method": "cached", **guidance}


def main():
    arguments = parse_arguments()
    keras.utils.set_random_seed(arguments.seed)
    splits = {split: labelled_images(arguments, split) for split in (VALIDATION_SPLIT, TEST_SPLIT)}

    # 1. The classifier, and what it reaches on real images.
    model = trained_classifier(arguments)
    results = {
        "backend": keras.backend.backend(),
        "autoencoder_preset": arguments.autoencoder_preset,
        "classifier": {
            "epochs": arguments.classifier_epochs,
            "validation_accuracy": accuracy(model, *splits[VALIDATION_SPLIT]),
            "test_accuracy": accuracy(model, *splits[TEST_SPLIT]),
        },
    }
    autoencoder = keras_vq.models.VQVAE.from_preset(arguments.autoencoder_preset)
    num_embeddings = autoencoder.code_levels()["codes"].num_embeddings
    labels = np.repeat(np.arange(len(CLASS_NAMES)), arguments.samples_per_class)
    validation_images, validation_labels = splits[VALIDATION_SPLIT]
    reconstructions = autoencoder.predict(validation_images, batch_size=500, verbose=0)
    validation_codes = keras.ops.convert_to_numpy(autoencoder.encode(validation_images[: len(labels)])["codes"])
    results["validation_images"] = {
        "reconstruction_class_accuracy": accuracy(model, reconstructions, validation_labels),
        **codebook_figures(validation_codes, num_embeddings),  # Over as many maps as each sampler draws.
    }

    # 2-3. Each sampler: speed, class accuracy, codebook usage, a picture.
    results["samplers"] = {}
    for name, prior, options in samplers(arguments):
        prior.sample(len(labels), class_labels=labels, seed=arguments.seed, verbose=0, **options)  # Compiles.
        started = time.perf_counter()
        codes = prior.sample(len(labels), class_labels=labels, seed=arguments.seed, verbose=0, **options)
        seconds = time.perf_counter() - started
        decoded = autoencoder.decode({"codes": codes}, seed=arguments.seed)
        images = np.clip(keras.ops.convert_to_numpy(decoded), 0.0, 1.0)
        results["samplers"][name] = {
            "samples_per_second": len(labels) / seconds,
            "class_accuracy": accuracy(model, images, labels),
            **codebook_figures(codes, num_embeddings),
        }
        pictured = images.reshape(len(CLASS_NAMES), arguments.samples_per_class, *images.shape[1:])
        pictured = pictured[:, :PICTURED_PER_CLASS].reshape(-1, *images.shape[1:])
        file_name = "samples_" + "".join(character if character.isalnum() else "_" for character in name) + ".png"
        keras_vq.plots.save_sample_grid(pictured, CLASS_NAMES, arguments.output_dir / file_name.replace("__", "_"))
        print(name, results["samplers"][name], flush=True)

    keras_vq.runs.write_results(arguments.output_dir, results)
    keras_vq.utils.atomic.write_text_atomically(arguments.output_dir / "table.md", table(results))
    print(table(results))


def table(results):
    lines = [
        "| sampler | samples/s | class accuracy | codebook usage | code perplexity |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results["samplers"].items():
        lines.append(
            f"| {name} | {row['samples_per_second']:.1f} | {row['class_accuracy']:.3f} | "
            f"{row['codebook_usage']:.3f} | {row['code_perplexity']:.1f} |"
        )
    real = results["validation_images"]
    lines.append(
        f"| (validation images' reconstructions) | | {real['reconstruction_class_accuracy']:.3f} | "
        f"{real['codebook_usage']:.3f} | {real['code_perplexity']:.1f} |"
    )
    classifier_figures = results["classifier"]
    lines.append(
        f"\nClassifier: {classifier_figures['validation_accuracy']:.3f} validation, "
        f"{classifier_figures['test_accuracy']:.3f} test accuracy on real images."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
