"""Built-in VAE presets, as data (see keras_vq/presets.py for what each field means)."""

VAE_PRESETS = {}
