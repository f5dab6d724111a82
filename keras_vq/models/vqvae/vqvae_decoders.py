"""A VQ-VAE's decoder as a pluggable object: what it outputs, its loss, and how it decodes codes.

`VQVAE(decoder=...)` takes `"transposed"` or a `WaveNet`; either becomes one
of these, and the model asks it, never which kind it is:

- `TransposedConvDecoder`: z_q -> transposed convolutions -> the data's
  mean, trained with the mean squared error (reported as
  `reconstruction_loss`); decoding is one forward pass.
- `WaveNetDecoder` (audio; van den Oord et al. 2017, sec. 4.3): a WaveNet
  over the audio's 8-bit mu-law symbols conditioned on z_q (and a speaker),
  teacher-forced in training with the negative log-likelihood (reported as
  `bits_per_sample`); decoding generates sample by sample.
- `SpectrogramDecoding` (audio): a `SpectrogramDecoder` predicts each code's
  STFT log magnitude from z_q (and a speaker), trained with the spectral
  loss (reported as `spectral_loss`); decoding is one pass and Griffin-Lim.

Each holds its Keras network as `network` (the model keeps it as
`model.decoder`, where its weights are saved), and answers `connect`
(the model's inputs and outputs), `loss`, `decode`, `num_speakers` and
`config` (what `get_config` records under "decoder").
"""

import math

import keras
import numpy as np
from keras import ops

from keras_vq import spectrograms
from keras_vq.layers.mu_law import MuLawEncoding, mu_law_decode, mu_law_encode
from keras_vq.models.conv_autoencoder import build_decoder
from keras_vq.models.spectrogram_decoder.spectrogram_decoder import SpectrogramDecoder
from keras_vq.models.wavenet.wavenet import WaveNet

__all__ = ["TransposedConvDecoder", "WaveNetDecoder"]

SPEAKERS = "speakers"


class TransposedConvDecoder:
    """Transposed convolutions mirroring the encoder (`conv_autoencoder.build_decoder`).

    Example:
        ```python
        import keras_vq

        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8)  # decoder="transposed", the default
        # TransposedConvDecoder, the Keras net
        print(type(model.decoding).__name__, model.decoder.name)
        ```
    """

    num_speakers = None
    display_name = "transposed decoder"  # how figures and file names call it

    def __init__(self, architecture, quantizer, dtype, output_distribution):
        self.output_distribution = output_distribution
        self.loss_name = output_distribution.loss_name
        self.network = build_decoder(
            latent_channels=quantizer.embedding_dim,
            dtype=dtype,
            **architecture,
            zero_input_at_start=quantizer.small_inputs_quantize_to_zero,
            output_distribution=output_distribution,
        )

    def connect(self, data_shape, data_key, latents_of):
        """`(inputs, outputs)`: the data in, `network(z_q)` out; `latents_of(data)` gives z_q."""
        inputs = keras.Input(shape=data_shape, name="inputs")
        return inputs, self.network(latents_of(inputs))

    def loss(self, x, y_pred, data_key):
        """`(loss, reported)`: the output distribution's (the MSE on the data's scale, or the negative
        log-likelihood of a discretised logistic mixture, reported in bits per dimension)."""
        return self.output_distribution.loss(x, y_pred)

    def decode(self, latents, speakers=None, temperature=1.0, seed=None):
        """The data's mean from z_q, in one pass (`speakers`, `temperature`, `seed` do not apply)."""
        return self.output_distribution.mean(self.network(latents, training=False))

    def config(self):
        return "transposed"


class WaveNetDecoder:
    """A `WaveNet` over 256 mu-law symbols, conditioned on z_q and optionally a speaker.

    Example:
        ```python
        import keras_vq

        wavenet = keras_vq.models.WaveNet(num_symbols=256, channels=16, skip_channels=16, num_layers=4,
                                          layers_per_cycle=4, local_condition_dim=8, upsampling=64)
        model = keras_vq.models.VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=16,
                                      residual_channels=8, num_downsamples=6, decoder=wavenet,
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 8))
        print(type(model.decoding).__name__, model.has_wavenet_decoder)  # WaveNetDecoder True
        ```
    """

    loss_name = "bits_per_sample"
    display_name = "WaveNet decoder"

    def __init__(self, wavenet, architecture, embedding_dim):
        check_fits(wavenet, architecture, embedding_dim)
        self.network = wavenet

    @property
    def num_speakers(self):
        return self.network.num_speakers

    def connect(self, data_shape, data_key, latents_of):
        """`(inputs, outputs)`: `{"audio", "speakers"}` (or the audio alone) in, teacher-forced logits out."""
        wavenet = self.network
        inputs, audio, speakers = audio_inputs(data_shape, data_key, wavenet.num_speakers)
        symbols = MuLawEncoding(wavenet.num_symbols, name="mu_law_encoding")(audio)
        return inputs, wavenet(wavenet.model_inputs(symbols, speakers, local_features=latents_of(audio)))

    def loss(self, x, y_pred, data_key):
        """`(loss, reported)`: the NLL of the audio's mu-law symbols in nats a sample, reported in bits."""
        audio = x[data_key] if isinstance(x, dict) else x
        symbols = mu_law_encode(audio[..., 0], self.network.num_symbols)
        nats = ops.mean(keras.losses.sparse_categorical_crossentropy(symbols, y_pred, from_logits=True))
        return nats, nats / math.log(2.0)

    def decode(self, latents, speakers=None, temperature=1.0, seed=None):
        """Audio `(batch, steps * upsampling, 1)` NumPy generated sample by sample from z_q (`WaveNet.sample`)."""
        features = ops.convert_to_numpy(latents)
        symbols = self.network.sample(speakers=speakers, local_features=features, temperature=temperature, seed=seed)
        return np.asarray(ops.convert_to_numpy(mu_law_decode(symbols, self.network.num_symbols)))[..., None]

    def config(self):
        return keras.saving.serialize_keras_object(self.network)


class SpectrogramDecoding:
    """A `SpectrogramDecoder`: z_q (and a speaker) -> one STFT log-magnitude frame a code; audio by Griffin-Lim.

    Example:
        ```python
        import keras_vq

        decoder = keras_vq.models.SpectrogramDecoder(latent_dim=8, hop=64, channels=16, num_blocks=2)
        model = keras_vq.models.VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=16,
                                      residual_channels=8, num_downsamples=6, decoder=decoder,
                                      quantizer=keras_vq.layers.VectorQuantizer(512, 8))
        print(type(model.decoding).__name__, model.decoding.loss_name)  # SpectrogramDecoding spectral_loss
        ```
    """

    loss_name = "spectral_loss"
    display_name = "spectrogram decoder"

    def __init__(self, network, architecture, embedding_dim):
        check_audio_architecture("SpectrogramDecoder", architecture)
        factor = 2 ** architecture["num_downsamples"]
        if network.latent_dim != embedding_dim or network.hop != factor:
            raise ValueError(
                "the SpectrogramDecoder must decode z_q: build it with latent_dim=embedding_dim="
                f"{embedding_dim} and hop=2**num_downsamples={factor}; it has latent_dim={network.latent_dim}, "
                f"hop={network.hop}"
            )
        self.network = network

    @property
    def num_speakers(self):
        return self.network.num_speakers

    def connect(self, data_shape, data_key, latents_of):
        """`(inputs, outputs)`: `{"audio", "speakers"}` (or the audio alone) in, log magnitudes out."""
        inputs, audio, speakers = audio_inputs(data_shape, data_key, self.num_speakers)
        return inputs, self.network(self.network.model_inputs(latents_of(audio), speakers))

    def loss(self, x, y_pred, data_key):
        """`(loss, reported)`: `keras_vq.spectrograms.spectral_loss` against the audio's own log magnitudes."""
        audio = x[data_key] if isinstance(x, dict) else x
        target = spectrograms.log_magnitude(audio, self.network.fft_length, self.network.hop)
        loss = spectrograms.spectral_loss(target, y_pred)
        return loss, loss

    def decode(self, latents, speakers=None, temperature=1.0, seed=None):
        """Audio `(batch, codes * hop, 1)` NumPy on [-1, 1]: the predicted magnitudes through Griffin-Lim
        (seeded by `seed`, 0 if None; `temperature` does not apply)."""
        if self.num_speakers:
            speakers = ops.convert_to_tensor(np.broadcast_to(np.asarray(speakers, np.int32), (latents.shape[0],)))
        log_magnitude = ops.convert_to_numpy(self.network(self.network.model_inputs(latents, speakers), training=False))
        audio = spectrograms.griffin_lim(
            np.exp(log_magnitude),
            self.network.fft_length,
            self.network.hop,
            iterations=self.network.griffin_lim_iterations,
            seed=0 if seed is None else seed,
        )
        return np.clip(audio, -1.0, 1.0)[..., None]

    def config(self):
        return keras.saving.serialize_keras_object(self.network)


def audio_inputs(data_shape, data_key, num_speakers):
    """`(inputs, audio, speakers)` of a speech decoder's model: the audio `Input`, and with speakers an int
    `(batch,)` `Input` beside it in a dict (`inputs`); `speakers` is None without."""
    audio = keras.Input(shape=data_shape, name=data_key)
    speakers = keras.Input(shape=(), dtype="int32", name=SPEAKERS) if num_speakers else None
    return (audio if speakers is None else {data_key: audio, SPEAKERS: speakers}), audio, speakers


def check_audio_architecture(decoder_name, architecture):
    """Raises ValueError unless the encoder's architecture is for mono audio on [-1, 1]."""
    data_shape = architecture["data_shape"]
    wanted = {
        "data_shape": (len(data_shape) == 2 and data_shape[-1] == 1, "(length, 1) mono audio"),
        "data_range": (architecture["data_range"] == (-1.0, 1.0), "(-1.0, 1.0)"),
    }
    for name, (fits, needed) in wanted.items():
        if not fits:
            raise ValueError(
                f"a {decoder_name} decoder models audio: {name} must be {needed}; got {architecture[name]}"
            )


def decoder_for(decoder, architecture, quantizer, dtype, output_distribution):
    """The decoder object `VQVAE(decoder=...)` names: "transposed", a `WaveNet`, or a saved WaveNet's config;
    it decodes what `quantizer` gives, to `output_distribution` (`keras_vq.output_distributions`)."""
    if isinstance(decoder, dict):  # From a saved config: only registered keras_vq classes deserialise.
        decoder = keras.saving.deserialize_keras_object(decoder)
    if isinstance(decoder, str) and decoder == "transposed":
        return TransposedConvDecoder(architecture, quantizer, dtype, output_distribution)
    if isinstance(decoder, WaveNet):
        if output_distribution.has_likelihood:
            raise ValueError(
                f"a WaveNet decoder has its own output distribution (256 mu-law symbols); "
                f"output_distribution={output_distribution.config()!r} applies to decoder='transposed'"
            )
        return WaveNetDecoder(decoder, architecture, quantizer.embedding_dim)
    if isinstance(decoder, SpectrogramDecoder):
        if output_distribution.has_likelihood:
            raise ValueError(
                f"a SpectrogramDecoder predicts STFT magnitudes; output_distribution="
                f"{output_distribution.config()!r} applies to decoder='transposed'"
            )
        return SpectrogramDecoding(decoder, architecture, quantizer.embedding_dim)
    raise ValueError(
        "decoder must be 'transposed', a keras_vq.models.WaveNet or a keras_vq.models.SpectrogramDecoder; "
        f"got {decoder!r}"
    )


def check_fits(wavenet, architecture, embedding_dim):
    """Raises ValueError unless `wavenet` can decode this encoder's z_q into its audio."""
    check_audio_architecture("WaveNet", architecture)
    factor = 2 ** architecture["num_downsamples"]
    if wavenet.local_condition_dim != embedding_dim or wavenet.upsampling != factor:
        raise ValueError(
            "the WaveNet decoder must be conditioned on z_q: build it with local_condition_dim=embedding_dim="
            f"{embedding_dim} and upsampling=2**num_downsamples={factor}; it has local_condition_dim="
            f"{wavenet.local_condition_dim}, upsampling={wavenet.upsampling}"
        )
