"""Built-in WaveNet presets, as data (see keras_vq/presets.py for what each field means)."""

WAVENET_PRESETS = {}
