"""VQ-VAE-2: a two-level hierarchy of vector-quantised codes."""

import keras
from keras import ops

from keras_vq.checks import check_model_kwargs, check_shape
from keras_vq.models.vqvae2.vqvae2_presets import VQVAE2_PRESETS
from keras_vq.models.code_levels import CodeLevel, levels_by_name
from keras_vq.models.conv_autoencoder import (
    CONVOLUTIONS,
    TRANSPOSED_CONVOLUTIONS,
    DOWNSAMPLING_KERNEL,
    ConvAutoencoder,
    architecture_arguments,
    build_decoder,
    build_encoder,
    build_quantizer,
    checked_codes,
    checked_quantizer_arguments,
    check_prior,
    mean_squared_error,
)

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
    codes, conditioned on them, local detail. Both quantizers have
    `num_embeddings` codes of `embedding_dim` dimensions and the same update
    rule (`keras_vq.layers.VectorQuantizer`); the encoders and decoders are
    the strided convolutions and ResidualStacks of `VQVAE`.

    Training is `VQVAE`'s: `compile` then `fit(x)`; the loss is the
    reconstruction MSE on `data_range` plus each level's codebook and
    `beta`-weighted commitment losses, and `fit` reports `reconstruction_loss`
    and, per level, `top_`/`bottom_` `commitment_loss`, `perplexity` and
    `codebook_usage` (and `codebook_loss` under the loss-based rule).

    `encode(x)` gives `(top_codes, bottom_codes)`, int32, of shapes
    `(batch, H/8, W/8)` and `(batch, H/4, W/4)`; `decode_codes(top, bottom)`
    gives images on `data_range`.

    Args: as `VQVAE`, without `num_downsamples` (fixed by the hierarchy).

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE2(hidden_channels=32, residual_channels=16, num_embeddings=64, embedding_dim=16)
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        model.fit(images[:64], batch_size=32, epochs=1, verbose=0)
        top, bottom = model.encode(images[:4])  # (4, 4, 4) and (4, 8, 8)
        print(tuple(top.shape), tuple(bottom.shape), tuple(model.decode_codes(top, bottom).shape))
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
        num_embeddings=512,
        embedding_dim=64,
        beta=0.25,
        codebook_update="ema",
        decay=0.99,
        epsilon=1e-5,
        dead_code_threshold=0.0,
        kmeans_init=False,
        use_cosine_similarity=False,
        seed=None,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(VQVAE2, kwargs)
        data_shape = check_shape("data_shape", data_shape, allow_none=True)
        quantizer_arguments = checked_quantizer_arguments(locals())
        factor = 2 ** (BOTTOM_DOWNSAMPLES + TOP_DOWNSAMPLES)
        if len(tuple(data_shape)) != 3 or any(
            size is not None and size % factor for size in tuple(data_shape)[:2]
        ):
            raise ValueError(
                f"VQVAE2 takes images (height, width, channels) with height and width divisible "
                f"by {factor} (4x to the bottom codes, 8x to the top); got data_shape {tuple(data_shape)}"
            )
        architecture = architecture_arguments(data_shape, data_range, hidden_channels, BOTTOM_DOWNSAMPLES,
                                              num_residual_layers, residual_channels)
        data_shape = architecture["data_shape"]
        bottom_shape = tuple(None if s is None else s // 2**BOTTOM_DOWNSAMPLES for s in data_shape[:2])
        blocks = dict(hidden_channels=hidden_channels, num_residual_layers=num_residual_layers,
                      residual_channels=residual_channels, dtype=dtype)

        # === Layers ===
        bottom_encoder = build_encoder(
            data_shape, architecture["data_range"], BOTTOM_DOWNSAMPLES, output_channels=None,
            name="bottom_encoder", **blocks,
        )
        top_encoder = build_encoder(
            bottom_shape + (hidden_channels,), None, TOP_DOWNSAMPLES, output_channels=embedding_dim,
            name="top_encoder", **blocks,
        )
        top_decoder = build_decoder(
            bottom_shape + (embedding_dim,), None, TOP_DOWNSAMPLES, latent_channels=embedding_dim,
            name="top_decoder", **blocks,
        )
        to_bottom_latent = CONVOLUTIONS[2](embedding_dim, 1, dtype=dtype, name="to_bottom_latent")
        upsample_top = TRANSPOSED_CONVOLUTIONS[2](
            embedding_dim, DOWNSAMPLING_KERNEL, strides=2, padding="same", dtype=dtype, name="upsample_top"
        )
        decoder = build_decoder(
            data_shape, architecture["data_range"], BOTTOM_DOWNSAMPLES, latent_channels=2 * embedding_dim,
            name="decoder", **blocks,
        )
        quantizers = {
            level: build_quantizer(
                quantizer_arguments, None if seed is None else seed + index, dtype, name=f"{level}_quantizer"
            )
            for index, level in enumerate(LEVELS)
        }

        # === Functional model ===
        inputs = keras.Input(shape=data_shape, name="inputs")
        bottom_features = bottom_encoder(inputs)
        top_quantized = quantizers["top"](top_encoder(bottom_features))
        bottom_latent = to_bottom_latent(
            keras.layers.Concatenate(name="bottom_and_top")([bottom_features, top_decoder(top_quantized)])
        )
        bottom_quantized = quantizers["bottom"](bottom_latent)
        codes = keras.layers.Concatenate(name="both_levels")([upsample_top(top_quantized), bottom_quantized])
        outputs = decoder(codes)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.bottom_encoder, self.top_encoder, self.top_decoder = bottom_encoder, top_encoder, top_decoder
        self.to_bottom_latent, self.upsample_top, self.decoder = to_bottom_latent, upsample_top, decoder
        self.top_quantizer, self.bottom_quantizer = quantizers["top"], quantizers["bottom"]
        self.set_architecture(**architecture)
        self.set_quantizer_arguments(quantizer_arguments)
        self.seed = seed

        # === Metrics ===
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.level_trackers = {}
        for level in LEVELS:
            names = ["commitment_loss", "perplexity", "codebook_usage"]
            if codebook_update == "loss":
                names.append("codebook_loss")
            trackers = {name: keras.metrics.Mean(name=f"{level}_{name}") for name in names}
            self.level_trackers[level] = trackers
            for name, tracker in trackers.items():
                setattr(self, f"{level}_{name}_tracker", tracker)  # Tracked by Keras as attributes.

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction_loss = mean_squared_error(x, y_pred)
        # self.losses holds each quantizer's codebook_loss + beta * commitment_loss.
        total = reconstruction_loss + ops.sum(ops.stack(self.losses))
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        for level in LEVELS:
            quantizer = getattr(self, f"{level}_quantizer")
            for name, tracker in self.level_trackers[level].items():
                tracker.update_state(getattr(quantizer, f"batch_{name}"))
        return total

    def encode(self, inputs):
        """`(top_codes, bottom_codes)`: int32, shapes `(batch, H/8, W/8)` and `(batch, H/4, W/4)`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            top, bottom = model.encode(images[:2])
            print(tuple(top.shape), tuple(bottom.shape))  # (2, 4, 4) (2, 8, 8)
            ```
        """
        outputs = self.encoder_outputs(inputs)
        return self.top_quantizer.encode(outputs["top"]), self.bottom_quantizer.encode(outputs["bottom"])

    def encoder_outputs(self, inputs):
        """`{"top": z_e, "bottom": z_e}`: what each level's quantizer receives. The bottom one is
        computed from the quantised top codes, as in `call` (Razavi et al. 2019, fig. 2a).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
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
        """`{"top": VectorQuantizer, "bottom": VectorQuantizer}`, keyed as `code_levels()`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            print(sorted(model.level_quantizers()))  # ['bottom', 'top']
            ```
        """
        return {"top": self.top_quantizer, "bottom": self.bottom_quantizer}

    def decode_codes(self, top_codes, bottom_codes):
        """Images on `data_range` from both levels' code indices.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            top, bottom = model.encode(images[:2])
            print(tuple(model.decode_codes(top, bottom).shape))  # (2, 32, 32, 3)
            ```
        """
        top_shape, bottom_shape = self.latent_shapes()
        top_codes = checked_codes("top_codes", top_codes, top_shape, self.num_embeddings)
        bottom_codes = checked_codes("bottom_codes", bottom_codes, bottom_shape, self.num_embeddings)
        if len(top_codes) != len(bottom_codes):
            raise ValueError(f"top_codes and bottom_codes must hold as many maps; got {len(top_codes)} and "
                             f"{len(bottom_codes)}")
        upsampled_top = self.upsample_top(self.top_quantizer.lookup(top_codes))
        codes = ops.concatenate([upsampled_top, self.bottom_quantizer.lookup(bottom_codes)], axis=-1)
        return self.decoder(codes, training=False)

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
        top_shape, bottom_shape = self.latent_shapes()
        check_prior(top_prior, "top_prior", top_shape, self.num_embeddings)
        check_prior(bottom_prior, "bottom_prior", bottom_shape, self.num_embeddings, condition_shape=top_shape)
        top_temperature, bottom_temperature = (
            temperature if isinstance(temperature, (tuple, list)) else (temperature, temperature)
        )
        top_codes = top_prior.sample(num_samples, class_labels=class_labels, temperature=top_temperature,
                                     seed=seed)
        bottom_codes = bottom_prior.sample(num_samples, class_labels=class_labels, condition=top_codes,
                                           temperature=bottom_temperature, seed=None if seed is None else seed + 1)
        return ops.convert_to_numpy(self.decode_codes(top_codes, bottom_codes))

    def latent_shapes(self):
        """`(top, bottom)` code maps' spatial shapes.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            print(model.latent_shapes())  # ((4, 4), (8, 8)): top, bottom
            ```
        """
        height, width = self.data_shape[:2]
        return tuple((height // 2**levels, width // 2**levels)
                     for levels in (BOTTOM_DOWNSAMPLES + TOP_DOWNSAMPLES, BOTTOM_DOWNSAMPLES))

    def code_levels(self):
        """`{"top": CodeLevel, "bottom": CodeLevel}` in sampling order; the bottom
        level's prior is conditioned on the top codes (`keras_vq.models.code_levels`).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            # [('top', (4, 4)), ('bottom', (8, 8))]
            print([(level.name, level.shape) for level in model.code_levels().values()])
            ```
        """
        top_shape, bottom_shape = self.latent_shapes()
        top = CodeLevel("top", top_shape, self.num_embeddings)
        return levels_by_name(top, CodeLevel("bottom", bottom_shape, self.num_embeddings, condition=top))

    def encode_levels(self, inputs):
        """`{"top": codes, "bottom": codes}`: `encode` by level name.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            print({name: tuple(codes.shape) for name, codes in model.encode_levels(images[:2]).items()})
            # {'top': (2, 4, 4), 'bottom': (2, 8, 8)}
            ```
        """
        return dict(zip(LEVELS, self.encode(inputs)))

    def decode_levels(self, codes):
        """`decode_codes` from `{"top": ..., "bottom": ...}` (what `encode_levels` gives).

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8, num_embeddings=32, embedding_dim=8)
            print(tuple(model.decode_levels(model.encode_levels(images[:2])).shape))  # (2, 32, 32, 3)
            ```
        """
        return self.decode_codes(codes["top"], codes["bottom"])

    def get_config(self):
        config = super().get_config()
        del config["num_downsamples"]  # Fixed by the hierarchy.
        return config | {
            **self.quantizer_config(),
            "seed": self.seed,
        }
