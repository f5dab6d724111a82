"""What an image decoder outputs: a point estimate trained with the squared error, or a distribution.

`VQVAE`, `VQVAE2` and `VAE` take `output_distribution=`:

- `"mse"` (the default, and every model saved before this option): the decoder
  outputs the data itself, trained with the mean squared error on the data's
  scale (`SquaredError`). Its likelihood needs a scale fitted afterwards
  (`keras_vq.metrics.fit_logistic_scales`).
- `"logistic_mixture"`, or `{"name": "logistic_mixture", "num_mixtures": M}`:
  the decoder outputs, at each pixel, the parameters of a mixture of `M`
  (default 10) discretised logistics over the 256 levels of 8-bit data with
  PixelCNN++'s coupling of the channels (`DiscretizedLogisticMixture`),
  trained with its negative log-likelihood, reported as `bits_per_dim`.

Either way `model(x)` returns the decoder's output, the distribution's
parameters (which `loss`, what `fit` minimises, scores; for "mse", the data
itself), and `predict`, `decode` and `reconstruct` return its mean on the
data's scale.
"""

import math

import keras
import numpy as np
from keras import ops

__all__ = [
    "NAMES",
    "DiscretizedLogisticMixture",
    "SquaredError",
    "output_distribution_for",
    "logistic_level_log_probability",
    "FLOAT64_NUMPY_OPS",
]

# 8-bit data: 256 levels spread evenly over data_range.
LEVELS = 256
# PixelCNN++'s bounds on a component's log-scale (on the [-1, 1] scale, where a level is 2/255 wide):
# below -7 the density is a spike narrower than 1/500 of a level; above 2 it is flat over the whole range.
# Both keep every term of the likelihood finite, its gradient included.
MIN_LOG_SCALE, MAX_LOG_SCALE = -7.0, 2.0
DEFAULT_NUM_MIXTURES = 10
NAMES = ("mse", "logistic_mixture")


class SquaredError:
    """The decoder's output is the data's mean, trained with the mean squared error on the data's scale.

    Example:
        ```python
        import numpy as np

        from keras_vq.output_distributions import SquaredError

        output = SquaredError(data_range=(0.0, 1.0), channels=3)
        images = np.full((1, 2, 2, 3), 0.5, "float32")
        loss, reported = output.loss(images, images + 0.1)
        print(round(float(loss), 4), output.parameter_channels)  # 0.01 3
        ```
    """

    name = "mse"
    loss_name = "reconstruction_loss"
    has_likelihood = False

    def __init__(self, data_range, channels):
        self.data_range, self.channels = tuple(data_range), channels
        self.parameter_channels = channels

    def loss(self, x, outputs):
        """`(loss, reported)`: the mean squared error over every element, float32, both times."""
        error = ops.mean(ops.square(ops.cast(x, "float32") - ops.cast(outputs, "float32")))
        return error, error

    def mean(self, outputs):
        return outputs

    def config(self):
        return "mse"


class DiscretizedLogisticMixture:
    """A mixture of discretised logistics over 8-bit levels, per pixel (Salimans et al. 2017, PixelCNN++,
    https://arxiv.org/abs/1701.05517, sec. 2.1-2.2).

    On the data's scale mapped to [-1, 1] (level v at x_v = 2 v / 255 - 1, bins 2/255 wide), component k
    of a pixel has a weight pi_k (softmax of logits), and for channel c a location and a scale s_kc:

        mu_k,1 = m_k,1,   mu_k,2 = m_k,2 + a_k x_1,   mu_k,3 = m_k,3 + b_k x_1 + g_k x_2

    (a, b, g = tanh of the raw coefficients: the channel coupling, which makes green depend on red, blue
    on both, for C = 3; in general channel c depends linearly on every earlier channel), and

        P(x) = sum_k pi_k prod_c [sigma((x_c + 1/255 - mu_kc) / s_kc) - sigma((x_c - 1/255 - mu_kc) / s_kc)],

    with the whole tail below the first bin given to level 0 and above the last to level 255. The decoder
    outputs `M * (1 + 2 C + C (C - 1) / 2)` numbers a pixel (10 M for RGB), in that order: logits,
    locations (component-major), log-scales, coupling coefficients. Everything is computed in float32,
    whatever the dtype policy, and each term stays finite at levels 0 and 255 (log-scales are clipped
    to [-7, 2]; differences of sigmoids are taken as log-differences, in whichever tail is accurate).

    `mean(outputs)` is the mixture's mean on the data's scale: per component, the mean of the logistic
    clipped to the range, `-1 + s [softplus((mu + 1)/s) - softplus((mu - 1)/s)]`, within half a level of
    the discretised mean; with coupling the earlier channels' component means stand in for their values
    (exact without coupling). `sample(outputs, seed)` draws levels.

    Example:
        ```python
        import numpy as np

        from keras_vq.output_distributions import DiscretizedLogisticMixture

        mixture = DiscretizedLogisticMixture(data_range=(0.0, 1.0), channels=3, num_mixtures=2)
        outputs = np.random.default_rng(0).normal(size=(1, 4, 4, mixture.parameter_channels)).astype("float32")
        images = np.full((1, 4, 4, 3), 128 / 255, "float32")
        print(mixture.parameter_channels, float(mixture.bits_per_dim(images, outputs)) > 0)  # 20 True
        ```
    """

    name = "logistic_mixture"
    loss_name = "bits_per_dim"
    has_likelihood = True

    def __init__(self, data_range, channels, num_mixtures=DEFAULT_NUM_MIXTURES):
        if isinstance(num_mixtures, bool) or not isinstance(num_mixtures, int) or num_mixtures < 1:
            raise ValueError(f"num_mixtures must be an integer >= 1, got {num_mixtures!r}")
        self.data_range, self.channels, self.num_mixtures = tuple(data_range), channels, num_mixtures
        self.num_coefficients = channels * (channels - 1) // 2
        self.parameter_channels = num_mixtures * (1 + 2 * channels + self.num_coefficients)

    # --------------------------------------------------------------- parameters
    def split(self, outputs):
        """`(log_weights (..., M), locations (..., C, M), log_scales (..., C, M), coefficients (..., P, M))`
        in float32 from the decoder's outputs `(..., parameter_channels)`."""
        outputs = ops.cast(outputs, "float32")
        m, c, p = self.num_mixtures, self.channels, self.num_coefficients
        batch_shape = ops.shape(outputs)[:-1]

        def part(start, rows):
            return ops.reshape(outputs[..., start * m : (start + rows) * m], (*batch_shape, rows, m))

        log_weights = ops.log_softmax(outputs[..., :m], axis=-1)
        locations = part(1, c)
        log_scales = ops.clip(part(1 + c, c), MIN_LOG_SCALE, MAX_LOG_SCALE)
        coefficients = ops.tanh(part(1 + 2 * c, p)) if p else None
        return log_weights, locations, log_scales, coefficients

    def _location(self, channel, locations, coefficients, earlier):
        """Channel `channel`'s locations `(..., M)`, moved by the coupling with the earlier channels'
        values `earlier` (a list, one `(..., M)` tensor a channel, in order)."""
        first = channel * (channel - 1) // 2  # Channel c's coefficients follow those of channels 1..c-1.
        location = locations[..., channel, :]
        for index, value in enumerate(earlier):
            location = location + coefficients[..., first + index, :] * value
        return location

    def initial_bias(self):
        """The decoder's starting bias (NumPy, `(parameter_channels,)`): equal weights, the components'
        locations spread evenly over the range, each as wide as its share of it, no coupling. From
        there the mixture starts close to uniform over the levels (about 8 bits a dimension) rather
        than at one broad logistic in the middle, which costs more and takes thousands of steps to leave."""
        m, c = self.num_mixtures, self.channels
        spacing = 2.0 / m
        locations = np.tile(np.linspace(-1.0 + spacing / 2, 1.0 - spacing / 2, m), c)
        log_scales = np.full(c * m, np.log(spacing / 4.0))  # A logistic's quartiles are 1.1 s either side.
        return np.concatenate([np.zeros(m), locations, log_scales, np.zeros(self.num_coefficients * m)]).astype(
            "float32"
        )

    # --------------------------------------------------------------- scale
    def to_unit(self, x):
        """Data on `data_range` -> the nearest level's value on [-1, 1] (float32), and the level."""
        low, high = self.data_range
        levels = ops.clip(ops.round((ops.cast(x, "float32") - low) * ((LEVELS - 1) / (high - low))), 0, LEVELS - 1)
        return levels * (2.0 / (LEVELS - 1)) - 1.0, levels

    def from_unit(self, values):
        low, high = self.data_range
        return low + (values + 1.0) * (0.5 * (high - low))

    # --------------------------------------------------------------- likelihood
    def log_probability(self, x, outputs):
        """log P(x) in nats, one a pixel: `(...,)` for data `(..., C)` and outputs `(..., parameter_channels)`.

        Example:
            ```python
            import numpy as np

            from keras_vq.output_distributions import DiscretizedLogisticMixture

            mixture = DiscretizedLogisticMixture(data_range=(0.0, 1.0), channels=3, num_mixtures=2)
            outputs = np.zeros((2, mixture.parameter_channels), "float32")  # two pixels' parameters
            images = np.array([[0.0, 0.5, 1.0], [0.2, 0.2, 0.2]], "float32")
            print(np.round(np.asarray(mixture.log_probability(images, outputs)), 2))  # nats per pixel
            ```
        """
        log_weights, locations, log_scales, coefficients = self.split(outputs)
        values, levels = self.to_unit(x)
        values, levels = values[..., None], levels[..., None]  # (..., C, 1): one value for every component
        earlier = [values[..., channel, :] for channel in range(self.channels)]
        centred = values - ops.stack(
            [self._location(channel, locations, coefficients, earlier[:channel]) for channel in range(self.channels)],
            axis=-2,
        )
        per_channel = logistic_level_log_probability(centred, ops.exp(-log_scales), levels)
        return ops.logsumexp(log_weights + ops.sum(per_channel, axis=-2), axis=-1)

    def bits_per_dim(self, x, outputs):
        """-log2 P(x) averaged over every element (pixel and channel) of `x`: a float32 scalar.

        Example:
            ```python
            import numpy as np

            from keras_vq.output_distributions import DiscretizedLogisticMixture

            mixture = DiscretizedLogisticMixture(data_range=(0.0, 1.0), channels=3, num_mixtures=2)
            outputs = np.zeros((2, mixture.parameter_channels), "float32")  # two pixels' parameters
            images = np.array([[0.0, 0.5, 1.0], [0.2, 0.2, 0.2]], "float32")
            print(round(float(mixture.bits_per_dim(images, outputs)), 2))  # bits per dimension
            ```
        """
        nats = -ops.mean(self.log_probability(x, outputs))
        return nats / (math.log(2.0) * self.channels)

    def loss(self, x, outputs):
        """`(loss, reported)`: the negative log-likelihood in nats per dimension, and in bits per dimension."""
        bits = self.bits_per_dim(x, outputs)
        return bits * math.log(2.0), bits

    # --------------------------------------------------------------- mean, sample
    def mean(self, outputs):
        """The mixture's mean on the data's scale, `(..., C)` float32 (see the class docstring).

        Example:
            ```python
            import numpy as np

            from keras_vq.output_distributions import DiscretizedLogisticMixture

            mixture = DiscretizedLogisticMixture(data_range=(0.0, 1.0), channels=3, num_mixtures=2)
            outputs = np.zeros((2, mixture.parameter_channels), "float32")  # two pixels' parameters
            print(np.round(np.asarray(mixture.mean(outputs)), 3))  # [[0.5 0.5 0.5] [0.5 0.5 0.5]]: centred locations
            ```
        """
        log_weights, locations, log_scales, coefficients = self.split(outputs)
        scales = ops.exp(log_scales)
        means = []
        for channel in range(self.channels):
            # The coupling, with the earlier channels' component means standing in for their values.
            location = self._location(channel, locations, coefficients, means)
            scale = scales[..., channel, :]
            means.append(
                -1.0 + scale * (ops.softplus((location + 1.0) / scale) - ops.softplus((location - 1.0) / scale))
            )
        component_means = ops.stack(means, axis=-2)  # (..., C, M)
        weights = ops.exp(log_weights)[..., None, :]
        return self.from_unit(ops.sum(weights * component_means, axis=-1))

    def sample(self, outputs, seed=None):
        """Data drawn from the distribution, on the data's 8-bit levels and scale: `(..., C)` float32.

        A component per pixel (Gumbel-max on the logits), then each channel in order from its logistic,
        moved by the coupling with the values drawn before it, clipped to the range and rounded to a level.

        Example:
            ```python
            import numpy as np

            from keras_vq.output_distributions import DiscretizedLogisticMixture

            mixture = DiscretizedLogisticMixture(data_range=(0.0, 1.0), channels=3, num_mixtures=2)
            outputs = np.zeros((2, mixture.parameter_channels), "float32")  # two pixels' parameters
            print(np.rint(np.asarray(mixture.sample(outputs, seed=0)) * 255))  # 8-bit levels drawn
            ```
        """
        seed = keras.random.SeedGenerator(seed) if not isinstance(seed, keras.random.SeedGenerator) else seed
        log_weights, locations, log_scales, coefficients = self.split(outputs)
        tiny = 1e-6
        gumbel = -ops.log(-ops.log(keras.random.uniform(ops.shape(log_weights), tiny, 1.0 - tiny, seed=seed)))
        chosen = ops.one_hot(ops.argmax(log_weights + gumbel, axis=-1), self.num_mixtures)[..., None, :]

        def pick(parameters):  # The chosen component's, keeping a component axis of 1: (..., rows, 1).
            return None if parameters is None else ops.sum(parameters * chosen, axis=-1, keepdims=True)

        locations, log_scales, coefficients = pick(locations), pick(log_scales), pick(coefficients)
        uniform = keras.random.uniform(ops.shape(locations)[:-1], tiny, 1.0 - tiny, seed=seed)[..., None]
        noise = ops.exp(log_scales) * (ops.log(uniform) - ops.log(1.0 - uniform))
        values = []
        for channel in range(self.channels):
            location = self._location(channel, locations, coefficients, values)
            drawn = ops.clip(location + noise[..., channel, :], -1.0, 1.0)
            values.append(ops.round((drawn + 1.0) * ((LEVELS - 1) / 2.0)) * (2.0 / (LEVELS - 1)) - 1.0)
        return self.from_unit(ops.concatenate(values, axis=-1))

    def config(self):
        return {"name": self.name, "num_mixtures": self.num_mixtures}


class _Float64NumPyOps:
    """The few `keras.ops` the likelihood uses, in float64 NumPy (for figures summed over a data set)."""

    where, minimum, maximum = staticmethod(np.where), staticmethod(np.minimum), staticmethod(np.maximum)
    exp, expm1, log, log1p = staticmethod(np.exp), staticmethod(np.expm1), staticmethod(np.log), staticmethod(np.log1p)

    @staticmethod
    def log_sigmoid(values):
        return -np.logaddexp(0.0, -values)


FLOAT64_NUMPY_OPS = _Float64NumPyOps()


def logistic_level_log_probability(centred, inverse_scale, levels, ops=ops):
    """log P(level) of a logistic discretised to 8-bit levels (Salimans et al. 2017, PixelCNN++, eq. 2),
    element by element, on the [-1, 1] scale, where a level is 2/255 wide:

        P(v) = sigmoid((c + 1/255) / s) - sigmoid((c - 1/255) / s),   c = v - mu,

    with the whole tail below the first level given to level 0 and above the last to level 255.
    `centred` is c, `inverse_scale` 1/s, `levels` the integer levels (0..255) the values lie on.
    The difference is taken from the tail the bin lies in, where the two sigmoids are not both ~1:
    log sigmoid(a) + log(1 - exp(log sigmoid(b) - log sigmoid(a))), with a = upper, b = lower below the
    middle and a = -lower, b = -upper above it (sigmoid(u) - sigmoid(l) = sigmoid(-l) - sigmoid(-u)).

    `ops` is `keras.ops` (backend tensors, differentiable: `DiscretizedLogisticMixture`) or
    `FLOAT64_NUMPY_OPS` (float64 arrays: `keras_vq.metrics.discretized_logistic_bits`). The one home of
    this likelihood.

    Example:
        ```python
        import numpy as np

        from keras_vq.output_distributions import FLOAT64_NUMPY_OPS, logistic_level_log_probability

        levels = np.arange(256)
        centred = levels * (2 / 255) - 1 - 0.1  # a logistic centred at 0.1 on [-1, 1]
        log_p = logistic_level_log_probability(centred, 1 / 0.05, levels, ops=FLOAT64_NUMPY_OPS)
        print(round(float(np.exp(log_p).sum()), 6))  # 1.0: the 256 levels share all the probability
        ```
    """
    half_bin = 1.0 / (LEVELS - 1)
    upper = inverse_scale * (centred + half_bin)
    lower = inverse_scale * (centred - half_bin)
    below = (upper + lower) < 0.0
    first = ops.where(below, upper, -lower)
    second = ops.where(below, lower, -upper)
    log_first = ops.log_sigmoid(first)
    interior = log_first + _log_one_minus_exp(ops.log_sigmoid(second) - log_first, ops)
    return ops.where(
        levels == 0, ops.log_sigmoid(upper), ops.where(levels == LEVELS - 1, ops.log_sigmoid(-lower), interior)
    )


def _log_one_minus_exp(values, ops):
    """log(1 - exp(v)) for v < 0, accurate near 0 (log(-expm1(v))) and far below it (log1p(-exp(v)))."""
    values = ops.minimum(values, -1e-30)
    near_zero = values > -math.log(2.0)
    return ops.where(
        near_zero,
        ops.log(-ops.expm1(ops.maximum(values, -math.log(2.0)))),
        ops.log1p(-ops.exp(ops.minimum(values, -math.log(2.0)))),
    )


def output_distribution_for(spec, data_range, channels):
    """The output distribution `spec` names for data on `data_range` with `channels` channels.

    `spec` is `"mse"`, `"logistic_mixture"` (10 components) or `{"name": "logistic_mixture",
    "num_mixtures": M}` (what a model's `get_config` records); anything else is a ValueError naming it.

    Example:
        ```python
        from keras_vq.output_distributions import output_distribution_for

        mixture = output_distribution_for({"name": "logistic_mixture", "num_mixtures": 5}, (0.0, 1.0), 3)
        print(type(mixture).__name__, mixture.parameter_channels)  # DiscretizedLogisticMixture 50
        ```
    """
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or spec.get("name") not in NAMES:
        raise ValueError(
            f"output_distribution must be one of {NAMES} or {{'name': 'logistic_mixture', "
            f"'num_mixtures': M}}; got {spec!r:.80}"
        )
    options = {key: value for key, value in spec.items() if key != "name"}
    if spec["name"] == "mse":
        if options:
            raise ValueError(f"output_distribution 'mse' takes no options; got {sorted(options)}")
        return SquaredError(data_range, channels)
    unknown = sorted(set(options) - {"num_mixtures"})
    if unknown:
        raise ValueError(f"output_distribution 'logistic_mixture' takes num_mixtures only; got {unknown}")
    return DiscretizedLogisticMixture(data_range, channels, **options)
