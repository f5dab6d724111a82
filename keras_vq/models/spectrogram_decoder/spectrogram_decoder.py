"""SpectrogramDecoder: a VQ-VAE's speech decoder that predicts each code's STFT frame, not its samples."""

import keras
from keras import ops

from keras_vq.utils.checks import check_model_kwargs, check_positive_int

LATENTS, SPEAKERS = "latents", "speakers"
# The output's initial bias: the median ln |X| of 512-point frames of LibriSpeech (measured on train-clean-5),
# so that training starts at speech's level, not at a magnitude of 1 (silence's ln is -11.5, a loud bin's 2).
INITIAL_LOG_MAGNITUDE = -4.0


@keras.saving.register_keras_serializable(package="keras_vq")
class SpectrogramDecoder(keras.Model):
    """A non-autoregressive speech decoder: z_q (one vector every `hop`
    samples) and a speaker -> the log magnitude of one STFT frame a code,
    ln |X_t(f)|, `(batch, codes, fft_length // 2 + 1)`.

    `VQVAE(decoder=SpectrogramDecoder(...))` trains it with the spectral loss
    of `keras_vq.spectrograms` (the L1 distance of log magnitudes plus the
    spectral convergence; the "advanced loss functions" the VQ-VAE paper
    names as its next step) against the input audio's own STFT, framed so
    that frame t is centred on code t's first sample; decoding turns the
    magnitudes into audio by the fast Griffin-Lim iteration. Every frame
    is predicted at once: training and decoding cost one pass at the code
    rate (250 a second at 16 kHz), not one step a sample as a WaveNet does.

    The network: a 1x1 convolution of z_q to `channels`, then `num_blocks`
    residual blocks (GELU, a `kernel_size`-tap convolution with dilation
    1, 2, 4, ... 2**(blocks_per_cycle - 1), repeated, plus the speaker's
    embedding projected to the block; GELU, a 1x1 convolution), a GELU and
    a float32 1x1 convolution to the `fft_length // 2 + 1` log magnitudes.
    The convolutions see both sides (codes are decoded whole).

    Args:
        latent_dim: width of z_q (the VQ-VAE's `embedding_dim`).
        hop: samples a code (`2**num_downsamples` of the VQ-VAE).
        fft_length: STFT window (a multiple of `hop`; 512 = 32 ms at 16 kHz
            resolves the harmonics of voices down to 60 Hz).
        channels: width of the residual blocks.
        num_blocks: residual blocks.
        blocks_per_cycle: blocks before the dilation returns to 1.
        kernel_size: taps of each block's dilated convolution.
        num_speakers: speakers for a learned speaker embedding (None: none).
        speaker_embedding_dim: its size.
        griffin_lim_iterations: iterations when decoding to audio.
        dtype: dtype policy of the layers (the output is float32).

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        decoder = keras_vq.models.SpectrogramDecoder(latent_dim=8, hop=64, channels=16, num_blocks=2, num_speakers=3)
        model = keras_vq.models.VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=16,
                                      residual_channels=8, num_downsamples=6, decoder=decoder,
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 8))
        audio = np.random.default_rng(0).uniform(-0.5, 0.5, (4, 1024, 1)).astype("float32")
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit({"audio": audio, "speakers": np.array([0, 1, 2, 0])}, batch_size=2, verbose=0)  # spectral_loss
        print(model.reconstruct(audio[:1], speakers=[2]).shape)  # (1, 1024, 1): Griffin-Lim audio, voice 2
        ```
    """

    def __init__(
        self,
        latent_dim=64,
        hop=64,
        fft_length=512,
        channels=256,
        num_blocks=8,
        blocks_per_cycle=4,
        kernel_size=3,
        num_speakers=None,
        speaker_embedding_dim=64,
        griffin_lim_iterations=64,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(SpectrogramDecoder, kwargs)
        for name, value in (
            ("latent_dim", latent_dim),
            ("hop", hop),
            ("fft_length", fft_length),
            ("channels", channels),
            ("num_blocks", num_blocks),
            ("blocks_per_cycle", blocks_per_cycle),
            ("kernel_size", kernel_size),
            ("speaker_embedding_dim", speaker_embedding_dim),
            ("griffin_lim_iterations", griffin_lim_iterations),
        ):
            check_positive_int(name, value)
        if num_speakers is not None:
            check_positive_int("num_speakers", num_speakers)
        if fft_length % hop or fft_length < 2 * hop:
            raise ValueError(
                f"fft_length must be a multiple of hop, at least twice it (frames overlap); got "
                f"fft_length={fft_length}, hop={hop}"
            )

        # === Layers ===
        settings = dict(dtype=dtype)
        speaker_embedding = (
            keras.layers.Embedding(num_speakers, speaker_embedding_dim, name="speaker_embedding", **settings)
            if num_speakers
            else None
        )
        input_projection = keras.layers.Conv1D(channels, 1, name="input_projection", **settings)
        dilated = [
            keras.layers.Conv1D(
                channels,
                kernel_size,
                dilation_rate=2 ** (index % blocks_per_cycle),
                padding="same",
                name=f"block{index}_dilated",
                **settings,
            )
            for index in range(num_blocks)
        ]
        speaker_projections = (
            [keras.layers.Dense(channels, name=f"block{index}_speaker", **settings) for index in range(num_blocks)]
            if num_speakers
            else None
        )
        pointwise = [
            keras.layers.Conv1D(channels, 1, name=f"block{index}_pointwise", **settings) for index in range(num_blocks)
        ]
        output_projection = keras.layers.Conv1D(
            fft_length // 2 + 1,
            1,
            bias_initializer=keras.initializers.Constant(INITIAL_LOG_MAGNITUDE),
            name="log_magnitude",
            dtype="float32",
        )

        # === Functional model ===
        inputs = {LATENTS: keras.Input(shape=(None, latent_dim), name=LATENTS)}
        if num_speakers:
            inputs[SPEAKERS] = keras.Input(shape=(), dtype="int32", name=SPEAKERS)
        speaker = speaker_embedding(inputs[SPEAKERS]) if num_speakers else None
        hidden = input_projection(inputs[LATENTS])
        for index in range(num_blocks):
            update = dilated[index](keras.activations.gelu(hidden))
            if speaker is not None:
                update = update + ops.expand_dims(speaker_projections[index](speaker), 1)
            hidden = hidden + pointwise[index](keras.activations.gelu(update))
        outputs = output_projection(keras.activations.gelu(hidden))
        super().__init__(inputs=inputs if num_speakers else inputs[LATENTS], outputs=outputs, **kwargs)

        # === Config ===
        self.latent_dim, self.hop, self.fft_length = latent_dim, hop, fft_length
        self.channels, self.num_blocks, self.blocks_per_cycle = channels, num_blocks, blocks_per_cycle
        self.kernel_size, self.num_speakers, self.speaker_embedding_dim = (
            kernel_size,
            num_speakers,
            speaker_embedding_dim,
        )
        self.griffin_lim_iterations = griffin_lim_iterations

    def model_inputs(self, latents, speakers=None):
        """What `call` takes: the latents alone, or `{"latents", "speakers"}` with speakers."""
        return {LATENTS: latents, SPEAKERS: speakers} if self.num_speakers else latents

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "latent_dim": self.latent_dim,
            "hop": self.hop,
            "fft_length": self.fft_length,
            "channels": self.channels,
            "num_blocks": self.num_blocks,
            "blocks_per_cycle": self.blocks_per_cycle,
            "kernel_size": self.kernel_size,
            "num_speakers": self.num_speakers,
            "speaker_embedding_dim": self.speaker_embedding_dim,
            "griffin_lim_iterations": self.griffin_lim_iterations,
            "dtype": keras.saving.serialize_keras_object(self.input_projection_policy()),
        }

    def input_projection_policy(self):
        return self.get_layer("input_projection").dtype_policy

    @classmethod
    def from_config(cls, config):
        return cls(**config)
