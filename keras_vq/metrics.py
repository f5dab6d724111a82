"""Evaluation figures computed on whole datasets with NumPy.

Batch statistics during training come from the layers; these functions give
the figures a paper reports, over all the codes or images of a split.
"""

import math

import keras
import numpy as np

from keras_vq.distribute.data_parallel import predict_rows
from keras_vq.layers.gaussian_latent import kl_to_standard_normal
from keras_vq.output_distributions import FLOAT64_NUMPY_OPS, LEVELS, logistic_level_log_probability
from keras_vq.utils.checks import check_index_range, check_positive_int, checked_figure_data
from keras_vq.utils.progress import Progress, live_display

__all__ = [
    "code_histogram",
    "perplexity",
    "perplexity_of_counts",
    "codebook_usage",
    "code_bits_per_second",
    "mean_squared_error",
    "normalized_mean_squared_error",
    "peak_signal_to_noise_ratio",
    "reconstruction_report",
    "active_units",
    "discretized_logistic_bits",
    "fit_logistic_scales",
    "bits_per_dim",
    "linear_probe_accuracy",
    "spectrogram_decoder_report",
    "wavenet_decoder_report",
]


def code_histogram(indices, num_embeddings):
    """How often each of the `num_embeddings` codes occurs in `indices`.

    Example:
        ```python
        import keras_vq

        print(keras_vq.metrics.code_histogram([[0, 1], [1, 3]], num_embeddings=4))  # [1 2 0 1]
        ```
    """
    indices = np.asarray(indices).reshape(-1)
    check_index_range("indices", indices, num_embeddings)
    return np.bincount(indices, minlength=num_embeddings)


def perplexity(indices, num_embeddings):
    """exp(entropy) of the code frequencies: K if all codes are equally used, 1 if one code is.

    Example:
        ```python
        import keras_vq

        print(keras_vq.metrics.perplexity([0, 1, 2, 3], num_embeddings=4))  # 4.0: every code equally used
        print(keras_vq.metrics.perplexity([2, 2, 2, 2], num_embeddings=4))  # 1.0: one code
        ```
    """
    return perplexity_of_counts(code_histogram(indices, num_embeddings))


def perplexity_of_counts(counts):
    """exp(entropy) of the frequencies `counts` (how often each code occurred; zeros allowed).

    Example:
        ```python
        import keras_vq

        print(keras_vq.metrics.perplexity_of_counts([5, 5, 0]))  # 2.0: two codes, equally often
        ```
    """
    counts = np.asarray(counts, np.float64)
    probabilities = counts[counts > 0] / counts.sum()
    return float(np.exp(-np.sum(probabilities * np.log(probabilities))))


def codebook_usage(indices, num_embeddings):
    """Fraction of the codes that occur at least once.

    Example:
        ```python
        import keras_vq

        print(keras_vq.metrics.codebook_usage([0, 0, 1, 1], num_embeddings=8))  # 0.25: 2 of 8 codes occur
        ```
    """
    return float(np.mean(code_histogram(indices, num_embeddings) > 0))


def code_bits_per_second(model, sample_rate):
    """Bits a second of a 1-D VQ-VAE's codes: log2 K for each code a position (each stage of a residual
    quantizer), one position every `2**num_downsamples` samples of audio at `sample_rate`.

    Example:
        ```python
        import keras_vq

        vqvae = keras_vq.models.VQVAE.from_preset("librispeech")
        print(keras_vq.metrics.code_bits_per_second(vqvae, 16_000))  # 2250.0: 9 bits every 4 ms
        ```
    """
    positions_per_second = sample_rate / 2**model.num_downsamples
    return positions_per_second * model.quantizer.codes_per_position * math.log2(model.num_embeddings)


def mean_squared_error(targets, predictions):
    """mean((targets - predictions)^2) over every element, in float64, on the data's own scale.

    Example:
        ```python
        import numpy as np

        import keras_vq

        print(keras_vq.metrics.mean_squared_error(np.zeros(4), np.full(4, 0.5)))  # 0.25
        ```
    """
    targets, predictions = np.asarray(targets, np.float64), np.asarray(predictions, np.float64)
    return float(np.mean((targets - predictions) ** 2))


def normalized_mean_squared_error(targets, predictions):
    """MSE over the variance of the targets on the same scale (Sonnet's VQ-VAE example).

    Example:
        ```python
        import numpy as np

        import keras_vq

        targets = np.array([0.0, 1.0, 0.0, 1.0])  # variance 0.25
        # 1.0: no better than the mean
        print(keras_vq.metrics.normalized_mean_squared_error(targets, np.full(4, 0.5)))
        ```
    """
    return mean_squared_error(targets, predictions) / float(np.var(np.asarray(targets, np.float64)))


def peak_signal_to_noise_ratio(targets, predictions, data_range=(0.0, 1.0)):
    """PSNR in dB: 10 log10(peak^2 / MSE), peak = high - low of the data's scale.

    Example:
        ```python
        import numpy as np

        import keras_vq

        print(round(keras_vq.metrics.peak_signal_to_noise_ratio(np.zeros(4), np.full(4, 0.1)), 1))  # 20.0 dB
        ```
    """
    peak = data_range[1] - data_range[0]
    return float(10.0 * np.log10(peak**2 / mean_squared_error(targets, predictions)))


def reconstruction_report(model, data, batch_size=256, verbose="auto"):
    """Whole-split figures for a trained VQVAE, VQVAE2 or VAE on `data` (on its `data_range`).

    One set of definitions for every model (the [Concepts](../concepts.md) page):

    - `mse` = mean over every element of (x - x_hat)^2 on the data's scale
      ([0, 1] for images), `nmse` = mse / Var(x) (Sonnet's), `psnr_db` =
      10 log10((high - low)^2 / mse).
    - Code models, per level (prefixed `top_`/`bottom_` for VQ-VAE-2, none for
      VQ-VAE's one level): `commitment_loss` = mean over elements of
      (z_e - sg[e_k])^2 with e_k the nearest code (the quantity the loss weighs
      by beta, before beta; summed over a residual quantizer's stages, none for
      FSQ), `perplexity` and `codebook_usage` of the codes over the whole
      split. Where a position has several codes (residual VQ), `perplexity` is
      of the position's tuple of stage codes (so it compares with one code of
      K^N values) and `codebook_usage` the stages' mean. With several levels,
      `commitment_loss` is also given as the mean of the levels'.
    - VAE: `kl_per_image` = sum over latent elements of
      KL(q(z|x) || N(0, 1)) in nats, averaged over images; `kl_per_channel`,
      the mean KL of each latent channel (over images and positions);
      `active_units`, the number of latent elements u (position x channel)
      with Cov_x(E_q[z_u | x]) > 0.01 (Burda et al. 2015, sec. 5.2), out of
      `latent_units` (with two examples or more): the measure of posterior
      collapse.
    - A decoder with a likelihood (`output_distribution="logistic_mixture"`):
      `bits_per_dim` = -log2 p(x | z) per dimension under it, with z the
      codes (a VQ model) or the posterior mean (a VAE); the reconstruction
      is the distribution's mean.

    `verbose` shows progress (`keras_vq.utils.progress`).

    Example:
        ```python
        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE.from_preset("cifar10")
        report = keras_vq.metrics.reconstruction_report(model, images[:64], verbose=0)
        print(sorted(report))  # codebook_usage, commitment_loss, examples, mse, nmse, perplexity, psnr_db
        ```
    """
    data = checked_figure_data("data", data)
    check_positive_int("batch_size", batch_size)
    starts = range(0, len(data), batch_size)
    progress = Progress(f"reconstruction report on {len(data):,} examples", len(starts), "batch", verbose)
    quantizers = model.level_quantizers() if hasattr(model, "level_quantizers") else {}
    is_vae = not quantizers and hasattr(model, "latent")
    distribution = getattr(model, "output_distribution", None)
    likelihood = distribution if distribution is not None and distribution.has_likelihood else None
    reconstructions, codes, squared_errors, element_counts, means, kl_sums = [], {}, {}, {}, [], []
    decoder_nats = 0.0
    for start in starts:
        batch = data[start : start + batch_size]
        if likelihood is None:
            reconstructions.append(np.asarray(predict_rows(model, batch)))
        else:  # One pass gives the distribution: its mean, and the data's likelihood under it.
            outputs = model(batch, training=False)
            reconstructions.append(np.asarray(keras.ops.convert_to_numpy(likelihood.mean(outputs))))
            decoder_nats -= np.sum(
                keras.ops.convert_to_numpy(likelihood.log_probability(batch, outputs)), dtype=np.float64
            )
        if quantizers:
            for name, level_outputs in model.encoder_outputs(batch).items():
                # The quantizer's own figures: the commitment its loss weighs by beta, the batch's mean.
                quantized = quantizers[name].quantize_vectors(level_outputs)
                codes.setdefault(name, []).append(np.asarray(keras.ops.convert_to_numpy(quantized["indices"])))
                if "commitment_loss" in quantized:  # FSQ has none
                    elements = int(np.prod(keras.ops.shape(level_outputs)))
                    commitment = float(keras.ops.convert_to_numpy(quantized["commitment_loss"]))
                    squared_errors[name] = squared_errors.get(name, 0.0) + commitment * elements
                    element_counts[name] = element_counts.get(name, 0) + elements
        if is_vae:
            posterior = {
                key: np.asarray(keras.ops.convert_to_numpy(value), np.float64)
                for key, value in model.posterior(batch).items()
            }
            means.append(posterior["mean"])
            kl_sums.append(kl_to_standard_normal(posterior["mean"], posterior["log_variance"], xp=np))
        progress.advance()
    progress.done()
    reconstructions = np.concatenate(reconstructions)
    report = {
        "examples": int(len(data)),
        "mse": mean_squared_error(data, reconstructions),
        "nmse": normalized_mean_squared_error(data, reconstructions),
        "psnr_db": peak_signal_to_noise_ratio(data, reconstructions, model.data_range),
    }
    if likelihood is not None:
        report["bits_per_dim"] = float(decoder_nats / np.log(2.0) / data.size)
    if quantizers:
        levels = model.code_levels()
        for name, level in levels.items():
            prefix = f"{name}_" if len(levels) > 1 else ""  # One level: "perplexity"; VQ-VAE-2: "top_perplexity"...
            level_codes = np.concatenate(codes[name])
            if name in squared_errors:
                report[f"{prefix}commitment_loss"] = squared_errors[name] / element_counts[name]
            if level.stage_axis:  # A position's code is its tuple of stage codes.
                stages = level_codes.reshape(-1, level_codes.shape[-1])
                report[f"{prefix}perplexity"] = perplexity_of_counts(np.unique(stages, axis=0, return_counts=True)[1])
                report[f"{prefix}codebook_usage"] = float(
                    np.mean(
                        [codebook_usage(stages[:, stage], level.num_embeddings) for stage in range(stages.shape[1])]
                    )
                )
            else:
                report[f"{prefix}perplexity"] = perplexity(level_codes, level.num_embeddings)
                report[f"{prefix}codebook_usage"] = codebook_usage(level_codes, level.num_embeddings)
        committed = [report[f"{name}_commitment_loss"] for name in levels if f"{name}_commitment_loss" in report]
        if len(levels) > 1 and committed:
            report["commitment_loss"] = float(np.mean(committed))
    if is_vae:
        means, kl = np.concatenate(means), np.concatenate(kl_sums)
        report["kl_per_image"] = float(kl.reshape(len(kl), -1).sum(axis=1).mean())
        report["kl_per_channel"] = [float(value) for value in kl.reshape(-1, kl.shape[-1]).mean(axis=0)]
        if len(means) > 1:  # A covariance over the data needs two examples.
            report["active_units"] = active_units(means)
            report["latent_units"] = int(np.prod(means.shape[1:]))
    return report


def active_units(posterior_means, threshold=0.01):
    """How many latent elements are used: those whose posterior mean varies across the data,
    Cov_x(E_q[z_u | x]) > `threshold` (Burda, Grosse and Salakhutdinov, "Importance Weighted
    Autoencoders", 2015, https://arxiv.org/abs/1509.00519, sec. 5.2). `posterior_means` is
    `(examples, *latent_shape)`; each element after the first axis is one unit. Few active units
    is posterior collapse: the decoder ignores the latent.

    Example:
        ```python
        import numpy as np

        import keras_vq

        rng = np.random.default_rng(0)
        means = np.concatenate([rng.normal(0, 1, (500, 3)), rng.normal(0, 0.01, (500, 5))], axis=1)
        print(keras_vq.metrics.active_units(means))  # 3: the other five barely move with x
        ```
    """
    posterior_means = np.asarray(posterior_means, np.float64)
    if posterior_means.ndim < 2 or len(posterior_means) < 2:
        raise ValueError(f"posterior_means must be (examples >= 2, *latent_shape); got shape {posterior_means.shape}")
    return int(np.sum(posterior_means.reshape(len(posterior_means), -1).var(axis=0) > threshold))


def discretized_logistic_bits(pixels, means, scales):
    """-log2 P(pixel) under a logistic discretised to 8-bit levels (Salimans et al.
    2017, PixelCNN++, eq. 2), element by element.

    P(v) = sigmoid((v/255 + 1/510 - mu) / s) - sigmoid((v/255 - 1/510 - mu) / s),
    with the whole tail below the first bin given to v = 0 and above the last
    to v = 255. `pixels` int in [0, 255]; `means` on [0, 1]; `scales` > 0,
    broadcastable (e.g. one per channel). The likelihood the image decoders train
    with (`keras_vq.output_distributions.logistic_level_log_probability`), in float64 NumPy.

    Example:
        ```python
        import numpy as np

        import keras_vq

        pixels = np.array([128, 128])  # 8-bit levels
        bits = keras_vq.metrics.discretized_logistic_bits(pixels, means=np.array([128 / 255, 0.3]), scales=0.02)
        print(np.round(bits, 2))  # [ 4.35 16.92]: a mean on the pixel costs few bits, one 0.2 away many more
        ```
    """
    pixels = np.asarray(pixels)
    if pixels.size and (pixels.min() < 0 or pixels.max() > LEVELS - 1):
        raise ValueError(f"pixels must be integers in [0, 255]; got {pixels.min()}..{pixels.max()}")
    if not np.issubdtype(pixels.dtype, np.integer) and not np.array_equal(pixels, np.round(pixels)):
        fraction = pixels[pixels != np.round(pixels)].flat[0]
        raise ValueError(
            f"pixels must be 8-bit levels, integers in [0, 255]; got non-integer values such as "
            f"{fraction} (images on [0, 1] need np.round(images * 255))"
        )
    scales = np.asarray(scales, np.float64)
    if (scales <= 0).any():
        raise ValueError(f"scales must be > 0; got {scales}")
    # On the likelihood's [-1, 1] scale, where a level is 2/255 wide and the scale doubles.
    centred = 2.0 * (pixels / (LEVELS - 1.0) - np.asarray(means, np.float64))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_probability = logistic_level_log_probability(centred, 0.5 / scales, pixels, ops=FLOAT64_NUMPY_OPS)
    return -log_probability / np.log(2.0)


def fit_logistic_scales(pixels, means, channel_axis=-1):
    """Per-channel logistic scales s maximising the discretised likelihood of `pixels`
    given `means` (a log-spaced search from 1e-3 to 1, then a finer one around the best).

    Example:
        ```python
        import numpy as np

        import keras_vq

        rng = np.random.default_rng(0)
        means = rng.uniform(0.2, 0.8, size=(500, 3))
        noisy = np.clip(means + rng.logistic(scale=[0.01, 0.03, 0.05], size=(500, 3)), 0, 1)
        pixels = np.round(noisy * 255).astype(int)  # 8-bit levels
        print(np.round(keras_vq.metrics.fit_logistic_scales(pixels, means), 2))  # close to [0.01 0.03 0.05]
        ```
    """
    pixels, means = np.asarray(pixels), np.asarray(means, np.float64)
    pixels, means = np.moveaxis(pixels, channel_axis, -1), np.moveaxis(means, channel_axis, -1)
    scales = []
    for channel in range(pixels.shape[-1]):
        values, centres = pixels[..., channel].reshape(-1), means[..., channel].reshape(-1)
        grid = np.geomspace(1e-3, 1.0, 61)
        for _ in range(2):
            costs = [discretized_logistic_bits(values, centres, scale).mean() for scale in grid]
            best = int(np.argmin(costs))
            grid = np.geomspace(grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)], 41)
        scales.append(float(grid[20]))
    return np.array(scales)


def bits_per_dim(model, priors, images, scales=None, class_labels=None, batch_size=250, verbose="auto"):
    """The whole model's negative log-likelihood bound on `images` in bits per
    pixel dimension (van den Oord et al. 2017, sec. 4.1):

        -log2 p(x) <= -log2 p(x | z_q(x)) - log2 p(z_q(x)),

    exact for a one-hot posterior (KL(q || p) = -log p(z)). p(x | z) is the
    decoder's own distribution when it has one (`output_distribution=
    "logistic_mixture"`; `scales` must then be None); for a decoder trained
    with the MSE, its output as the mean of a discretised logistic with
    per-channel `scales` (from `fit_logistic_scales` on training images).
    p(z) is the prior(s) over the codes (any autoregressive prior: PixelCNN, ...), one per level of
    `model.code_levels()` in its order: one for a VQVAE, `(top, bottom)` for a VQVAE2. With a
    `ResidualVectorQuantizer`, z is the first stage's codes, which the prior
    models and the decoder decodes alone, as `generate` does.

    Returns a dict: `bits_per_dim`, and its `decoder_bits_per_dim` and
    `prior_bits_per_dim` parts. `verbose` shows progress (`keras_vq.utils.progress`).

    Example:
        ```python
        import numpy as np

        import keras_vq

        images, labels, _ = keras_vq.data.load_cifar10_sample()
        vqvae = keras_vq.models.VQVAE.from_preset("cifar10")
        prior = keras_vq.models.PixelCNN.from_preset("cifar10")
        scales = np.full(3, 0.03)  # keras_vq.metrics.fit_logistic_scales on training reconstructions, in practice
        figures = keras_vq.metrics.bits_per_dim(vqvae, prior, images[:8], scales, class_labels=labels[:8], verbose=0)
        print(figures)  # bits_per_dim = decoder_bits_per_dim + prior_bits_per_dim
        ```
    """
    from keras_vq.models.conv_autoencoder import check_prior

    images = checked_figure_data("images", images)
    low, high = model.data_range
    if images.dtype.kind != "f":
        raise ValueError(
            f"images must be floats on the model's scale {(low, high)}; got dtype {images.dtype} "
            "(divide 8-bit pixels by 255, as keras_vq.data does)"
        )
    if images.min() < low - 1e-6 or images.max() > high + 1e-6:
        raise ValueError(
            f"images must lie in the model's data_range {(low, high)}; got values in "
            f"[{images.min():g}, {images.max():g}]"
        )
    images = images.astype(np.float32)
    check_positive_int("batch_size", batch_size)
    decoder_bits, prior_bits = 0.0, 0.0
    likelihood = model.output_distribution if model.output_distribution.has_likelihood else None
    if (likelihood is None) == (scales is None):
        raise ValueError(
            "scales are for a decoder trained with the MSE (fit them with fit_logistic_scales); "
            f"this {type(model).__name__}'s decoder "
            + ("has its own likelihood: pass scales=None" if likelihood else "needs them")
        )
    priors = priors if isinstance(priors, (tuple, list)) else (priors,)
    levels = model.code_levels()
    if len(priors) != len(levels):
        raise ValueError(f"priors must be one prior per code level {list(levels)}, in that order; got {len(priors)}")
    for index, level in enumerate(levels.values()):  # What generate checks, by level.
        check_prior(priors[index], level, f"priors[{index}]")
        condition = None if level.condition is None else np.zeros((len(images), *level.condition.shape), np.int32)
        priors[index].check_conditioning(len(images), priors[index].conditioning_for(class_labels, condition))
    starts = range(0, len(images), batch_size)
    progress = Progress(f"bits/dim on {len(images):,} images", len(starts), "batch", verbose)
    for start in starts:
        batch = images[start : start + batch_size]
        labels = None if class_labels is None else np.asarray(class_labels)[start : start + batch_size]
        encoded = {name: keras.ops.convert_to_numpy(level) for name, level in model.encode(batch).items()}
        # What a prior models and generation decodes: a residual quantizer's first stage, or every stage
        # for a prior over all of them (`CodeLevel.modelled_codes`).
        prior_codes = {
            name: level.modelled_codes(encoded[name], prior.level_spec().stages)
            for (name, level), prior in zip(levels.items(), priors)
        }
        codes = {name: level.as_decoder_codes(prior_codes[name]) for name, level in levels.items()}
        if likelihood is not None:
            nats = -likelihood.log_probability(batch, model.decoder_parameters(codes))
            decoder_bits += np.sum(keras.ops.convert_to_numpy(nats), dtype=np.float64) / np.log(2.0)
        else:
            means = keras.ops.convert_to_numpy(model.decode(codes))
            pixels = np.rint(batch * (LEVELS - 1)).astype(np.int64)
            decoder_bits += discretized_logistic_bits(pixels, means, scales).sum()
        for level, prior in zip(levels.values(), priors):
            condition = (
                None if level.condition is None else level.condition.prior_codes(prior_codes[level.condition.name])
            )
            prior_bits += prior.log_likelihood_bits(prior.inputs_for(prior_codes[level.name], labels, condition)).sum()
        progress.advance()
    progress.done()
    dimensions = images.size
    return {
        "bits_per_dim": float((decoder_bits + prior_bits) / dimensions),
        "decoder_bits_per_dim": float(decoder_bits / dimensions),
        "prior_bits_per_dim": float(prior_bits / dimensions),
    }


def linear_probe_accuracy(
    train_features,
    train_labels,
    test_features,
    test_labels,
    num_classes,
    epochs=20,
    batch_size=256,
    learning_rate=1e-2,
    seed=0,
    verbose="auto",
):
    """Accuracy on the test set of a linear softmax classifier trained on the training set.

    A linear probe (Alain and Bengio 2016, https://arxiv.org/abs/1610.01644)
    measures how much of a label a representation carries in linearly
    readable form: here, which speaker a VQ-VAE's latent frame came from
    (van den Oord et al. 2017, sec. 4.3, say the codes carry less of it than
    the encoder's continuous output). Features are standardised with the
    training set's mean and deviation; the classifier is one Dense layer
    trained with Adam on the cross-entropy. `verbose` shows a line per
    training epoch (`keras_vq.utils.progress`).

    Example:
        ```python
        import numpy as np

        import keras_vq

        rng = np.random.default_rng(0)
        labels = rng.integers(0, 2, 400)
        features = rng.normal(size=(400, 8)) + labels[:, None]  # the class shifts every feature
        accuracy = keras_vq.metrics.linear_probe_accuracy(features[:300], labels[:300], features[300:], labels[300:],
                                                          num_classes=2, verbose=0)
        print(accuracy > 0.8)  # True
        ```
    """
    train_features = np.asarray(train_features, np.float32)
    test_features = np.asarray(test_features, np.float32)
    if train_features.ndim != 2 or test_features.shape[1:] != train_features.shape[1:]:
        raise ValueError(
            f"features must be (examples, dims) with the same dims; got {train_features.shape} "
            f"and {test_features.shape}"
        )
    mean, deviation = train_features.mean(axis=0), train_features.std(axis=0) + 1e-6
    keras.utils.set_random_seed(seed)
    probe = keras.Sequential([keras.Input(shape=train_features.shape[1:]), keras.layers.Dense(num_classes)])
    probe.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    fit_verbose = 0 if not verbose else (1 if live_display() else 2)
    probe.fit(
        (train_features - mean) / deviation,
        np.asarray(train_labels),
        epochs=epochs,
        batch_size=batch_size,
        verbose=fit_verbose,
    )
    logits = probe.predict((test_features - mean) / deviation, batch_size=4096, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(test_labels)))


def spectrogram_decoder_report(model, audio, speakers=None, batch_size=8, verbose="auto"):
    """Whole-set figures for a VQVAE with a `SpectrogramDecoder` on `audio` `(n, length, 1)`:
    `spectral_loss` (`keras_vq.spectrograms.spectral_loss`, mean |ln S - ln Ŝ| plus the spectral
    convergence ||S - Ŝ||_F / ||S||_F, per clip, averaged over clips), `log_spectral_distance_db`
    (the RMS of 20 log10 S - 20 log10 Ŝ over every bin of every frame: the same error in decibels),
    and the `perplexity` and `codebook_usage` of the codes. Deterministic: no sampling, no Griffin-Lim.

    Example:
        ```python
        import numpy as np

        import keras_vq

        decoder = keras_vq.models.SpectrogramDecoder(latent_dim=8, hop=64, channels=16, num_blocks=1)
        vqvae = keras_vq.models.VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=16,
                                      residual_channels=8, num_downsamples=6, decoder=decoder,
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 8))
        audio = np.random.default_rng(0).normal(0, 0.05, size=(2, 1024, 1)).astype("float32")
        report = keras_vq.metrics.spectrogram_decoder_report(vqvae, audio, verbose=0)
        print(sorted(report))
        ```
    """
    from keras_vq import spectrograms
    from keras_vq.models.spectrogram_decoder.spectrogram_decoder import SpectrogramDecoder

    audio = checked_figure_data("audio", audio).astype(np.float32)
    check_positive_int("batch_size", batch_size)
    network = model.decoder
    if not isinstance(network, SpectrogramDecoder):
        raise ValueError(
            f"spectrogram_decoder_report needs a VQVAE with a SpectrogramDecoder; this one decodes "
            f"with {type(network).__name__}"
        )
    if network.num_speakers and speakers is None:
        raise ValueError("this model's SpectrogramDecoder is speaker-conditioned: pass speakers")
    total_loss, squared_db, bins, codes = 0.0, 0.0, 0, []
    starts = range(0, len(audio), batch_size)
    progress = Progress(f"spectrogram decoder report on {len(audio):,} clips", len(starts), "batch", verbose)
    for start in starts:
        batch = audio[start : start + batch_size]
        inputs = (
            batch
            if not network.num_speakers
            else {"audio": batch, "speakers": np.asarray(speakers[start : start + batch_size])}
        )
        predicted = predict_rows(model, inputs)
        target = spectrograms.log_magnitude(batch, network.fft_length, network.hop)
        total_loss += float(keras.ops.convert_to_numpy(spectrograms.spectral_loss(target, predicted))) * len(batch)
        difference = keras.ops.convert_to_numpy(target) - np.asarray(keras.ops.convert_to_numpy(predicted))
        squared_db += float((((20 / np.log(10)) * difference.astype(np.float64)) ** 2).sum())  # ln -> dB
        bins += difference.size
        codes.append(np.asarray(keras.ops.convert_to_numpy(model.encode(batch)["codes"])))
        progress.advance()
    progress.done()
    codes = np.concatenate(codes)
    return {
        "examples": int(len(audio)),
        "spectral_loss": total_loss / len(audio),
        "log_spectral_distance_db": float(np.sqrt(squared_db / bins)),
        "perplexity": perplexity(codes, model.num_embeddings),
        "codebook_usage": codebook_usage(codes, model.num_embeddings),
    }


def wavenet_decoder_report(model, audio, speakers=None, batch_size=8, verbose="auto"):
    """Whole-set figures for a VQVAE with a WaveNet decoder on `audio` `(n, length, 1)`:
    `bits_per_sample`, the teacher-forced negative log2-likelihood of the
    audio's mu-law symbols given the codes (and `speakers`), averaged over
    every sample; and the `perplexity` and `codebook_usage` of the codes.

    Example:
        ```python
        import numpy as np

        import keras_vq

        decoder = keras_vq.models.WaveNet(num_symbols=256, channels=8, skip_channels=8, num_layers=3, num_speakers=2,
                                          local_condition_dim=8, upsampling=64)
        vqvae = keras_vq.models.VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=16,
                                      residual_channels=8, num_downsamples=6, decoder=decoder,
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 8))
        audio = np.random.default_rng(0).normal(0, 0.05, size=(2, 1024, 1)).astype("float32")
        report = keras_vq.metrics.wavenet_decoder_report(vqvae, audio, speakers=[0, 1], verbose=0)
        print(round(report["bits_per_sample"], 1), sorted(report))  # ~8 bits a sample untrained (uniform: 8)
        ```
    """
    from keras_vq.layers.mu_law import mu_law_encode
    from keras_vq.models.autoregressive_prior import symbol_bits

    audio = checked_figure_data("audio", audio).astype(np.float32)
    check_positive_int("batch_size", batch_size)
    if not getattr(model, "has_wavenet_decoder", False):
        raise ValueError(
            f"wavenet_decoder_report needs a VQVAE with a WaveNet decoder; this one decodes with "
            f"{type(model.decoder).__name__} (spectrogram_decoder_report, reconstruction_report)"
        )
    if model.decoder.num_speakers is not None and speakers is None:
        raise ValueError("this model's WaveNet decoder is speaker-conditioned: pass speakers")
    total_bits, codes = 0.0, []
    starts = range(0, len(audio), batch_size)
    progress = Progress(f"WaveNet decoder report on {len(audio):,} clips", len(starts), "batch", verbose)
    for start in starts:
        batch = audio[start : start + batch_size]
        inputs = (
            batch
            if speakers is None
            else {"audio": batch, "speakers": np.asarray(speakers[start : start + batch_size])}
        )
        logits = predict_rows(model, inputs)
        symbols = keras.ops.convert_to_numpy(mu_law_encode(batch[..., 0], model.decoder.num_symbols))
        total_bits += float(symbol_bits(logits, symbols).sum())
        codes.append(np.asarray(keras.ops.convert_to_numpy(model.encode(batch)["codes"])))
        progress.advance()
    progress.done()
    codes = np.concatenate(codes)
    return {
        "examples": int(len(audio)),
        "bits_per_sample": total_bits / audio[..., 0].size,
        "perplexity": perplexity(codes, model.num_embeddings),
        "codebook_usage": codebook_usage(codes, model.num_embeddings),
    }
