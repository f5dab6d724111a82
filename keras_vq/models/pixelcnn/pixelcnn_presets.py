"""Built-in PixelCNN presets, as data (see keras_vq/presets.py for what each field means)."""

PIXELCNN_PRESETS = {}
