"""Built-in VQVAE presets, as data (see keras_vq/presets.py for what each field means)."""

VQVAE_PRESETS = {}
