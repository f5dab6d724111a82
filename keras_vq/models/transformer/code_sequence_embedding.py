"""The input sequence of a transformer prior: condition codes, a start token, the codes shifted by one."""

import keras
from keras import ops

from keras_vq.utils.checks import check_number, check_positive_int, check_seed

__all__ = ["CodeSequenceEmbedding"]


@keras.saving.register_keras_serializable(package="keras_vq")
class CodeSequenceEmbedding(keras.layers.Layer):
    """Embeds a map of codes x (T = prod(code_shape) positions in raster order) as the sequence a causal
    transformer reads to predict it (GPT-style next-token inputs; VQGAN's transformer, Esser et al. 2021,
    https://arxiv.org/abs/2012.09841, with its class token and conditioning codes as a prefix):

        [e_s(s_1), ..., e_s(s_C), e_y(y), e_x(x_1), ..., e_x(x_(T-1))] + [p_1, ..., p_(C+T)]

    where s are the C condition codes (another level's map, VQ-VAE-2's top codes for its bottom prior;
    none when `condition_length` is 0), y the class label (the start token: one learned vector when
    there are no classes), and p learned position embeddings. The transformer's output at position C + t
    predicts x_t. With `masked`, MaskGIT's input (Chang et al. 2022, https://arxiv.org/abs/2202.04200):
    every code after the start token, [e_s(s_1), ..., e_y(y), e_x(x_1), ..., e_x(x_T)] + p, each x_t a
    code or the [MASK] code (index `num_embeddings`, an extra row of e_x) where it is hidden.

    With `class_dropout` > 0, training replaces each label by the null class (index
    `num_classes`) with that probability: the unconditional model classifier-free guidance mixes in (Ho
    and Salimans 2022, https://arxiv.org/abs/2207.12598).

    Inputs: codes `(batch, *code_shape)` int, class labels `(batch,)` (None without classes) and the
    condition `(batch, *condition_shape)` (None without one). Output `(batch, C + T, dim)` (with `masked`,
    `(batch, C + 1 + T, dim)`).

    Args:
        num_embeddings: K, the codes x is drawn from.
        dim: the embedding width D.
        code_length: T, the positions of a code map.
        num_classes: class labels (None: one start token, no classes).
        condition_length: C, the positions of the condition map (0: none).
        condition_num_embeddings: the codes s is drawn from (with `condition_length` > 0).
        class_dropout: probability of the null class in training.
        seed: seeds the class dropout.
        masked: MaskGIT's sequence (above) rather than the shifted one.

    Example:
        ```python
        import numpy as np
        from keras import ops

        from keras_vq.models.transformer.code_sequence_embedding import CodeSequenceEmbedding

        embedding = CodeSequenceEmbedding(num_embeddings=16, dim=8, code_length=4, num_classes=3)
        codes, labels = np.zeros((2, 2, 2), "int32"), np.array([0, 2])
        print(tuple(ops.shape(embedding(codes, labels))))  # (2, 4, 8): the start token, then codes 1..3
        ```
    """

    def __init__(
        self,
        num_embeddings,
        dim,
        code_length,
        num_classes=None,
        condition_length=0,
        condition_num_embeddings=None,
        class_dropout=0.0,
        seed=None,
        masked=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("num_embeddings", num_embeddings), ("dim", dim), ("code_length", code_length)):
            check_positive_int(name, value)
        if num_classes is not None:
            check_positive_int("num_classes", num_classes)
        if condition_length:
            check_positive_int("condition_length", condition_length)
            check_positive_int("condition_num_embeddings", condition_num_embeddings)
        check_number("class_dropout", class_dropout, 0.0, 1.0, True, False)
        if seed is not None:
            check_seed("seed", seed)
        if class_dropout and num_classes is None:
            raise ValueError(f"class_dropout = {class_dropout} needs num_classes: there are no labels to drop")
        self.num_embeddings, self.dim, self.code_length = num_embeddings, dim, code_length
        self.num_classes, self.condition_length = num_classes, condition_length
        self.condition_num_embeddings, self.class_dropout, self.seed = condition_num_embeddings, class_dropout, seed
        if not isinstance(masked, bool):
            raise ValueError(f"masked must be True or False, got {masked!r}")
        self.masked = masked
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, *input_shapes):
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)

        def table(name, rows):
            return self.add_weight(shape=(rows, self.dim), initializer=initializer, name=name)

        self.code_embeddings = table("code_embeddings", self.num_embeddings + int(self.masked))
        # The classes and the null class of classifier-free guidance; or one start token.
        self.start_embeddings = table("start_embeddings", 1 if self.num_classes is None else self.num_classes + 1)
        self.condition_embeddings = (
            table("condition_embeddings", self.condition_num_embeddings) if self.condition_length else None
        )
        self.position_embeddings = table("position_embeddings", self.sequence_length)

    @property
    def sequence_length(self):
        """C + T positions (C + 1 + T with `masked`)."""
        return self.condition_length + int(self.masked) + self.code_length

    @property
    def mask_code(self):
        """The [MASK] code's index (with `masked`): `num_embeddings`."""
        return self.num_embeddings

    @property
    def null_class(self):
        """The start token's index for "no class" (classifier-free guidance's unconditional model)."""
        return self.num_classes

    def tables(self):
        """The embedding tables in the compute dtype, read once before a sampling loop."""
        return {
            name: None if table is None else ops.cast(table, self.compute_dtype)
            for name, table in (
                ("codes", self.code_embeddings),
                ("start", self.start_embeddings),
                ("condition", self.condition_embeddings),
                ("positions", self.position_embeddings),
            )
        }

    def start_tokens(self, class_labels, batch, tables):
        """`(batch, D)`: the class labels' start tokens (the one start token without classes)."""
        if class_labels is None:
            return ops.broadcast_to(tables["start"][0], (batch, self.dim))
        return ops.take(tables["start"], class_labels, axis=0)

    def condition_tokens(self, condition, tables):
        """`(batch, C, D)`: the condition codes embedded, with their positions."""
        flat = ops.reshape(condition, (-1, self.condition_length))
        return ops.take(tables["condition"], flat, axis=0) + tables["positions"][: self.condition_length]

    def call(self, codes, class_labels=None, condition=None, training=None):
        tables = {
            "codes": self.code_embeddings,
            "start": self.start_embeddings,
            "condition": self.condition_embeddings,
            "positions": self.position_embeddings,
        }
        flat = ops.reshape(ops.cast(codes, "int32"), (-1, self.code_length))
        batch = ops.shape(flat)[0]
        if class_labels is not None:
            class_labels = ops.cast(class_labels, "int32")
            if training and self.class_dropout:
                dropped = keras.random.uniform(ops.shape(class_labels), seed=self.seed_generator) < self.class_dropout
                class_labels = ops.where(dropped, self.null_class, class_labels)
        start = self.start_tokens(class_labels, batch, tables)[:, None]
        codes = ops.take(tables["codes"], flat if self.masked else flat[:, :-1], axis=0)
        sequence = ops.concatenate([start, codes], axis=1) + tables["positions"][self.condition_length :]
        if self.condition_length:
            sequence = ops.concatenate([self.condition_tokens(condition, tables), sequence], axis=1)
        return ops.cast(sequence, self.compute_dtype)

    def compute_output_shape(self, codes_shape, class_labels_shape=None, condition_shape=None):
        return (codes_shape[0], self.sequence_length, self.dim)

    def get_config(self):
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "dim": self.dim,
            "code_length": self.code_length,
            "num_classes": self.num_classes,
            "condition_length": self.condition_length,
            "condition_num_embeddings": self.condition_num_embeddings,
            "class_dropout": self.class_dropout,
            "seed": self.seed,
            "masked": self.masked,
        }
