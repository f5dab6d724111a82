"""VQ-VAE: a convolutional autoencoder with a vector-quantised bottleneck."""

import collections.abc

import keras
import numpy as np
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.models.code_levels import CodeLevel, levels_by_name
from keras_vq.models.conv_autoencoder import (
    ConvAutoencoder,
    architecture_arguments,
    build_encoder,
    check_prior,
    checked_codes,
    checked_level_codes,
    refuse_flat_quantizer_arguments,
    resolve_quantizer,
    serialize_quantizer,
)
from keras_vq.models.vqvae.vqvae_decoders import WaveNetDecoder, decoder_for
from keras_vq.models.vqvae.vqvae_presets import VQVAE_PRESETS
from keras_vq.output_distributions import output_distribution_for
from keras_vq.utils.checks import check_model_kwargs
from keras_vq.utils.deprecation import warn_renamed


@keras.saving.register_keras_serializable(package="keras_vq")
class VQVAE(ConvAutoencoder):
    """VQ-VAE (van den Oord et al. 2017, https://arxiv.org/abs/1711.00937).

    x -> encoder -> z_e -> quantizer -> z_q -> decoder -> x_hat.

    The quantizer is any `keras_vq.layers` quantizer (`quantizer=`): the
    paper's `VectorQuantizer` by default, or a `ResidualVectorQuantizer`,
    `FiniteScalarQuantizer` or `LookupFreeQuantizer`; the encoder projects to
    its `embedding_dim`. A quantizer's options are its own:
    `VQVAE(quantizer=VectorQuantizer(512, 64, dead_code_threshold=1.0))`
    (without `quantizer=`, K = 512 codes of D = 64). Configs that earlier
    versions saved with `VectorQuantizer`'s arguments flat in the model's
    still load: `from_config` moves them into the quantizer.

    The encoder is `num_downsamples` stride-2 4-tap convolutions, a 3-tap
    convolution, a ResidualStack and a 1-tap projection to `embedding_dim`;
    the decoder mirrors it with transposed convolutions (see
    `keras_vq.models.conv_autoencoder`). The defaults are DeepMind Sonnet's
    CIFAR-10 model: 32x32x3 -> 8x8x64 codes from K = 512, EMA decay 0.99.

    `data_shape` is one example's shape: `(height, width, channels)` for
    images or `(length, channels)` for audio (the 1-D form of the same
    model; six downsamples give the paper's 64x for speech). Spatial sizes
    may be None; known ones must be divisible by 2**num_downsamples.

    Data scale: inputs are floats on `data_range`, (0, 1) for images by
    default (pixels / 255), (-1, 1) for audio. The encoder centres them and
    the decoder adds the centre back, so reconstructions are on the same
    scale, and `reconstruction_loss` is the MSE on that scale (for images in
    (0, 1) it equals the MSE of Sonnet's (-0.5, 0.5) convention).

    Training: `model.compile(optimizer=...)` then `model.fit(x)` where the
    data yields inputs alone (any targets are ignored). The loss is

        reconstruction_loss + codebook_loss + beta * commitment_loss

    (for the VectorQuantizer; each quantizer adds its own loss) and `fit`
    reports `loss`, `reconstruction_loss` and the quantizer's
    `metric_names`: for the VectorQuantizer `commitment_loss`,
    `codebook_loss` (loss-based codebook rule only), `perplexity` and
    `codebook_usage` (the latter two per batch, averaged over the epoch).
    The same code runs on TensorFlow, JAX and PyTorch: the quantizer adds its
    loss with `add_loss` and this model's `compute_loss` adds the rest.

    `encode(x)` returns `{"codes": indices}`, shape `(batch,
    *latent_spatial)` (`(batch, *latent_spatial, stages)` for a
    ResidualVectorQuantizer); `decode(codes)` takes that dict back and gives
    the data; `model(x)` the decoder's output (the reconstruction, or a
    likelihood's parameters), `predict(x)` and `reconstruct(x)` the data.

    WaveNet decoder (audio; the paper's sec. 4.3): pass `decoder=WaveNet(
    num_symbols=256, local_condition_dim=embedding_dim,
    upsampling=2**num_downsamples, num_speakers=...)`. The WaveNet models
    the audio's 8-bit mu-law symbols (`keras_vq.layers.mu_law`), one 256-way
    categorical a sample, conditioned on z_q (repeated to the sample rate)
    and, with `num_speakers`, on a speaker embedding: the codes need not
    carry who speaks. The inputs are then `{"audio": (batch, length, 1),
    "speakers": (batch,)}` (or the audio alone without speakers); `model(x)`
    returns the teacher-forced logits `(batch, length, 256)`; the loss is

        NLL(audio symbols | z_q, speaker) + codebook_loss + beta * commitment_loss

    with the NLL reported as `bits_per_sample`. `decode(codes, speakers)`
    and `reconstruct(audio, speakers)` generate sample by sample
    (`WaveNet.sample`, the cached loop); decoding an utterance's codes with
    another speaker is speaker conversion. Why a categorical over mu-law
    rather than a mixture of logistics: it is exact, needs no scale
    clamping, and trains fast on the few hours of a LibriSpeech subset; the
    mixture pays off at 16-bit output and many more training steps.

    Args:
        data_shape: shape of one example, without the batch axis.
        data_range: `(low, high)` of the data's scale.
        hidden_channels: channels of the main convolutions.
        num_downsamples: stride-2 convolutions in the encoder (>= 1).
        num_residual_layers: blocks in each ResidualStack.
        residual_channels: channels inside each residual block.
        quantizer: a `keras_vq.layers` quantizer layer (or its config);
            default `VectorQuantizer(num_embeddings=512, embedding_dim=64)`.
        decoder: `"transposed"` (the convolutional decoder) or a `WaveNet`
            (audio only, see above).
        output_distribution: what the convolutional decoder outputs
            (`keras_vq.output_distributions`): `"mse"` (the data, trained
            with the mean squared error) or `"logistic_mixture"` (a
            discretised logistic mixture over 8-bit levels, PixelCNN++'s,
            trained with its negative log-likelihood; `fit` reports
            `bits_per_dim`; `model(x)` gives its parameters, `predict`,
            `decode` and `reconstruct` its mean).
        seed: seeds the default quantizer, or one given as
            a config, whose seed it replaces (so `from_preset(name, seed=1)`
            re-seeds a preset's quantizer); a quantizer layer has its own.
        dtype: dtype policy of the layers, e.g. `"mixed_bfloat16"`.
        **kwargs: `name`, `trainable`.

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(data_shape=(32, 32, 3),
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 64, dead_code_threshold=1.0),
                                      hidden_channels=32, residual_channels=16)
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        model.fit(images[:64], batch_size=32, epochs=1, verbose=0)  # reports loss, perplexity, codebook_usage
        codes = model.encode(images[:4])                           # {"codes": (4, 8, 8) int32}
        print(tuple(codes["codes"].shape), tuple(model.decode(codes).shape))
        ```
    """

    builtin_presets = VQVAE_PRESETS

    def __init__(
        self,
        data_shape=(32, 32, 3),
        data_range=(0.0, 1.0),
        hidden_channels=128,
        num_downsamples=2,
        num_residual_layers=2,
        residual_channels=32,
        quantizer=None,
        decoder="transposed",
        output_distribution="mse",
        seed=None,
        dtype=None,
        **kwargs,
    ):
        refuse_flat_quantizer_arguments(VQVAE, kwargs)
        check_model_kwargs(VQVAE, kwargs)
        architecture = architecture_arguments(
            data_shape, data_range, hidden_channels, num_downsamples, num_residual_layers, residual_channels
        )
        quantizer = resolve_quantizer(quantizer, seed, dtype, name="quantizer")
        output = output_distribution_for(
            output_distribution, architecture["data_range"], architecture["data_shape"][-1]
        )
        decoding = decoder_for(decoder, architecture, quantizer, dtype, output)
        # === Layers ===
        encoder = build_encoder(output_channels=quantizer.embedding_dim, dtype=dtype, **architecture)

        # === Functional model ===
        inputs, outputs = decoding.connect(
            architecture["data_shape"], self.data_key, lambda data: quantizer(encoder(data))
        )
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        # `decoding` is a plain object (its network's weights are saved once, as `decoder`'s).
        self.encoder, self.quantizer, self.decoder, self.decoding = encoder, quantizer, decoding.network, decoding
        self.output_distribution = output
        self.set_architecture(**architecture)

        # === Metrics ===
        self.reconstruction_loss_tracker = keras.metrics.Mean(name=decoding.loss_name)
        self.quantizer_trackers = self.track_quantizer_metrics(quantizer)

    @property
    def num_embeddings(self):
        """The quantizer's codebook size: the values a code takes (a prior's vocabulary)."""
        return self.quantizer.num_embeddings

    @property
    def embedding_dim(self):
        """The width of z_e and z_q: the quantizer's `embedding_dim`."""
        return self.quantizer.embedding_dim

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction_loss, reported = self.decoding.loss(x, y_pred, self.data_key)
        self.reconstruction_loss_tracker.update_state(reported)
        # self.losses holds the quantizer's own loss (codebook_loss + beta * commitment_loss for VQ; none for FSQ).
        total = reconstruction_loss + sum(replicas.own_losses(self.losses, like=reconstruction_loss))
        self.update_quantizer_metrics(self.quantizer, self.quantizer_trackers)
        return replicas.scale_loss(total)

    def encode(self, inputs):
        """`{"codes": indices}`: int32, shape `(batch, *latent_spatial)` (`(batch, *latent_spatial,
        stages)` for a ResidualVectorQuantizer). `inputs` is the data, or the model's dict inputs (the
        data is taken from it). One level is still a dict, as `VQVAE2.encode`'s two.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            codes = model.encode(images[:2])
            print(tuple(codes["codes"].shape))  # (2, 8, 8) int32 codes
            ```
        """
        return {"codes": self.quantizer.encode(self.encoder_outputs(inputs)["codes"])}

    def encoder_outputs(self, inputs):
        """`{"codes": z_e}`: what the quantizer receives, `(batch, *latent_spatial, embedding_dim)`; as
        `VQVAE2.encoder_outputs` gives each of its levels'. `level_quantizers()` names the quantizer.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            # {'codes': (2, 8, 8, 8)}
            print({name: tuple(z_e.shape) for name, z_e in model.encoder_outputs(images[:2]).items()})
            ```
        """
        if isinstance(inputs, dict):
            inputs = inputs[self.data_key]
        return {"codes": self.encoder(self.checked_data_batch(inputs), training=False)}

    def level_quantizers(self):
        """`{"codes": the quantizer}`, keyed as `code_levels()`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            # {'codes': 32}
            print({name: quantizer.num_embeddings for name, quantizer in model.level_quantizers().items()})
            ```
        """
        return {"codes": self.quantizer}

    def decode(self, codes, speakers=None, temperature=1.0, seed=None):
        """Data on `data_range` from `{"codes": indices}` (what `encode` gives), indices of shape
        `(batch, *latent_spatial)`.

        With a WaveNet decoder the audio is generated sample by sample
        (`(batch, codes * 2**num_downsamples, 1)` NumPy): `speakers`
        `(batch,)` (or one int) chooses the voice, exactly when the decoder
        has speakers; `temperature` and `seed` go to `WaveNet.sample`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            codes = model.encode(images[:2])
            print(tuple(model.decode(codes).shape))  # (2, 32, 32, 3): images on [0, 1]
            ```
        """
        indices = self._checked_indices("decode", codes)
        return self.decoding.decode(self.quantizer.lookup(indices), speakers, temperature, seed)

    def _checked_indices(self, method, codes):
        """The code indices of `{"codes": indices}`, checked against this model's code map; errors name
        `method`."""
        level_codes = checked_level_codes(f"{type(self).__name__}.{method}", codes, ("codes",))
        quantizer = self.quantizer
        return checked_codes(
            "codes",
            level_codes["codes"],
            self._code_map_shape(),
            self.num_embeddings,
            quantizer.codes_per_position,
            quantizer.stage_axis,
        )

    def decode_codes(self, indices, speakers=None, temperature=1.0, seed=None):
        """Deprecated: `decode({"codes": indices}, ...)` (0.1)."""
        warn_renamed("VQVAE.decode_codes(indices, ...)", 'VQVAE.decode({"codes": indices}, ...)')
        codes = indices if isinstance(indices, collections.abc.Mapping) else {"codes": indices}
        return self.decode(codes, speakers=speakers, temperature=temperature, seed=seed)

    def reconstruct(self, inputs, speakers=None, temperature=1.0, seed=None):
        """`decode(encode(inputs))`: the data through the bottleneck.
        With a speaker-conditioned WaveNet decoder, `speakers` other than the
        utterances' own give speaker conversion (van den Oord et al. 2017,
        sec. 4.3): what was said, in another voice.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            print(tuple(model.reconstruct(images[:2]).shape))  # (2, 32, 32, 3), the same as model.predict(images[:2])
            ```
        """
        return self.decode(self.encode(inputs), speakers=speakers, temperature=temperature, seed=seed)

    def generate(self, prior, num_samples, class_labels=None, speakers=None, length=None, temperature=1.0, seed=None):
        """Data drawn from `prior` over this model's codes, decoded: `(num_samples, *data_shape)` NumPy.

        `prior` is any autoregressive prior over the codes (`PixelCNN.for_code_level(model.code_levels()
        ["codes"])`, a `WaveNet` for audio, ...); its labels are `class_labels`, or for audio the `speakers`
        when it takes labels, and `temperature` and `seed` go to its `sample`. Audio: `length` is the
        audio's length in samples (default `data_shape[0]`), `speakers` go to a WaveNet decoder when it has
        them too, and `temperature` may be one number or `(prior, decoder)`.

        Example:
            ```python
            import keras_vq

            vqvae = keras_vq.models.VQVAE.from_preset("cifar10")
            prior = keras_vq.models.PixelCNN.from_preset("cifar10")
            cats = vqvae.generate(prior, 2, class_labels=[3, 3], seed=0)
            print(cats.shape)  # (2, 32, 32, 3): codes drawn from the prior, decoded
            ```
        """
        level = self.code_levels()["codes"]
        check_prior(prior, level)
        prior_temperature, decoder_temperature = (
            temperature
            if isinstance(temperature, (tuple, list)) and self.has_wavenet_decoder
            else (temperature, temperature)
        )
        labels = class_labels if class_labels is not None or prior.label_key is None else speakers
        shape = {}
        if None in prior.level_spec().shape:  # a sequence prior: the codes' length follows from the audio's
            length = self.data_shape[0] if length is None else length
            factor = 2**self.num_downsamples
            if not isinstance(length, int) or length < factor or length % factor:
                raise ValueError(f"length must be a positive multiple of 2**num_downsamples = {factor}; got {length!r}")
            shape = {"length": length // factor}
        codes = prior.sample(
            num_samples, **shape, **prior.conditioning_for(labels), temperature=prior_temperature, seed=seed
        )
        decoded = self.decode(
            {"codes": level.as_decoder_codes(codes)},
            speakers=speakers if self.decoding.num_speakers else None,
            temperature=decoder_temperature,
            seed=None if seed is None else seed + 1,
        )
        return np.asarray(ops.convert_to_numpy(decoded))

    def latent_shape(self):
        """Deprecated: `code_levels()["codes"].shape` (0.1)."""
        warn_renamed("VQVAE.latent_shape()", 'VQVAE.code_levels()["codes"].shape')
        return self._code_map_shape()

    def _code_map_shape(self):
        """The code map's spatial shape (None where the data's length is free)."""
        return tuple(None if size is None else size // 2**self.num_downsamples for size in self.data_shape[:-1])

    @property
    def has_wavenet_decoder(self):
        """Whether the decoder is a WaveNet (`self.decoding`, a `keras_vq.models.vqvae.vqvae_decoders` object).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            print(model.has_wavenet_decoder)  # False: transposed convolutions
            ```
        """
        return isinstance(self.decoding, WaveNetDecoder)

    def code_levels(self):
        """`{"codes": CodeLevel}`: the one map of codes (`keras_vq.models.code_levels`).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            # {'codes': CodeLevel(name='codes', shape=(8, 8), num_embeddings=32, condition=None, codes_per_position=1, ...)}
            print(model.code_levels())
            ```
        """
        return levels_by_name(
            CodeLevel(
                "codes",
                self._code_map_shape(),
                self.num_embeddings,
                codes_per_position=self.quantizer.codes_per_position,
                stage_axis=self.quantizer.stage_axis,
            )
        )

    def decoder_parameters(self, codes):
        """The decoder's raw outputs for `{"codes": ...}` (what `encode` gives): the output
        distribution's parameters, `(batch, *data_shape[:-1], output_distribution.parameter_channels)`
        (for "mse", the data's mean). `keras_vq.metrics.bits_per_dim` scores the data under them.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          output_distribution={"name": "logistic_mixture", "num_mixtures": 5})
            parameters = model.decoder_parameters(model.encode(images[:2]))
            print(tuple(parameters.shape))  # (2, 32, 32, 50): 5 logistics' parameters a pixel
            ```
        """
        if self.has_wavenet_decoder:
            raise ValueError(
                "decoder_parameters is for a convolutional decoder; a WaveNet decoder generates "
                "(keras_vq.metrics.wavenet_decoder_report scores it)"
            )
        indices = self._checked_indices("decoder_parameters", codes)
        return self.decoder(self.quantizer.lookup(indices), training=False)

    def get_config(self):
        return super().get_config() | {
            "quantizer": serialize_quantizer(self.quantizer),
            "decoder": self.decoding.config(),
            "seed": None,  # The quantizer holds its seed; a seed given here would re-seed it.
        }
