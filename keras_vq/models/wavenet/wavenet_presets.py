"""Built-in WaveNet presets, as data (see keras_vq/presets.py for what each field means)."""

WAVENET_PRESETS = {
    "librispeech_prior": {
        "description": (
            "Speaker-conditioned WaveNet prior over the code sequences of VQVAE.from_preset('librispeech') "
            "(512 codes, 8 layers of 64 channels, receptive field 256 codes = 1 s); trained 2,000 steps of "
            "batch 8 on 256-code crops of its training utterances by `python -m keras_vq.recipes.librispeech_vqvae`."
        ),
        "directory": "models/wavenet/presets/librispeech_prior",
        "sha256": {
            "config.json": "132151d1ad2a4733197972cb2c17c46b2dbfc481bfa2282935ebb61580a5cdf7",
            "model.weights.h5": "98b389efe34391df3b192675944f6acbc1451ce6d557836bb66cf3f4667eea9d",
        },
    },
}
