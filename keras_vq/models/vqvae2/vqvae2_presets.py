"""Built-in VQVAE2 presets, as data (see keras_vq/presets.py for what each field means)."""

VQVAE2_PRESETS = {
    "kaokore": {
        "description": (
            "The KaoKore study's VQ-VAE-2: 256x256 faces, 32x32 top and 64x64 bottom codes, "
            "K = 512 and D = 64 per level, 128 hidden channels, 2 residual layers of 32. "
            "Weights are trained locally by recipes/kaokore_vqvae2.py (the images cannot be shipped)."
        ),
        "directory": "models/vqvae2/presets/kaokore",
        "user_directory": "vqvae2/kaokore",
        "sha256": {"config.json": "39e78edc52cd76200847f7bad6d3c7f59e5ede73cefb6b4ebd2d1a9172f98f7d"},
        "how_to_train": (
            "Train them with `python recipes/kaokore_vqvae2.py --data-dir DIR --download` (it downloads "
            "the KaoKore images into DIR, trains, and saves the preset where from_preset looks)"
        ),
    },
}
