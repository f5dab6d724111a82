"""PixelCNN: an autoregressive prior over a map of discrete codes."""

import keras

from keras_vq.layers.pixelcnn_blocks import GatedPixelCNNBlock
from keras_vq.layers.residual_stack import ResidualStack
from keras_vq.models.autoregressive_prior import apply_output_head
from keras_vq.models.code_map_prior import CLASS_LABELS, CODES, CONDITION, CodeMapPrior
from keras_vq.models.pixelcnn.pixelcnn_presets import PIXELCNN_PRESETS
from keras_vq.models.pixelcnn.pixelcnn_sampler import PixelCNNSteps
from keras_vq.utils.checks import (
    check_model_kwargs,
    check_odd_kernel_size,
    check_positive_int,
    check_shape,
)


@keras.saving.register_keras_serializable(package="keras_vq")
class PixelCNN(CodeMapPrior):
    """Gated PixelCNN prior over codes (van den Oord et al. 2016,
    https://arxiv.org/abs/1606.05328), as used for VQ-VAE (van den Oord et
    al. 2017) and the two levels of VQ-VAE-2 (Razavi et al. 2019).

    Models a map of codes z (height x width, each in [0, K)) as

        p(z | y, s) = prod_{i, j in raster order} p(z_ij | z_<ij, y, s),

    each factor a categorical over the K codes, with y an optional class
    label and s an optional map of condition codes (the top codes when this
    is VQ-VAE-2's bottom prior). The codes are embedded, passed through
    `num_blocks` `GatedPixelCNNBlock`s (the first `first_kernel_size`, mask
    A; the rest `kernel_size`, mask B), and the sum of the blocks' skip
    outputs and the last block's horizontal stack goes through ReLU, 1x1
    conv, ReLU, 1x1 conv to K logits a position (float32 whatever the dtype
    policy).

    Inputs: the code map `(batch, height, width)` int, alone; or, with
    `num_classes` or `condition_shape` set, a dict with `"codes"`,
    `"class_labels"` `(batch,)` and `"condition"` `(batch, *condition_shape)`.
    The condition map is embedded, upsampled to the code grid (nearest
    neighbour, then a 3x3 conv and a ResidualStack) and fed to every block.
    Output: logits `(batch, height, width, num_embeddings)`.

    Training: `compile(optimizer=...)` then `fit(inputs)` (targets, if any,
    are ignored: the codes are their own targets). The loss is the mean
    negative log-likelihood in nats a code; `fit` and `evaluate` report it
    as `bits_per_code` too (nats / ln 2).

    Sampling: `sample(num_samples, ...)` (see its docstring), by the shared
    loops of `keras_vq.models.sampling`; the cached one computes each block
    once a position (`keras_vq.models.pixelcnn.pixelcnn_sampler`).
    `PixelCNN.for_code_level(level, ...)` builds one over a model's level of
    codes (`model.code_levels()`).

    Args:
        code_shape: `(height, width)` of the code map.
        num_embeddings: K, the number of codes.
        channels: channels of the embedding, the stacks and the head.
        num_blocks: gated blocks (>= 1).
        kernel_size: odd k of the blocks after the first.
        first_kernel_size: odd k of the first block (the paper's 7).
        num_classes: classes for a class-conditional prior (None: none).
        condition_shape: `(height, width)` of a condition code map that
            divides the code map's (None: no spatial condition).
        condition_num_embeddings: codes in the condition map.
        condition_residual_layers: blocks in the condition's ResidualStack.
        dtype: dtype policy of the layers.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        codes = np.random.default_rng(0).integers(0, 16, size=(64, 4, 4))
        prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, channels=16, num_blocks=2, num_classes=2)
        prior.compile(optimizer=keras.optimizers.Adam(1e-3))
        prior.fit({"codes": codes, "class_labels": np.arange(64) % 2}, batch_size=16, epochs=1, verbose=0)
        samples = prior.sample(3, class_labels=[0, 1, 1], temperature=1.0, seed=0, verbose=0)
        print(tuple(samples.shape))  # (3, 4, 4) int32 codes; VQVAE.generate decodes them
        ```
    """

    builtin_presets = PIXELCNN_PRESETS

    def __init__(
        self,
        code_shape=(8, 8),
        num_embeddings=512,
        channels=128,
        num_blocks=12,
        kernel_size=3,
        first_kernel_size=7,
        num_classes=None,
        condition_shape=None,
        condition_num_embeddings=None,
        condition_residual_layers=2,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(PixelCNN, kwargs)
        code_shape = check_shape("code_shape", code_shape, rank=2)
        for name, value in (("num_embeddings", num_embeddings), ("channels", channels), ("num_blocks", num_blocks)):
            check_positive_int(name, value)
        check_odd_kernel_size("kernel_size", kernel_size)
        check_odd_kernel_size("first_kernel_size", first_kernel_size)
        if num_classes is not None:
            check_positive_int("num_classes", num_classes)
        upsampling = None
        if condition_shape is not None:
            condition_shape = check_shape("condition_shape", condition_shape, rank=2)
            upsampling = tuple(size // condition for size, condition in zip(code_shape, condition_shape))
            if any(size % condition for size, condition in zip(code_shape, condition_shape)):
                raise ValueError(
                    f"condition_shape {condition_shape} must divide code_shape {code_shape} "
                    "(the condition is upsampled by a whole factor to the code grid)"
                )
            if condition_num_embeddings is None:
                raise ValueError("condition_num_embeddings must be given with condition_shape")
            check_positive_int("condition_num_embeddings", condition_num_embeddings)

        # === Layers ===
        settings = dict(dtype=dtype)
        embedding = keras.layers.Embedding(num_embeddings, channels, name="code_embedding", **settings)
        condition_network = None
        if condition_shape is not None:
            condition_network = keras.Sequential(
                [
                    keras.Input(shape=condition_shape, dtype="int32"),
                    keras.layers.Embedding(condition_num_embeddings, channels, **settings),
                    keras.layers.UpSampling2D(upsampling, **settings),
                    keras.layers.Conv2D(channels, 3, padding="same", **settings),
                    ResidualStack(condition_residual_layers, max(channels // 2, 1), **settings),
                ],
                name="condition_network",
            )
        blocks = [
            GatedPixelCNNBlock(
                channels,
                first_kernel_size if index == 0 else kernel_size,
                is_first=index == 0,
                num_classes=num_classes,
                condition_channels=channels if condition_shape else None,
                name=f"block{index}",
                **settings,
            )
            for index in range(num_blocks)
        ]
        head = [
            keras.layers.Conv2D(channels, 1, activation="relu", name="head_hidden", **settings),
            keras.layers.Conv2D(num_embeddings, 1, name="logits", dtype="float32"),
        ]

        # === Functional model ===
        inputs = {CODES: keras.Input(shape=code_shape, dtype="int32", name=CODES)}
        if num_classes is not None:
            inputs[CLASS_LABELS] = keras.Input(shape=(), dtype="int32", name=CLASS_LABELS)
        if condition_shape is not None:
            inputs[CONDITION] = keras.Input(shape=condition_shape, dtype="int32", name=CONDITION)
        features = None if condition_network is None else condition_network(inputs[CONDITION])
        vertical = horizontal = embedding(inputs[CODES])
        skips = []
        for block in blocks:
            vertical, horizontal, skip = block(vertical, horizontal, inputs.get(CLASS_LABELS), features)
            skips.append(skip)
        logits = apply_output_head(head, skips + [horizontal])
        super().__init__(inputs=inputs if len(inputs) > 1 else inputs[CODES], outputs=logits, **kwargs)

        # === Config ===
        self.embedding, self.condition_network, self.blocks, self.head = embedding, condition_network, blocks, head
        self.code_shape, self.num_embeddings, self.channels = code_shape, num_embeddings, channels
        self.num_blocks, self.kernel_size, self.first_kernel_size = num_blocks, kernel_size, first_kernel_size
        self.num_classes, self.condition_shape = num_classes, condition_shape
        self.condition_num_embeddings = condition_num_embeddings
        self.condition_residual_layers = condition_residual_layers

        # === Metrics ===
        self.track_bits()

    # --- The prior interface (`AutoregressivePrior`, `CodeMapPrior`) ---------------------------

    def cached_steps(self, batch, shape, conditioning):
        return PixelCNNSteps(self, batch, shape, **conditioning)

    def condition_features(self, condition):
        return None if self.condition_network is None else self.condition_network(condition)

    # --- Sampling ----------------------------------------------------------------------------

    def sample(
        self,
        num_samples,
        class_labels=None,
        condition=None,
        temperature=1.0,
        seed=None,
        method="cached",
        verbose="auto",
    ):
        """Code maps `(num_samples, height, width)` int32 drawn from the prior (NumPy).

        Args:
            num_samples: how many maps.
            class_labels: `(num_samples,)` ints (or one int for all), required
                exactly when the prior is class-conditional.
            condition: `(num_samples, *condition_shape)` condition codes,
                required exactly when the prior has a spatial condition.
            temperature: > 0; logits are divided by it (< 1 sharper).
            seed: int: the same seed gives the same samples, whichever
                `method` and backend (the noise is NumPy's).
            method: `"cached"` (fast; each block computed once a position)
                or `"naive"` (one full forward pass a position; the reference).
            verbose: report the codes drawn and the rate (`keras_vq.utils.progress`).

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, channels=16, num_blocks=2, num_classes=3)
            codes = prior.sample(2, class_labels=[0, 2], temperature=0.8, seed=0, verbose=0)
            print(codes.shape, codes.dtype)  # (2, 4, 4) int32; the same seed gives the same codes on every backend
            ```
        """
        check_positive_int("num_samples", num_samples)
        conditioning = self.checked_conditioning(num_samples, class_labels, condition)
        return self.draw_symbols(num_samples, self.code_shape, conditioning, temperature, seed, method, verbose)

    # --- Serialisation -----------------------------------------------------------------------

    def get_config(self):
        return self.config_with(
            {
                "code_shape": self.code_shape,
                "num_embeddings": self.num_embeddings,
                "channels": self.channels,
                "num_blocks": self.num_blocks,
                "kernel_size": self.kernel_size,
                "first_kernel_size": self.first_kernel_size,
                "num_classes": self.num_classes,
                "condition_shape": self.condition_shape,
                "condition_num_embeddings": self.condition_num_embeddings,
                "condition_residual_layers": self.condition_residual_layers,
            }
        )
