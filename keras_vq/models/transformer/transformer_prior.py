"""TransformerPrior: a decoder-only transformer over a map of discrete codes in raster order."""

import math

import keras
import numpy as np
from keras import ops

from keras_vq.models.code_map_prior import CLASS_LABELS, CODES, CONDITION, CodeMapPrior, codes_shape_of
from keras_vq.models.transformer.code_sequence_embedding import CodeSequenceEmbedding
from keras_vq.models.transformer.transformer_block import TransformerBlock
from keras_vq.models.transformer.transformer_presets import TRANSFORMER_PRESETS
from keras_vq.models.transformer.transformer_sampler import TransformerSteps, guided_batch, guided_logits
from keras_vq.utils.checks import check_model_kwargs, check_number, check_positive_int, check_shape

__all__ = ["TransformerPrior"]

GUIDANCE_SCALE = "guidance_scale"


@keras.saving.register_keras_serializable(package="keras_vq")
class TransformerPrior(CodeMapPrior):
    """Decoder-only transformer prior over a map of codes (the image transformers of VQGAN, Esser et al.
    2021, https://arxiv.org/abs/2012.09841, and LlamaGen, Sun et al. 2024, over VQ-VAE codes), the
    "more computationally efficient alternative to PixelCNN" the VQ-VAE paper names as its next step.

    Models a map of codes z (T = height x width positions, each in [0, K)) in raster order as

        p(z | y, s) = prod_t p(z_t | z_<t, y, s),

    each factor a K-way categorical: the codes, shifted by one behind a start token that is the class
    label y's embedding (one learned token without classes), after the condition codes s as a prefix
    (VQ-VAE-2's top codes, for its bottom prior), with learned position embeddings
    (`CodeSequenceEmbedding`), through `num_layers` pre-norm causal blocks (`TransformerBlock`),
    a final LayerNorm and a linear map to K logits a position (float32 whatever the dtype policy).

    Residual codes (`num_stages` = S > 1, a `ResidualVectorQuantizer`'s S codes z_t = (z_t^1, ..., z_t^S)
    a position, coarsest first): the sequence is every stage of every position, position-major,

        p(z | y, s) = prod_t prod_d p(z_t^d | z_t^<d, z_<t, y, s),

    T S tokens, each with its own learned position embedding (which tells the stage apart). This is the
    flattened ordering RQ-Transformer (Lee et al. 2022, https://arxiv.org/abs/2203.01941) compares its
    depth transformer with: the same factorisation at O((T S)^2) attention against O(T^2 + T S^2), one
    network and one cache instead of two. `for_code_level` models every stage of a residual level by
    default, and `VQVAE.generate`, `keras_vq.metrics.bits_per_dim` and `keras_vq.data.prior_inputs` then
    use all of them (`CodeLevel.modelled_codes`).

    Classifier-free guidance (Ho and Salimans 2022, https://arxiv.org/abs/2207.12598): trained with
    `class_dropout` > 0 (each label replaced by a null class with that probability), `sample(...,
    guidance_scale=s)` draws from the logits l_u + s (l_c - l_u) of the conditional (l_c) and null-class
    (l_u) passes; s = 1 is the conditional model, s > 1 sharpens towards the class.

    Inputs and outputs as every `CodeMapPrior` (`PixelCNN`'s): the code map `(batch, height, width)` int
    alone, or a dict with `"codes"`, `"class_labels"` `(batch,)` and `"condition"`; logits
    `(batch, height, width, num_embeddings)`. Training: `compile(optimizer=...)` then `fit(inputs)`; the
    loss is the mean negative log-likelihood in nats a code, reported as `bits_per_code` too.

    Sampling: `sample(num_samples, ...)` by the shared loops of `keras_vq.models.sampling`; the cached
    one keeps every block's keys and values (`keras_vq.models.transformer.transformer_sampler`), so each
    position costs one position of each block.

    Args:
        code_shape: `(height, width)` of the code map.
        num_embeddings: K, the number of codes.
        num_stages: codes a position (a residual quantizer's stages); the codes are then
            `(batch, height, width, num_stages)` and so are the samples.
        dim: the model width D.
        num_layers: transformer blocks (>= 1).
        num_heads: attention heads; must divide `dim`.
        mlp_dim: width of each block's feed-forward layer (None: 4 dim).
        dropout: dropout in the blocks, in training.
        num_classes: classes for a class-conditional prior (None: none).
        class_dropout: probability of the null class in training, for classifier-free guidance.
        condition_shape: `(height, width)` of a condition code map (None: none), read as a prefix.
        condition_num_embeddings: codes in the condition map.
        seed: seeds the class dropout.
        dtype: dtype policy of the layers.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        codes = np.random.default_rng(0).integers(0, 16, size=(64, 4, 4))
        prior = keras_vq.models.TransformerPrior(code_shape=(4, 4), num_embeddings=16, dim=16, num_layers=2,
                                                 num_heads=2, num_classes=2, class_dropout=0.1)
        prior.compile(optimizer=keras.optimizers.Adam(1e-3))
        prior.fit({"codes": codes, "class_labels": np.arange(64) % 2}, batch_size=16, epochs=1, verbose=0)
        samples = prior.sample(3, class_labels=[0, 1, 1], guidance_scale=2.0, seed=0, verbose=0)
        print(tuple(samples.shape))  # (3, 4, 4) int32 codes; VQVAE.generate decodes them
        ```
    """

    builtin_presets = TRANSFORMER_PRESETS
    # MaskGIT's network (`MaskGITPrior`) is this one with bidirectional blocks over every code, some masked.
    MASKED = False

    def __init__(
        self,
        code_shape=(8, 8),
        num_embeddings=512,
        num_stages=1,
        dim=256,
        num_layers=8,
        num_heads=8,
        mlp_dim=None,
        dropout=0.0,
        num_classes=None,
        class_dropout=0.0,
        condition_shape=None,
        condition_num_embeddings=None,
        seed=None,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(TransformerPrior, kwargs)
        code_shape = check_shape("code_shape", code_shape, rank=2)
        for name, value in (
            ("num_embeddings", num_embeddings),
            ("num_stages", num_stages),
            ("dim", dim),
            ("num_layers", num_layers),
        ):
            check_positive_int(name, value)
        check_positive_int("num_heads", num_heads)
        if dim % num_heads:
            raise ValueError(f"num_heads = {num_heads} must divide dim = {dim}")
        mlp_dim = 4 * dim if mlp_dim is None else mlp_dim
        check_positive_int("mlp_dim", mlp_dim)
        check_number("dropout", dropout, 0.0, 1.0, True, False)
        if condition_shape is not None:
            condition_shape = check_shape("condition_shape", condition_shape, rank=2)
            if condition_num_embeddings is None:
                raise ValueError("condition_num_embeddings must be given with condition_shape")
        codes_shape = codes_shape_of(code_shape, num_stages)
        code_length = math.prod(codes_shape)
        condition_length = 0 if condition_shape is None else math.prod(condition_shape)

        # === Layers ===
        settings = dict(dtype=dtype)
        sequence_embedding = CodeSequenceEmbedding(
            num_embeddings,
            dim,
            code_length,
            num_classes=num_classes,
            condition_length=condition_length,
            condition_num_embeddings=condition_num_embeddings,
            class_dropout=class_dropout,
            seed=seed,
            masked=self.MASKED,
            name="sequence_embedding",
            **settings,
        )
        blocks = [
            TransformerBlock(
                num_heads, mlp_dim, dropout=dropout, causal=not self.MASKED, name=f"block{index}", **settings
            )
            for index in range(num_layers)
        ]
        final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm", **settings)
        logits_layer = keras.layers.Dense(num_embeddings, name="logits", dtype="float32")

        # === Functional model ===
        inputs = {CODES: keras.Input(shape=codes_shape, dtype="int32", name=CODES)}
        if num_classes is not None:
            inputs[CLASS_LABELS] = keras.Input(shape=(), dtype="int32", name=CLASS_LABELS)
        if condition_shape is not None:
            inputs[CONDITION] = keras.Input(shape=condition_shape, dtype="int32", name=CONDITION)
        hidden = sequence_embedding(inputs[CODES], inputs.get(CLASS_LABELS), inputs.get(CONDITION))
        for block in blocks:
            hidden = block(hidden)
        logits = logits_layer(final_norm(hidden))
        logits = ops.reshape(logits[:, condition_length + int(self.MASKED) :], (-1, *codes_shape, num_embeddings))
        super().__init__(inputs=inputs if len(inputs) > 1 else inputs[CODES], outputs=logits, **kwargs)

        # === Config ===
        self.sequence_embedding = self.embedding = sequence_embedding
        self.blocks, self.final_norm, self.logits_layer = blocks, final_norm, logits_layer
        self.code_shape, self.num_embeddings, self.num_stages, self.dim = code_shape, num_embeddings, num_stages, dim
        self.num_layers, self.num_heads, self.mlp_dim, self.dropout = num_layers, num_heads, mlp_dim, dropout
        self.num_classes, self.class_dropout, self.seed = num_classes, class_dropout, seed
        self.condition_shape, self.condition_num_embeddings = condition_shape, condition_num_embeddings

        # === Metrics ===
        self.track_bits()

    # --- The prior interface (`AutoregressivePrior`, `CodeMapPrior`) ---------------------------

    @classmethod
    def for_code_level(cls, level, num_classes=None, **architecture):
        """`CodeMapPrior.for_code_level`, modelling every stage of a level with several codes a position
        (a `ResidualVectorQuantizer`'s) unless `num_stages=1` asks for the first only.

        Example:
            ```python
            import keras_vq

            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.ResidualVectorQuantizer(3, 32, 8))
            prior = keras_vq.models.TransformerPrior.for_code_level(model.code_levels()["codes"], dim=16,
                                                                     num_layers=1, num_heads=2)
            print(prior.codes_shape)  # (8, 8, 3): every stage of the 8x8 map
            ```
        """
        architecture.setdefault("num_stages", level.codes_per_position if level.stage_axis else 1)
        return super().for_code_level(level, num_classes=num_classes, **architecture)

    def cached_steps(self, batch, shape, conditioning):
        return TransformerSteps(self, batch, shape, **conditioning)

    def full_pass_logits(self, symbols, conditioning):
        """The call's logits; with a `"guidance_scale"` in `conditioning`, the guided mix of the
        conditional and null-class passes, as the cached steps draw from. The loops draw a map of
        several stages as `(height, width x stages)` (`sampling_grid`); the call takes it as it is."""
        symbols = ops.reshape(symbols, (-1, *self.codes_shape))
        if GUIDANCE_SCALE not in conditioning:
            return super().full_pass_logits(symbols, conditioning)
        class_labels, condition = guided_batch(self, conditioning[CLASS_LABELS], conditioning.get(CONDITION))
        doubled = ops.concatenate([symbols, symbols], axis=0)
        logits = self(self.model_inputs(doubled, class_labels, condition), training=False)
        return guided_logits(logits, conditioning[GUIDANCE_SCALE])

    # --- Sampling ----------------------------------------------------------------------------

    def sample(
        self,
        num_samples,
        class_labels=None,
        condition=None,
        temperature=1.0,
        guidance_scale=1.0,
        seed=None,
        method="cached",
        verbose="auto",
    ):
        """Code maps `(num_samples, height, width)` int32 drawn from the prior (NumPy);
        `(num_samples, height, width, num_stages)` with several stages a position.

        Args:
            num_samples: how many maps.
            class_labels: `(num_samples,)` ints (or one int for all), required
                exactly when the prior is class-conditional.
            condition: `(num_samples, *condition_shape)` condition codes,
                required exactly when the prior has one.
            temperature: > 0; logits are divided by it (< 1 sharper).
            guidance_scale: classifier-free guidance's s (1: the conditional
                model, no guidance); other values need class labels and a prior
                trained with `class_dropout` > 0.
            seed: int: the same seed gives the same samples, whichever
                `method` and backend (the noise is NumPy's).
            method: `"cached"` (fast; a key-value cache) or `"naive"` (one
                full forward pass a position; the reference).
            verbose: report the codes drawn and the rate (`keras_vq.utils.progress`).

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.TransformerPrior(code_shape=(4, 4), num_embeddings=16, dim=16,
                                                     num_layers=2, num_heads=2, num_classes=3)
            codes = prior.sample(2, class_labels=[0, 2], temperature=0.8, seed=0, verbose=0)
            print(codes.shape, codes.dtype)  # (2, 4, 4) int32; the same seed gives the same codes on every backend
            ```
        """
        check_positive_int("num_samples", num_samples)
        conditioning = self.checked_conditioning(num_samples, class_labels, condition)
        if self.checked_guidance_scale(guidance_scale):
            conditioning[GUIDANCE_SCALE] = np.full((num_samples,), guidance_scale, np.float32)
        symbols = self.draw_symbols(num_samples, self.sampling_grid, conditioning, temperature, seed, method, verbose)
        return symbols.reshape(num_samples, *self.codes_shape)

    @property
    def sampling_grid(self):
        """The rows and columns the sampling loops visit in raster order: `code_shape`, each column
        repeated for the `num_stages` stages of its position (drawn coarsest first).

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.TransformerPrior(code_shape=(4, 4), num_embeddings=16, num_stages=3, dim=16,
                                                     num_layers=1, num_heads=2)
            print(prior.sampling_grid)  # (4, 12): each row's 4 positions, 3 stages each
            ```
        """
        height, width = self.code_shape
        return (height, width * self.num_stages)

    def checked_guidance_scale(self, guidance_scale):
        """Whether `guidance_scale` guides (it is not 1), or ValueError when it is not a finite number, or
        guides a prior without classes or trained without class dropout (whose null class is untrained)."""
        check_number("guidance_scale", guidance_scale, -math.inf, math.inf, False, False)
        if guidance_scale == 1.0:
            return False
        if self.num_classes is None or not self.class_dropout:
            raise ValueError(
                f"guidance_scale = {guidance_scale} needs a class-conditional prior trained with class_dropout "
                f"> 0 (its null class is the unconditional model); this one has num_classes={self.num_classes}, "
                f"class_dropout={self.class_dropout}"
            )
        return True

    # --- Serialisation -----------------------------------------------------------------------

    def get_config(self):
        return self.config_with(
            {
                "code_shape": self.code_shape,
                "num_embeddings": self.num_embeddings,
                "num_stages": self.num_stages,
                "dim": self.dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "mlp_dim": self.mlp_dim,
                "dropout": self.dropout,
                "num_classes": self.num_classes,
                "class_dropout": self.class_dropout,
                "condition_shape": self.condition_shape,
                "condition_num_embeddings": self.condition_num_embeddings,
                "seed": self.seed,
            }
        )
