"""MaskGITPrior: a bidirectional transformer over a map of codes, trained to fill in masked codes and
drawing a whole map in a few parallel steps (Chang et al. 2022, https://arxiv.org/abs/2202.04200)."""

import math
import time
import types

import keras
import numpy as np
from keras import ops

from keras_vq.data.batches import SeededBatches
from keras_vq.distribute.data_parallel import predict_rows
from keras_vq.models.code_map_prior import CLASS_LABELS, CODES, CONDITION
from keras_vq.models.sampling import draw_categorical
from keras_vq.models.transformer.mask_schedule import masked_counts, training_masks
from keras_vq.models.transformer.transformer_prior import TransformerPrior
from keras_vq.models.transformer.transformer_sampler import guided_batch, guided_logits
from keras_vq.utils.checks import check_number, check_positive_int
from keras_vq.utils.progress import report_stage

__all__ = ["MaskGITPrior", "MaskedCodeBatches"]


class MaskedCodeBatches(SeededBatches):
    """Batches `(inputs, codes, weights)` of NumPy prior inputs for `MaskGITPrior.fit`: the codes with
    `training_masks` hidden behind the [MASK] code, the codes as targets, and the masks as the weights
    (the loss is over the masked codes). The order and the masks of batch `index` of epoch `epoch` are
    drawn from `(seed, epoch)` and `(seed, epoch, index)` alone (`SeededBatches`), so a resumed run
    (`keras_vq.training.batches_from`) sees the batches it would have seen; `evaluation=True` keeps the
    examples in order, the last partial batch too.

    Example:
        ```python
        import numpy as np

        import keras_vq
        from keras_vq.models.transformer.maskgit_prior import MaskedCodeBatches

        prior = keras_vq.models.MaskGITPrior(code_shape=(4, 4), num_embeddings=16, dim=16, num_layers=1, num_heads=2)
        batches = MaskedCodeBatches(prior, np.zeros((10, 4, 4), "int32"), batch_size=4, seed=0)
        inputs, codes, weights = batches[0]
        print(len(batches), int((inputs == 16).sum()) == int(weights.sum()))  # 2 True: [MASK] is code 16
        ```
    """

    def __init__(self, prior, inputs, batch_size, seed=0, evaluation=False):
        self.prior = prior
        self.arrays = {
            key: np.asarray(value) for key, value in (inputs if isinstance(inputs, dict) else {CODES: inputs}).items()
        }
        super().__init__(len(self.arrays[CODES]), batch_size, evaluation, seed)

    def __getitem__(self, index):
        rows = self._batch_indices(index)
        codes = self.arrays[CODES][rows].astype(np.int32)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        masks = training_masks(rng, len(rows), math.prod(self.prior.codes_shape)).reshape(codes.shape)
        hidden = np.where(masks, self.prior.sequence_embedding.mask_code, codes).astype(np.int32)
        given = {key: self.arrays[key][rows] for key in (CLASS_LABELS, CONDITION) if key in self.arrays}
        return self.prior.model_inputs(hidden, **given), codes, masks.astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_vq")
class MaskGITPrior(TransformerPrior):
    """MaskGIT (Chang et al. 2022, https://arxiv.org/abs/2202.04200): the transformer of `TransformerPrior`
    with bidirectional attention over every code of the map, some replaced by a [MASK] code, after the
    class token (and the condition codes, as a prefix), predicting the K-way categorical of each code.

    Training (`fit` on NumPy codes): each example masks ceil(gamma(u) T) of its T codes, u ~ U[0, 1),
    gamma(r) = cos(pi r / 2) (`mask_schedule`), and the loss is the mean negative log-likelihood of the
    masked codes, reported in bits as `masked_bits_per_code` (a training figure: MaskGIT gives no exact
    likelihood of a map, so `log_likelihood_bits` and bits/dim are not defined for it). With
    `class_dropout`, classifier-free guidance as in `TransformerPrior`.

    Drawing (`sample`): all T codes masked, then `steps` passes; each draws every masked code from its
    categorical (temperature, guidance), scores it by its log-probability plus Gumbel noise of scale
    `choice_temperature (1 - (s + 1) / steps)`, keeps the best, and masks again the
    `masked_counts(steps, T)[s]` least confident; fixed codes never change. 8 steps draw an 8x8 map in
    8 passes, where an autoregressive prior takes 64 positions.

    Args: as `TransformerPrior`'s.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        codes = np.random.default_rng(0).integers(0, 16, size=(64, 4, 4))
        prior = keras_vq.models.MaskGITPrior(code_shape=(4, 4), num_embeddings=16, dim=16, num_layers=2, num_heads=2,
                                             num_classes=2)
        prior.compile(optimizer=keras.optimizers.Adam(1e-3))
        prior.fit({"codes": codes, "class_labels": np.arange(64) % 2}, batch_size=16, epochs=1, verbose=0)
        samples = prior.sample(3, class_labels=[0, 1, 1], steps=4, seed=0, verbose=0)
        print(tuple(samples.shape))  # (3, 4, 4) int32 codes, in 4 passes of the network
        ```
    """

    MASKED = True
    BITS_METRIC = "masked_bits_per_code"
    builtin_presets = {}  # Its own (none yet): the TransformerPrior's presets hold TransformerPriors.
    HAS_LIKELIHOOD = False

    # --- Training ----------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, shuffle=True, validation_data=None, **kwargs):
        """`keras.Model.fit` on NumPy codes (an array, or a dict with the labels and condition), masked a
        batch at a time (`MaskedCodeBatches`: reshuffled each epoch from the prior's `seed`, or in order
        with `shuffle=False`); `validation_data` the same, masked with a fixed seed. `x` may also be
        masked batches already: a `MaskedCodeBatches`, or a generator of its batches
        (`keras_vq.training.batches_from`, as `keras_vq.training.fit_resumably` trains)."""
        if isinstance(x, (MaskedCodeBatches, types.GeneratorType)) and y is None and batch_size is None:
            batches = x
        else:
            self.check_inputs(self._numpy_inputs("fit", x, y))
            batch_size = self._checked_batch_size(batch_size)
            batches = MaskedCodeBatches(self, x, batch_size, seed=self.seed or 0, evaluation=not shuffle)
        if validation_data is not None:
            self.check_inputs(self._numpy_inputs("fit", validation_data, None))
            validation_batch = batch_size or getattr(batches, "batch_size", None)
            validation_data = MaskedCodeBatches(
                self, validation_data, self._checked_batch_size(validation_batch), evaluation=True
            )
        return super(TransformerPrior, self).fit(
            batches,
            epochs=epochs,
            validation_data=validation_data,
            shuffle=False,
            **kwargs,  # Batches shuffle.
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """The masked codes' loss on NumPy codes, masked with a fixed seed (the same masks every call)."""
        self.check_inputs(self._numpy_inputs("evaluate", x, y))
        batches = MaskedCodeBatches(self, x, self._checked_batch_size(batch_size), evaluation=True)
        return super(TransformerPrior, self).evaluate(batches, **kwargs)

    def training_batches(self, inputs, batch_size, seed=0):
        """`MaskedCodeBatches` of NumPy `inputs`: each batch with its codes masked by the schedule, the
        order and the masks drawn from `seed` and the step (so a resumed run sees the same ones).

        Example:
            ```python
            import numpy as np

            import keras_vq

            prior = keras_vq.models.MaskGITPrior(code_shape=(4, 4), num_embeddings=16, dim=16, num_layers=1,
                                                 num_heads=2)
            inputs, codes, weights = prior.training_batches(np.zeros((10, 4, 4), "int32"), batch_size=4)[0]
            print(inputs.shape, int(weights.sum()) == int((inputs == 16).sum()))  # (4, 4, 4) True
            ```
        """
        return MaskedCodeBatches(self, inputs, batch_size, seed=seed)

    @staticmethod
    def _checked_batch_size(batch_size):
        """`batch_size`, 32 when None (Keras' default), or ValueError unless an integer >= 1."""
        if batch_size is None:
            return 32
        check_positive_int("batch_size", batch_size)
        return batch_size

    @staticmethod
    def _numpy_inputs(method, x, y):
        if y is not None or not isinstance(x, (np.ndarray, dict)):
            raise ValueError(
                f"MaskGITPrior.{method} takes the codes as NumPy (an array, or a dict with the labels and "
                f"condition) and no targets: it masks each batch itself; got {type(x).__name__}"
                + ("" if y is None else " and targets")
            )
        return x

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        nats = keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
        weights = ops.cast(sample_weight, nats.dtype)
        return self.tracked_loss(ops.sum(nats * weights) / ops.maximum(ops.sum(weights), 1.0))

    def log_likelihood_bits(self, inputs, batch_size=256):
        """Not defined: MaskGIT models each code given a random subset of the others, which gives no
        exact likelihood of a map (use `evaluate`'s masked bits, or an autoregressive prior's bits)."""
        raise NotImplementedError(
            "MaskGITPrior has no exact log-likelihood: it models codes given others masked at random; use "
            "evaluate() for its masked bits per code, or a TransformerPrior or PixelCNN for bits/dim"
        )

    def cached_steps(self, batch, shape, conditioning):
        raise NotImplementedError("MaskGITPrior draws in parallel steps (sample), not position by position")

    # --- Sampling ----------------------------------------------------------------------------

    def sample(
        self,
        num_samples,
        class_labels=None,
        condition=None,
        temperature=1.0,
        guidance_scale=1.0,
        steps=8,
        choice_temperature=4.5,
        seed=None,
        return_steps=False,
        verbose="auto",
    ):
        """Code maps `(num_samples, height, width)` int32 drawn in `steps` parallel passes (NumPy).
        `num_samples`, `class_labels`, `condition`, `temperature`, `guidance_scale` and `seed` are as in
        `TransformerPrior.sample`.

        Args:
            steps: decoding passes (MaskGIT: 8 to 12).
            choice_temperature: scale of the Gumbel noise on the confidences at the first step, falling
                linearly to 0 at the last (MaskGIT's 4.5).
            return_steps: also return the maps after each step, `(steps, num_samples, height, width)`,
                -1 where a code is still masked.
            verbose: report the codes drawn and the rate (`keras_vq.utils.progress`).

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.MaskGITPrior(code_shape=(4, 4), num_embeddings=16, dim=16, num_layers=2,
                                                 num_heads=2)
            codes, steps = prior.sample(2, steps=4, seed=0, return_steps=True, verbose=0)
            print([int((step[0] >= 0).sum()) for step in steps])  # [2, 5, 10, 16]: codes fixed after each pass
            ```
        """
        check_positive_int("num_samples", num_samples)
        conditioning = self.checked_conditioning(num_samples, class_labels, condition)
        check_number("temperature", temperature, 0.0, math.inf, False, False)
        check_number("choice_temperature", choice_temperature, 0.0, math.inf, True, False)
        guided = self.checked_guidance_scale(guidance_scale)
        length, mask_code = math.prod(self.codes_shape), self.sequence_embedding.mask_code
        counts = masked_counts(steps, length)
        rng = np.random.default_rng(seed)
        uniform = rng.random((steps, num_samples, length))
        gumbel = rng.gumbel(size=(steps, num_samples, length))
        codes = np.full((num_samples, length), mask_code, np.int32)
        maps = []
        started = time.perf_counter()
        for step, remaining in enumerate(counts):
            logits = self._logits(codes, conditioning, guidance_scale if guided else None) / temperature
            log_probabilities = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
            drawn = draw_categorical(
                log_probabilities.reshape(-1, self.num_embeddings),
                uniform[step].reshape(-1).astype(np.float32),
                np.ones(num_samples * length, np.float32),
            )
            drawn = np.asarray(ops.convert_to_numpy(drawn)).reshape(num_samples, length)
            masked = codes == mask_code
            confidence = np.take_along_axis(log_probabilities, drawn[..., None], axis=-1)[..., 0]
            confidence = confidence + choice_temperature * (1.0 - (step + 1) / steps) * gumbel[step]
            confidence = np.where(masked, confidence, np.inf)  # fixed codes are never masked again
            ranks = confidence.argsort(axis=1, kind="stable").argsort(axis=1, kind="stable")
            codes = np.where(ranks < remaining, mask_code, np.where(masked, drawn, codes)).astype(np.int32)
            maps.append(np.where(codes == mask_code, -1, codes).reshape(num_samples, *self.codes_shape))
        report_stage(
            f"{self.name}: drew {num_samples:,} x {'x'.join(map(str, self.codes_shape))} codes in {steps} steps",
            num_samples * length,
            "code",
            time.perf_counter() - started,
            verbose,
        )
        codes = codes.reshape(num_samples, *self.codes_shape)
        return (codes, np.stack(maps)) if return_steps else codes

    def _logits(self, codes, conditioning, guidance_scale):
        """`(N, T, K)` float64 logits of every position given `codes` `(N, T)` (guided when
        `guidance_scale` is given)."""
        shaped = codes.reshape(len(codes), *self.codes_shape)
        if guidance_scale is None:
            logits = predict_rows(self, self.model_inputs(shaped, **conditioning))
        else:
            class_labels, condition = guided_batch(self, conditioning[CLASS_LABELS], conditioning.get(CONDITION))
            class_labels, condition = (
                None if value is None else ops.convert_to_numpy(value) for value in (class_labels, condition)
            )
            both = predict_rows(self, self.model_inputs(np.concatenate([shaped, shaped]), class_labels, condition))
            logits = guided_logits(ops.convert_to_tensor(both), np.full(len(codes), guidance_scale, np.float32))
        return np.asarray(ops.convert_to_numpy(logits), np.float64).reshape(len(codes), -1, self.num_embeddings)
