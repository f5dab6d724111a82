"""WaveNet: an autoregressive model of a sequence of discrete symbols, as decoder or prior."""

import keras
import numpy as np
from keras import ops

from keras_vq.layers.wavenet_blocks import WaveNetBlock
from keras_vq.models.autoregressive_prior import AutoregressivePrior, LevelSpec, apply_output_head
from keras_vq.models.wavenet.wavenet_generation import WaveNetSteps
from keras_vq.models.wavenet.wavenet_presets import WAVENET_PRESETS
from keras_vq.utils.checks import check_index_range, check_model_kwargs, check_positive_int
from keras_vq.utils.deprecation import warn_renamed

SYMBOLS, SPEAKERS, LOCAL_CODES, LOCAL_FEATURES = "symbols", "speakers", "local_codes", "local_features"


@keras.saving.register_keras_serializable(package="keras_vq")
class WaveNet(AutoregressivePrior):
    """WaveNet (van den Oord et al. 2016, https://arxiv.org/abs/1609.03499)
    over sequences of `num_symbols` discrete symbols:

        p(x | h, y) = prod_t p(x_t | x_<t, h, y),

    each factor a `num_symbols`-way categorical. As the VQ-VAE's audio
    decoder, x are 8-bit mu-law samples (256 symbols: the paper's choice,
    sec. 2.2, which gives an exact likelihood and trains fast on little data;
    a mixture of logistics needs far more steps to beat it at 16 kHz), h a
    speaker and y the VQ-VAE's codes; as a prior, x are the codes themselves.

    The symbols are embedded and shifted one step right (so step t sees
    x_<t only), then `num_layers` `WaveNetBlock`s with dilations
    1, 2, 4, ..., 2**(layers_per_cycle - 1), repeated; the sum of their skip
    outputs goes through ReLU, 1x1 conv, ReLU, 1x1 conv to the logits
    (float32). The receptive field is `receptive_field` steps.

    Inputs: `(batch, time)` int symbols alone, or a dict with `"symbols"`,
    `"speakers"` `(batch,)` (with `num_speakers`: global conditioning by a
    learned speaker embedding) and the local condition, one vector per
    `upsampling` steps: `"local_codes"` `(batch, time // upsampling)` (with
    `local_num_embeddings`: codes, embedded) or `"local_features"`
    `(batch, time // upsampling, local_condition_dim)` (with
    `local_condition_dim`: continuous features, such as a VQ-VAE's quantized
    latents z_q, through which gradients flow back to its encoder). Either
    goes through a 3-tap convolution over the condition's own time axis and
    is repeated `upsampling` times to the symbols' rate.
    Output: logits `(batch, time, num_symbols)`.

    Training: `compile` then `fit(inputs)`; the loss is the mean negative
    log-likelihood in nats a symbol, reported as `bits_per_symbol` too.
    Sampling: `sample(num_samples, length, ...)`, by the shared loops of
    `keras_vq.models.sampling`; the cached one keeps per-layer queues
    (`keras_vq.models.wavenet.wavenet_generation`). As a prior, speakers are
    its labels and local codes its condition (`conditioning_for`).

    Args:
        num_symbols: symbols of the sequence (256 for mu-law audio).
        channels: residual channels; skip_channels: skip channels.
        num_layers: blocks; layers_per_cycle: blocks before the dilation
            returns to 1.
        kernel_size: taps of each dilated convolution.
        num_speakers: speakers for global conditioning (None: none).
        speaker_embedding_dim: size of the speaker embedding.
        local_num_embeddings: codes of the local condition (None: none).
        local_condition_dim: size of continuous local condition features
            (None: none; exclusive with `local_num_embeddings`).
        local_channels: channels of the embedded local condition.
        upsampling: time steps per local code (64 for the paper's audio codes).
        dtype: dtype policy of the layers.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        sequences = np.random.default_rng(0).integers(0, 32, size=(16, 64))
        prior = keras_vq.models.WaveNet(num_symbols=32, channels=16, skip_channels=16, num_layers=4, layers_per_cycle=4)
        prior.compile(optimizer=keras.optimizers.Adam(1e-3))
        prior.fit(sequences, batch_size=8, epochs=1, verbose=0)  # reports bits_per_symbol
        print(tuple(prior.sample(2, length=20, seed=0, verbose=0).shape))  # (2, 20)
        ```
    """

    builtin_presets = WAVENET_PRESETS
    SYMBOLS_KEY, LABELS_KEY, BITS_METRIC = SYMBOLS, SPEAKERS, "bits_per_symbol"

    def __init__(
        self,
        num_symbols=256,
        channels=64,
        skip_channels=128,
        num_layers=20,
        layers_per_cycle=10,
        kernel_size=2,
        num_speakers=None,
        speaker_embedding_dim=32,
        local_num_embeddings=None,
        local_condition_dim=None,
        local_channels=64,
        upsampling=64,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(WaveNet, kwargs)
        for name, value in (
            ("num_symbols", num_symbols),
            ("channels", channels),
            ("skip_channels", skip_channels),
            ("num_layers", num_layers),
            ("layers_per_cycle", layers_per_cycle),
            ("kernel_size", kernel_size),
            ("speaker_embedding_dim", speaker_embedding_dim),
            ("local_channels", local_channels),
            ("upsampling", upsampling),
        ):
            check_positive_int(name, value)
        for name, value in (
            ("num_speakers", num_speakers),
            ("local_num_embeddings", local_num_embeddings),
            ("local_condition_dim", local_condition_dim),
        ):
            if value is not None:
                check_positive_int(name, value)
        if local_num_embeddings and local_condition_dim:
            raise ValueError(
                "give local_num_embeddings (a condition by codes) or local_condition_dim (by "
                f"features), not both; got {local_num_embeddings} and {local_condition_dim}"
            )
        local_key = LOCAL_CODES if local_num_embeddings else LOCAL_FEATURES if local_condition_dim else None

        # === Layers ===
        settings = dict(dtype=dtype)
        embedding = keras.layers.Embedding(num_symbols, channels, name="symbol_embedding", **settings)
        speaker_embedding = (
            keras.layers.Embedding(num_speakers, speaker_embedding_dim, name="speaker_embedding", **settings)
            if num_speakers
            else None
        )
        local_network = None
        if local_key is not None:
            local_input = (
                [
                    keras.Input(shape=(None,), dtype="int32"),
                    keras.layers.Embedding(local_num_embeddings, local_channels, **settings),
                ]
                if local_key == LOCAL_CODES
                else [keras.Input(shape=(None, local_condition_dim))]
            )
            local_network = keras.Sequential(
                local_input
                + [
                    keras.layers.Conv1D(local_channels, 3, padding="same", activation="relu", **settings),
                ],
                name="local_network",
            )
        blocks = [
            WaveNetBlock(
                channels,
                dilation_rate=2 ** (index % layers_per_cycle),
                kernel_size=kernel_size,
                skip_channels=skip_channels,
                global_condition_dim=speaker_embedding_dim if num_speakers else None,
                local_condition_channels=local_channels if local_key else None,
                use_residual_output=index + 1 < num_layers,
                name=f"block{index}",
                **settings,
            )
            for index in range(num_layers)
        ]
        head = [
            keras.layers.Conv1D(skip_channels, 1, activation="relu", name="head_hidden", **settings),
            keras.layers.Conv1D(num_symbols, 1, name="logits", dtype="float32"),
        ]

        # === Functional model ===
        inputs = {SYMBOLS: keras.Input(shape=(None,), dtype="int32", name=SYMBOLS)}
        if num_speakers:
            inputs[SPEAKERS] = keras.Input(shape=(), dtype="int32", name=SPEAKERS)
        if local_key == LOCAL_CODES:
            inputs[LOCAL_CODES] = keras.Input(shape=(None,), dtype="int32", name=LOCAL_CODES)
        elif local_key == LOCAL_FEATURES:
            inputs[LOCAL_FEATURES] = keras.Input(shape=(None, local_condition_dim), name=LOCAL_FEATURES)
        speaker = speaker_embedding(inputs[SPEAKERS]) if speaker_embedding is not None else None
        local = None
        if local_network is not None:
            local = ops.repeat(local_network(inputs[local_key]), upsampling, axis=1)
        embedded = embedding(inputs[SYMBOLS])
        hidden = ops.pad(embedded, ((0, 0), (1, 0), (0, 0)))[:, :-1]  # Step t sees x_<t.
        skips = []
        for block in blocks:
            hidden, skip = block(hidden, speaker, local)
            skips.append(skip)
        logits = apply_output_head(head, skips)
        super().__init__(inputs=inputs if len(inputs) > 1 else inputs[SYMBOLS], outputs=logits, **kwargs)

        # === Config ===
        self.embedding, self.speaker_embedding, self.local_network = embedding, speaker_embedding, local_network
        self.blocks, self.head = blocks, head
        self.num_symbols, self.channels, self.skip_channels = num_symbols, channels, skip_channels
        self.num_layers, self.layers_per_cycle, self.kernel_size = num_layers, layers_per_cycle, kernel_size
        self.num_speakers, self.speaker_embedding_dim = num_speakers, speaker_embedding_dim
        self.local_num_embeddings, self.local_condition_dim = local_num_embeddings, local_condition_dim
        self.local_channels, self.upsampling, self.local_key = local_channels, upsampling, local_key

        # === Metrics ===
        self.track_bits()

    @property
    def receptive_field(self):
        """Steps of the past that one prediction can see: the shift plus each block's reach.

        Example:
            ```python
            import keras_vq

            wavenet = keras_vq.models.WaveNet(num_layers=10, layers_per_cycle=10)  # dilations 1, 2, ..., 512
            print(wavenet.receptive_field)  # 1024 samples
            ```
        """
        return 1 + sum(block.history_length for block in self.blocks)

    # --- The prior interface (`AutoregressivePrior`) -----------------------------------------

    @classmethod
    def for_code_level(cls, level, num_classes=None, **architecture):
        """A WaveNet over `level`'s sequence of codes (a `CodeLevel` of shape `(None,)`), with `num_classes`
        speakers (None: none) and `architecture` (`channels`, `num_layers`, ...) as the constructor takes
        them. A level conditioned on another's codes takes them as `local_codes` (give `upsampling`, the
        steps a condition code covers).

        Example:
            ```python
            import keras_vq

            level = keras_vq.models.VQVAE.from_preset("librispeech").code_levels()["codes"]
            prior = keras_vq.models.WaveNet.for_code_level(level, num_classes=40, channels=8, skip_channels=8,
                                                           num_layers=3)
            print(prior.num_symbols, prior.num_speakers)  # 512 40: the level's codes, a speaker each
            ```
        """
        if len(level.shape) != 1:
            raise ValueError(f"a WaveNet models sequences; level {level.name!r} has codes of shape {level.shape}")
        condition = {} if level.condition is None else {"local_num_embeddings": level.condition.num_embeddings}
        return cls(num_symbols=level.num_embeddings, num_speakers=num_classes, **condition, **architecture)

    def level_spec(self):
        return LevelSpec((None,), self.num_symbols, None if self.local_key is None else (None,))

    def conditioning_keys(self):
        return ([SPEAKERS] if self.num_speakers is not None else []) + ([self.local_key] if self.local_key else [])

    @property
    def condition_key(self):
        return self.local_key

    def cached_steps(self, batch, shape, conditioning):
        return WaveNetSteps(self, batch, shape, **conditioning)

    def check_conditioning(self, num_samples, conditioning):
        self._checked_conditioning(None, num_samples=num_samples, **conditioning)

    def output_head(self, skips):
        return apply_output_head(self.head, skips)

    def model_inputs(self, symbols, speakers=None, local_codes=None, local_features=None):
        """The model's input structure: the symbols alone, or the dict of those given."""
        return self.inputs_of(symbols, {SPEAKERS: speakers, LOCAL_CODES: local_codes, LOCAL_FEATURES: local_features})

    def log_likelihood_bits(self, inputs, batch_size=64):
        """-log2 p(x | h, y) of each sequence in `inputs` (NumPy, as `fit`
        takes them), summed over its steps: shape (num_sequences,).

        Example:
            ```python
            import numpy as np

            import keras_vq

            wavenet = keras_vq.models.WaveNet(num_symbols=16, channels=8, skip_channels=8, num_layers=3, layers_per_cycle=3)
            symbols = np.random.default_rng(0).integers(0, 16, size=(2, 20))
            print(np.round(wavenet.log_likelihood_bits(symbols) / 20, 2))  # bits a symbol, near 4 untrained
            ```
        """
        return super().log_likelihood_bits(inputs, batch_size)

    def sample(
        self,
        num_samples=None,
        length=None,
        speakers=None,
        local_codes=None,
        local_features=None,
        temperature=1.0,
        seed=None,
        method="cached",
        verbose="auto",
    ):
        """Symbols `(num_samples, length)` int32 drawn step by step (NumPy).

        Args:
            num_samples: how many sequences (taken from the conditioning
                when it is given).
            length: steps to draw; with a local condition, it must be
                `condition.shape[1] * upsampling` (or None for that).
            speakers: `(num_samples,)` speaker indices (or one int), exactly
                when the model has `num_speakers`.
            local_codes: `(num_samples, codes)` condition codes, exactly when
                the model has `local_num_embeddings`.
            local_features: `(num_samples, steps, local_condition_dim)`
                condition features, exactly when the model has
                `local_condition_dim`.
            temperature: > 0; logits are divided by it.
            seed: the same seed gives the same sequences, whichever `method`.
            method: `"cached"` (per-layer queues, one step of each layer a
                sample) or `"naive"` (a full pass over the sequence a sample).
            verbose: report the symbols drawn and the rate (`keras_vq.utils.progress`).

        Example:
            ```python
            import keras_vq

            wavenet = keras_vq.models.WaveNet(num_symbols=16, channels=8, skip_channels=8, num_layers=3, layers_per_cycle=3,
                                              num_speakers=2)
            print(wavenet.sample(length=10, speakers=[0, 1], seed=0, verbose=0).shape)  # (2, 10) int32 symbols
            ```
        """
        conditioning, num_samples, length = self._checked_conditioning(
            length, speakers, local_codes, local_features, num_samples
        )
        return self.draw_symbols(num_samples, (length,), conditioning, temperature, seed, method, verbose)

    def generate(
        self,
        length,
        speakers=None,
        local_codes=None,
        local_features=None,
        num_samples=None,
        temperature=1.0,
        seed=None,
        method="cached",
        verbose="auto",
    ):
        """Deprecated: `sample(num_samples, length, ...)`, the one verb of every prior (0.1 renamed it;
        `method="incremental"` is now `"cached"`)."""
        warn_renamed(
            "WaveNet.generate(length, ...)",
            "WaveNet.sample(num_samples, length, ...) (method 'incremental' is now 'cached')",
        )
        return self.sample(
            num_samples,
            length,
            speakers,
            local_codes,
            local_features,
            temperature,
            seed,
            "cached" if method == "incremental" else method,
            verbose,
        )

    def _checked_conditioning(self, length, speakers=None, local_codes=None, local_features=None, num_samples=None):
        conditioning = {}
        if num_samples is not None:
            check_positive_int("num_samples", num_samples)
        given = {LOCAL_CODES: local_codes, LOCAL_FEATURES: local_features}
        if (speakers is None) != (self.num_speakers is None):
            raise ValueError(
                f"this WaveNet has num_speakers={self.num_speakers}: speakers must be "
                f"{'given' if self.num_speakers is not None else 'None'}"
            )
        for key, size in ((LOCAL_CODES, "local_num_embeddings"), (LOCAL_FEATURES, "local_condition_dim")):
            if (given[key] is None) != (self.local_key != key):
                raise ValueError(
                    f"this WaveNet has {size}={getattr(self, size)}: {key} must be "
                    f"{'given' if self.local_key == key else 'None'}"
                )
        if self.local_key is not None:
            local = np.asarray(ops.convert_to_numpy(given[self.local_key]))
            if self.local_key == LOCAL_CODES:
                local = local.astype(np.int32)
                if local.ndim != 2:
                    raise ValueError(f"local_codes must have shape (num_samples, codes); got {local.shape}")
                check_index_range("local_codes", local, self.local_num_embeddings)
            else:
                local = local.astype(np.float32)
                if local.ndim != 3 or local.shape[-1] != self.local_condition_dim:
                    raise ValueError(
                        "local_features must have shape (num_samples, steps, "
                        f"{self.local_condition_dim}); got {local.shape}"
                    )
            expected = local.shape[1] * self.upsampling
            if length is not None and length != expected:
                raise ValueError(f"length must be {self.local_key}.shape[1] * upsampling = {expected}; got {length}")
            length, num_samples = expected, num_samples or len(local)
            conditioning[self.local_key] = local
        if speakers is not None:
            num_samples = num_samples or (np.size(speakers) if np.ndim(speakers) else 1)
            conditioning[SPEAKERS] = self.checked_indices("speakers", speakers, num_samples, self.num_speakers)
        if self.local_key is not None and len(conditioning[self.local_key]) != num_samples:
            raise ValueError(
                f"{self.local_key} must have {num_samples} sequences (num_samples); got "
                f"{conditioning[self.local_key].shape}"
            )
        num_samples = 1 if num_samples is None else num_samples
        check_positive_int("num_samples", num_samples)
        check_positive_int("length", length)
        return conditioning, num_samples, length

    def get_config(self):
        return self.config_with(
            {
                "num_symbols": self.num_symbols,
                "channels": self.channels,
                "skip_channels": self.skip_channels,
                "num_layers": self.num_layers,
                "layers_per_cycle": self.layers_per_cycle,
                "kernel_size": self.kernel_size,
                "num_speakers": self.num_speakers,
                "speaker_embedding_dim": self.speaker_embedding_dim,
                "local_num_embeddings": self.local_num_embeddings,
                "local_condition_dim": self.local_condition_dim,
                "local_channels": self.local_channels,
                "upsampling": self.upsampling,
            }
        )
