"""What every prior over a fixed map of codes shares: its inputs, their checks, and how it fits a level.

A `CodeMapPrior` models a map of codes z (`code_shape`, each in [0, K)) in raster order, optionally given
a class label y (`num_classes`) and another level's map of codes s (`condition_shape`, each in
[0, `condition_num_embeddings`)): VQ-VAE's prior over its one map, VQ-VAE-2's top prior (y only) and
bottom prior (y and the top codes s). Its inputs are the code map alone, or a dict of `"codes"`,
`"class_labels"` `(batch,)` and `"condition"` `(batch, *condition_shape)`; its output the logits
`(batch, *code_shape, K)`.

The network is the subclass's (`PixelCNN`, `TransformerPrior`); this class holds the rest: building one
over a model's level of codes (`for_code_level`), the level it fits (`level_spec`), its conditioning
inputs, and the checks of codes, labels and conditions that `fit`, `evaluate`, `log_likelihood_bits`
and `sample` run before any step, so that bad codes fail by name rather than as an out-of-range gather
(an InvalidArgumentError on TensorFlow, NaN on JAX).
"""

import numpy as np
from keras import ops

from keras_vq.models.autoregressive_prior import AutoregressivePrior, LevelSpec
from keras_vq.utils.checks import check_index_range

__all__ = ["CodeMapPrior"]

CODES, CLASS_LABELS, CONDITION = "codes", "class_labels", "condition"


def codes_shape_of(code_shape, num_stages):
    """The per-example shape of codes a prior models: `code_shape`, then `(num_stages,)` with several
    stages a position."""
    return tuple(code_shape) + ((num_stages,) if num_stages > 1 else ())


class CodeMapPrior(AutoregressivePrior):
    """The inputs and checks of a prior over a map of codes (see the module docstring); not used on its own.

    A subclass sets `code_shape`, `num_embeddings`, `num_classes`, `condition_shape` and
    `condition_num_embeddings`, and takes them as constructor arguments of those names.

    Example:
        ```python
        import keras_vq

        level = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8).code_levels()["bottom"]
        prior = keras_vq.models.PixelCNN.for_code_level(level, num_classes=10, channels=16, num_blocks=2)
        print(prior.conditioning_keys())  # ['class_labels', 'condition']: a label, and the top codes
        ```
    """

    SYMBOLS_KEY, LABELS_KEY, BITS_METRIC = CODES, CLASS_LABELS, "bits_per_code"
    # Codes a position it models (a residual quantizer's stages; `TransformerPrior` takes `num_stages`).
    num_stages = 1

    @property
    def codes_shape(self):
        """The per-example shape of the codes it models: `code_shape`, then `(num_stages,)` when it
        models several stages a position.

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.TransformerPrior(code_shape=(4, 4), num_embeddings=16, num_stages=3, dim=16,
                                                     num_layers=1, num_heads=2)
            print(prior.codes_shape)  # (4, 4, 3): three residual stages a position
            ```
        """
        return codes_shape_of(self.code_shape, self.num_stages)

    # --- The prior interface (`AutoregressivePrior`) -----------------------------------------

    @classmethod
    def for_code_level(cls, level, num_classes=None, **architecture):
        """A prior over `level`'s code map (a `CodeLevel`), conditioned on the codes of the level it is
        conditioned on (VQ-VAE-2's bottom level: the top codes), with `num_classes` and `architecture`
        (the class's own arguments) as the constructor takes them.

        Example:
            ```python
            import keras_vq

            level = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8).code_levels()["bottom"]
            prior = keras_vq.models.PixelCNN.for_code_level(level, channels=16, num_blocks=2)
            print(prior.code_shape, prior.condition_shape)  # (8, 8) (4, 4): the bottom codes, given the top
            ```
        """
        condition = (
            {}
            if level.condition is None
            else {"condition_shape": level.condition.shape, "condition_num_embeddings": level.condition.num_embeddings}
        )
        return cls(
            code_shape=level.shape,
            num_embeddings=level.num_embeddings,
            num_classes=num_classes,
            **condition,
            **architecture,
        )

    def level_spec(self):
        return LevelSpec(self.code_shape, self.num_embeddings, self.condition_shape, self.num_stages)

    def conditioning_keys(self):
        return [
            key
            for key, used in ((CLASS_LABELS, self.num_classes), (CONDITION, self.condition_shape))
            if used is not None
        ]

    @property
    def condition_key(self):
        return None if self.condition_shape is None else CONDITION

    def check_conditioning(self, num_samples, conditioning):
        self.checked_conditioning(num_samples, **conditioning)

    def model_inputs(self, codes, class_labels=None, condition=None):
        """The model's input structure: the codes alone, or the dict of those given."""
        return self.inputs_of(codes, {CLASS_LABELS: class_labels, CONDITION: condition})

    # --- Checked training and scoring --------------------------------------------------------

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`; NumPy inputs (an array or a dict of arrays) are
        checked first (`check_inputs`), so bad codes fail before any step."""
        if isinstance(x, (np.ndarray, dict)):
            self.check_inputs(x)
        return super().fit(x, *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        """`keras.Model.evaluate`, with NumPy inputs checked first as in `fit` (codes >= K gave
        TensorFlow's InvalidArgumentError, and NaN on JAX)."""
        if isinstance(x, (np.ndarray, dict)):
            self.check_inputs(x)
        return super().evaluate(x, *args, **kwargs)

    def log_likelihood_bits(self, inputs, batch_size=256):
        """`AutoregressivePrior.log_likelihood_bits`, with the inputs checked first (`check_inputs`)."""
        self.check_inputs(inputs)
        return super().log_likelihood_bits(inputs, batch_size=batch_size)

    def check_inputs(self, inputs):
        """Raises ValueError naming the input whose keys, shape or values do not fit this prior."""
        name = type(self).__name__
        expected = {CODES, *self.conditioning_keys()}
        given = set(inputs) if isinstance(inputs, dict) else {CODES}
        if given != expected or (not isinstance(inputs, dict) and len(expected) > 1):  # {"codes": ...} is fine too
            raise ValueError(
                f"this {name} takes {sorted(expected) if len(expected) > 1 else 'a code array'}; got "
                f"{sorted(inputs) if isinstance(inputs, dict) else 'an array'}"
            )
        arrays = inputs if isinstance(inputs, dict) else {CODES: inputs}
        ranges = {
            CODES: (self.codes_shape, self.num_embeddings),
            CLASS_LABELS: ((), self.num_classes),
            CONDITION: (self.condition_shape, self.condition_num_embeddings),
        }
        for key, values in arrays.items():
            values = np.asarray(values)
            shape, limit = ranges[key]
            if values.shape[1:] != tuple(shape):
                raise ValueError(f"{key} must have shape (examples, *{tuple(shape)}); got {values.shape}")
            if not np.issubdtype(values.dtype, np.integer):
                raise ValueError(f"{key} must be integers; got dtype {values.dtype}")
            check_index_range(key, values, limit)

    def checked_conditioning(self, num_samples, class_labels=None, condition=None):
        """`{"class_labels", "condition"}` as this prior takes them for `num_samples` codes, or ValueError
        naming what is missing, unexpected, or out of range (`sample` and `keras_vq.metrics.bits_per_dim`)."""
        name = type(self).__name__
        conditioning = {}
        if (class_labels is None) != (self.num_classes is None):
            raise ValueError(
                f"this {name} has num_classes={self.num_classes}: class_labels must be "
                f"{'given' if self.num_classes is not None else 'None'}"
            )
        if class_labels is not None:
            conditioning[CLASS_LABELS] = self.checked_indices(
                "class_labels", class_labels, num_samples, self.num_classes
            )
        if (condition is None) != (self.condition_shape is None):
            raise ValueError(
                f"this {name} has condition_shape={self.condition_shape}: condition must be "
                f"{'given' if self.condition_shape is not None else 'None'}"
            )
        if condition is not None:
            condition = np.asarray(ops.convert_to_numpy(condition)).astype(np.int32)
            if condition.shape != (num_samples,) + self.condition_shape:
                raise ValueError(
                    f"condition must have shape {(num_samples,) + self.condition_shape}; got {condition.shape}"
                )
            check_index_range("condition", condition, self.condition_num_embeddings)
            conditioning[CONDITION] = condition
        return conditioning
