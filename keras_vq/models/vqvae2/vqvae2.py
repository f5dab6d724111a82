"""VQ-VAE-2: a two-level hierarchy of vector-quantised codes."""

import keras
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.models.code_levels import CodeLevel, levels_by_name
from keras_vq.models.conv_autoencoder import (
    CONVOLUTIONS,
    DOWNSAMPLING_KERNEL,
    TRANSPOSED_CONVOLUTIONS,
    ConvAutoencoder,
    architecture_arguments,
    build_decoder,
    build_encoder,
    check_prior,
    checked_codes,
    checked_level_codes,
    refuse_flat_quantizer_arguments,
    resolve_quantizer,
    serialize_quantizer,
)
from keras_vq.models.vqvae2.vqvae2_presets import VQVAE2_PRESETS
from keras_vq.output_distributions import output_distribution_for
from keras_vq.utils.checks import check_model_kwargs, check_shape
from keras_vq.utils.deprecation import warn_renamed

# The bottom codes are 4x smaller than the data, the top codes 8x (Razavi et al. 2019, fig. 2a).
BOTTOM_DOWNSAMPLES = 2
TOP_DOWNSAMPLES = 1
LEVELS = ("top", "bottom")


@keras.saving.register_keras_serializable(package="keras_vq")
class VQVAE2(ConvAutoencoder):
    """VQ-VAE-2 (Razavi, van den Oord and Vinyals 2019, https://arxiv.org/abs/1906.00446).

    Two levels of codes, for images of any size divisible by 8:

        x --bottom encoder (4x down)--> h_b --top encoder (2x down)--> z_t
        z_t --top quantizer--> q_t --top decoder (2x up)--> d_t
        [h_b, d_t] --1x1 conv--> z_b --bottom quantizer--> q_b
        [upsample(q_t), q_b] --decoder (4x up)--> x_hat

    A 256x256 image gets a 64x64 bottom and a 32x32 top grid of codes; a
    32x32 image 8x8 and 4x4. The top codes carry global structure, the bottom
    codes, conditioned on them, local detail. The encoders and decoders are
    the strided convolutions and ResidualStacks of `VQVAE`.

    Quantizers (`quantizer=`): one `keras_vq.layers` quantizer, copied (from
    its config) for each level, the bottom copy seeded with its seed + 1; or
    `{"top": quantizer, "bottom": quantizer}`, any two, e.g. FSQ on top and
    residual VQ at the bottom. Without `quantizer=`, a `VectorQuantizer` of
    K = 512 codes of D = 64 at both levels, seeded `seed` and `seed + 1`.

    Training is `VQVAE`'s: `compile` then `fit(x)`; the loss is the
    reconstruction MSE on `data_range` plus each level's quantizer loss
    (codebook and `beta`-weighted commitment losses for VQ), and `fit`
    reports `reconstruction_loss` and, per level, each quantizer's
    `metric_names` prefixed `top_`/`bottom_` (VQ: `commitment_loss`,
    `perplexity`, `codebook_usage`, and `codebook_loss` under the loss rule).

    `encode(x)` gives `{"top": codes, "bottom": codes}`, int32, of shapes
    `(batch, H/8, W/8)` and `(batch, H/4, W/4)` (with a last axis of stages
    for a ResidualVectorQuantizer); `decode(codes)` takes that dict back and
    gives images on `data_range`; `reconstruct(x)` is both; `model(x)` the
    decoder's output (a likelihood's parameters), `predict(x)` images.

    Args: as `VQVAE`, without `num_downsamples` (fixed by the hierarchy) and
    `decoder`; `quantizer` as above; `output_distribution` (`"mse"` or
    `"logistic_mixture"`, see `keras_vq.output_distributions`) is the image
    decoder's.

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE2(hidden_channels=32, residual_channels=16,
                                       quantizer=keras_vq.layers.VectorQuantizer(64, 16))
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        model.fit(images[:64], batch_size=32, epochs=1, verbose=0)
        codes = model.encode(images[:4])  # {"top": (4, 4, 4), "bottom": (4, 8, 8)}
        print(tuple(codes["top"].shape), tuple(codes["bottom"].shape), tuple(model.decode(codes).shape))
        ```
    """

    builtin_presets = VQVAE2_PRESETS

    def __init__(
        self,
        data_shape=(32, 32, 3),
        data_range=(0.0, 1.0),
        hidden_channels=128,
        num_residual_layers=2,
        residual_channels=32,
        quantizer=None,
        output_distribution="mse",
        seed=None,
        dtype=None,
        **kwargs,
    ):
        refuse_flat_quantizer_arguments(VQVAE2, kwargs)
        check_model_kwargs(VQVAE2, kwargs)
        data_shape = check_shape("data_shape", data_shape, allow_none=True)
        quantizers = level_quantizers(quantizer, seed, dtype)
        top_dim, bottom_dim = quantizers["top"].embedding_dim, quantizers["bottom"].embedding_dim
        factor = 2 ** (BOTTOM_DOWNSAMPLES + TOP_DOWNSAMPLES)
        if len(tuple(data_shape)) != 3 or any(size is not None and size % factor for size in tuple(data_shape)[:2]):
            raise ValueError(
                f"VQVAE2 takes images (height, width, channels) with height and width divisible "
                f"by {factor} (4x to the bottom codes, 8x to the top); got data_shape {tuple(data_shape)}"
            )
        architecture = architecture_arguments(
            data_shape, data_range, hidden_channels, BOTTOM_DOWNSAMPLES, num_residual_layers, residual_channels
        )
        data_shape = architecture["data_shape"]
        output = output_distribution_for(output_distribution, architecture["data_range"], data_shape[-1])
        bottom_shape = tuple(None if s is None else s // 2**BOTTOM_DOWNSAMPLES for s in data_shape[:2])
        blocks = dict(
            hidden_channels=hidden_channels,
            num_residual_layers=num_residual_layers,
            residual_channels=residual_channels,
            dtype=dtype,
        )

        # === Layers ===
        bottom_encoder = build_encoder(
            data_shape,
            architecture["data_range"],
            BOTTOM_DOWNSAMPLES,
            output_channels=None,
            name="bottom_encoder",
            **blocks,
        )
        top_encoder = build_encoder(
            bottom_shape + (hidden_channels,),
            None,
            TOP_DOWNSAMPLES,
            output_channels=top_dim,
            name="top_encoder",
            **blocks,
        )
        top_decoder = build_decoder(
            bottom_shape + (top_dim,),
            None,
            TOP_DOWNSAMPLES,
            latent_channels=top_dim,
            name="top_decoder",
            zero_input_at_start=quantizers["top"].small_inputs_quantize_to_zero,
            **blocks,
        )
        to_bottom_latent = CONVOLUTIONS[2](bottom_dim, 1, dtype=dtype, name="to_bottom_latent")
        upsample_top = TRANSPOSED_CONVOLUTIONS[2](
            top_dim, DOWNSAMPLING_KERNEL, strides=2, padding="same", dtype=dtype, name="upsample_top"
        )
        decoder = build_decoder(
            data_shape,
            architecture["data_range"],
            BOTTOM_DOWNSAMPLES,
            latent_channels=top_dim + bottom_dim,
            name="decoder",
            **blocks,
            zero_input_at_start=all(quantizer.small_inputs_quantize_to_zero for quantizer in quantizers.values()),
            output_distribution=output,
        )

        # === Functional model ===
        inputs = keras.Input(shape=data_shape, name="inputs")
        bottom_features = bottom_encoder(inputs)
        top_quantized = quantizers["top"](top_encoder(bottom_features))
        bottom_latent = to_bottom_latent(
            keras.layers.Concatenate(name="bottom_and_top", dtype=dtype)([bottom_features, top_decoder(top_quantized)])
        )
        bottom_quantized = quantizers["bottom"](bottom_latent)
        codes = keras.layers.Concatenate(name="both_levels", dtype=dtype)(
            [upsample_top(top_quantized), bottom_quantized]
        )
        outputs = decoder(codes)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.bottom_encoder, self.top_encoder, self.top_decoder = bottom_encoder, top_encoder, top_decoder
        self.to_bottom_latent, self.upsample_top, self.decoder = to_bottom_latent, upsample_top, decoder
        self.top_quantizer, self.bottom_quantizer = quantizers["top"], quantizers["bottom"]
        self.output_distribution = output
        self.set_architecture(**architecture)

        # === Metrics ===
        self.reconstruction_loss_tracker = keras.metrics.Mean(name=output.loss_name)
        self.level_trackers = {
            level: self.track_quantizer_metrics(quantizers[level], prefix=f"{level}_") for level in LEVELS
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction_loss, reported = self.output_distribution.loss(x, y_pred)
        # self.losses holds each quantizer's own loss (codebook_loss + beta * commitment_loss for VQ).
        total = reconstruction_loss + sum(replicas.own_losses(self.losses, like=reconstruction_loss))
        self.reconstruction_loss_tracker.update_state(reported)
        for level, quantizer in self.level_quantizers().items():
            self.update_quantizer_metrics(quantizer, self.level_trackers[level])
        return replicas.scale_loss(total)

    def encode(self, inputs):
        """`{"top": codes, "bottom": codes}`: int32, shapes `(batch, H/8, W/8)` and `(batch, H/4, W/4)`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            codes = model.encode(images[:2])
            print({name: tuple(level.shape) for name, level in codes.items()})  # {'top': (2, 4, 4), 'bottom': (2, 8, 8)}
            ```
        """
        outputs = self.encoder_outputs(inputs)
        return {name: quantizer.encode(outputs[name]) for name, quantizer in self.level_quantizers().items()}

    def encoder_outputs(self, inputs):
        """`{"top": z_e, "bottom": z_e}`: what each level's quantizer receives. The bottom one is
        computed from the quantised top codes, as in `call` (Razavi et al. 2019, fig. 2a).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            print({name: tuple(z_e.shape) for name, z_e in model.encoder_outputs(images[:2]).items()})
            # {'top': (2, 4, 4, 8), 'bottom': (2, 8, 8, 8)}
            ```
        """
        inputs = self.checked_data_batch(inputs)
        bottom_features = self.bottom_encoder(inputs, training=False)
        top = self.top_encoder(bottom_features, training=False)
        top_decoded = self.top_decoder(self.top_quantizer.lookup(self.top_quantizer.encode(top)), training=False)
        return {"top": top, "bottom": self.to_bottom_latent(ops.concatenate([bottom_features, top_decoded], axis=-1))}

    def level_quantizers(self):
        """`{"top": quantizer, "bottom": quantizer}`: each level's quantizer layer, keyed as `code_levels()`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            print(sorted(model.level_quantizers()))  # ['bottom', 'top']
            ```
        """
        return {"top": self.top_quantizer, "bottom": self.bottom_quantizer}

    def decode(self, codes):
        """Images on `data_range` from `{"top": codes, "bottom": codes}` (what `encode` gives).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            codes = model.encode(images[:2])
            print(tuple(model.decode(codes).shape))  # (2, 32, 32, 3)
            ```
        """
        return self.output_distribution.mean(self._decoder_outputs(*self._checked_codes("decode", codes)))

    def decode_codes(self, top_codes, bottom_codes):
        """Deprecated: `decode({"top": top_codes, "bottom": bottom_codes})` (0.1)."""
        warn_renamed("VQVAE2.decode_codes(top, bottom)", 'VQVAE2.decode({"top": top, "bottom": bottom})')
        if isinstance(top_codes, str) or isinstance(bottom_codes, str):
            # `top, bottom = model.encode(x)` unpacks the dict's keys since encode gives {level: codes}.
            raise TypeError(
                f"VQVAE2.decode_codes got the level names {top_codes!r}, {bottom_codes!r}: since 0.1 encode "
                "gives {'top': codes, 'bottom': codes}; write model.decode(model.encode(x))"
            )
        return self.decode({"top": top_codes, "bottom": bottom_codes})

    def decoder_parameters(self, codes):
        """The decoder's raw outputs for `{"top": ..., "bottom": ...}` codes (what `encode` gives):
        the output distribution's parameters (for "mse", the images), as `VQVAE.decoder_parameters`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8),
                                           output_distribution="logistic_mixture")
            print(tuple(model.decoder_parameters(model.encode(images[:2])).shape))  # (2, 32, 32, 100)
            ```
        """
        return self._decoder_outputs(*self._checked_codes("decoder_parameters", codes))

    def _checked_codes(self, method, codes):
        """`(top_codes, bottom_codes)` of `{"top": ..., "bottom": ...}`, checked against this model's code
        maps; errors name `method`."""
        checked_level_codes(f"VQVAE2.{method}", codes, LEVELS)
        levels = self.code_levels()
        top_shape, bottom_shape = levels["top"].shape, levels["bottom"].shape
        top, bottom = self.top_quantizer, self.bottom_quantizer
        top_codes = checked_codes(
            "top_codes", codes["top"], top_shape, top.num_embeddings, top.codes_per_position, top.stage_axis
        )
        bottom_codes = checked_codes(
            "bottom_codes",
            codes["bottom"],
            bottom_shape,
            bottom.num_embeddings,
            bottom.codes_per_position,
            bottom.stage_axis,
        )
        if len(top_codes) != len(bottom_codes):
            raise ValueError(
                f"top_codes and bottom_codes must hold as many maps; got {len(top_codes)} and {len(bottom_codes)}"
            )
        return top_codes, bottom_codes

    def _decoder_outputs(self, top_codes, bottom_codes):
        upsampled_top = self.upsample_top(self.top_quantizer.lookup(top_codes))
        latents = ops.concatenate([upsampled_top, self.bottom_quantizer.lookup(bottom_codes)], axis=-1)
        return self.decoder(latents, training=False)

    def generate(self, top_prior, bottom_prior, num_samples, class_labels=None, temperature=1.0, seed=None):
        """Hierarchical sampling (Razavi et al. 2019, sec. 3.2): top codes from
        `top_prior`, bottom codes from `bottom_prior` conditioned on them, then
        the decoder. Returns `(num_samples, *data_shape)` NumPy.

        `temperature` is one number or `(top, bottom)`; `class_labels` go to
        both priors (both must be class-conditional, or neither); `seed`
        seeds the top draw and `seed + 1` the bottom one.

        Example:
            ```python
            import keras_vq

            vqvae2 = keras_vq.models.VQVAE2.from_preset("cifar10")
            top = keras_vq.models.PixelCNN.from_preset("cifar10_vqvae2_top")
            bottom = keras_vq.models.PixelCNN.from_preset("cifar10_vqvae2_bottom")
            ships = vqvae2.generate(top, bottom, 2, class_labels=[8, 8], temperature=(1.0, 0.8), seed=0)
            print(ships.shape)  # (2, 32, 32, 3)
            ```
        """
        levels = self.code_levels()
        check_prior(top_prior, levels["top"], "top_prior")
        check_prior(bottom_prior, levels["bottom"], "bottom_prior")
        if isinstance(temperature, (tuple, list)) and len(temperature) != 2:
            raise ValueError(
                f"temperature is one number or (top, bottom); got {len(temperature)} values {tuple(temperature)}"
            )
        top_temperature, bottom_temperature = (
            temperature if isinstance(temperature, (tuple, list)) else (temperature, temperature)
        )
        top_codes = top_prior.sample(
            num_samples, **top_prior.conditioning_for(class_labels), temperature=top_temperature, seed=seed
        )
        bottom_codes = bottom_prior.sample(
            num_samples,
            **bottom_prior.conditioning_for(class_labels, levels["top"].prior_codes(top_codes)),
            temperature=bottom_temperature,
            seed=None if seed is None else seed + 1,
        )
        codes = {
            "top": levels["top"].as_decoder_codes(top_codes),
            "bottom": levels["bottom"].as_decoder_codes(bottom_codes),
        }
        return ops.convert_to_numpy(self.decode(codes))

    def latent_shapes(self):
        """Deprecated: `code_levels()["top"].shape`, `code_levels()["bottom"].shape` (0.1)."""
        warn_renamed("VQVAE2.latent_shapes()", "VQVAE2.code_levels()[level].shape")
        return tuple(level.shape for level in self.code_levels().values())

    def code_levels(self):
        """`{"top": CodeLevel, "bottom": CodeLevel}` in sampling order; the bottom
        level's prior is conditioned on the top codes (`keras_vq.models.code_levels`).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            # [('top', (4, 4)), ('bottom', (8, 8))]
            print([(level.name, level.shape) for level in model.code_levels().values()])
            ```
        """
        height, width = self.data_shape[:2]
        top_shape, bottom_shape = (
            (height // 2**downsamples, width // 2**downsamples)
            for downsamples in (BOTTOM_DOWNSAMPLES + TOP_DOWNSAMPLES, BOTTOM_DOWNSAMPLES)
        )
        top = CodeLevel(
            "top",
            top_shape,
            self.top_quantizer.num_embeddings,
            codes_per_position=self.top_quantizer.codes_per_position,
            stage_axis=self.top_quantizer.stage_axis,
        )
        return levels_by_name(
            top,
            CodeLevel(
                "bottom",
                bottom_shape,
                self.bottom_quantizer.num_embeddings,
                condition=top,
                codes_per_position=self.bottom_quantizer.codes_per_position,
                stage_axis=self.bottom_quantizer.stage_axis,
            ),
        )

    def get_config(self):
        config = super().get_config()
        del config["num_downsamples"]  # Fixed by the hierarchy.
        return config | {
            "quantizer": {
                level: serialize_quantizer(quantizer) for level, quantizer in self.level_quantizers().items()
            },
            "seed": None,
        }  # The quantizers hold their seeds; a seed given here would re-seed them.


def level_quantizers(quantizer, seed, dtype):
    """`{"top": layer, "bottom": layer}` from VQVAE2's `quantizer` argument (see its docstring)."""
    names = {level: f"{level}_quantizer" for level in LEVELS}
    # A dict is either one quantizer per level, or one quantizer's serialised config (which names its class).
    if isinstance(quantizer, dict) and "class_name" not in quantizer and set(quantizer) != set(LEVELS):
        raise ValueError(
            f"quantizer as a dict gives one quantizer per level: exactly the keys {list(LEVELS)}; got "
            f"{sorted(quantizer)}"
        )
    if quantizer is None or (isinstance(quantizer, dict) and set(quantizer) == set(LEVELS)):
        per_level = quantizer or dict.fromkeys(LEVELS)
        return {
            level: resolve_quantizer(per_level[level], None if seed is None else seed + index, dtype, names[level])
            for index, level in enumerate(LEVELS)
        }
    template = resolve_quantizer(quantizer, seed, dtype, "quantizer")
    config = template.get_config()
    copies = {}
    for index, level in enumerate(LEVELS):
        level_config = config | {"name": names[level]}
        if level_config.get("seed") is not None:
            level_config["seed"] = config["seed"] + index
        copies[level] = type(template).from_config(level_config)
    return copies
