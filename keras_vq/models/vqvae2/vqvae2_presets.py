"""Built-in VQVAE2 presets, as data (see keras_vq/presets.py for what each field means)."""

VQVAE2_PRESETS = {
    "cifar10": {
        "description": (
            "VQ-VAE-2 for CIFAR-10 (4x4 top and 8x8 bottom codes, K = 512 and D = 64 per level, 128 hidden "
            "channels, EMA, dead-code restarts), trained 10,000 steps of batch 32 on 90% of the CIFAR-10 "
            "train split by `python -m keras_vq.recipes.cifar10_vqvae`. Test split: MSE 0.00295, NMSE 0.0468, "
            "PSNR 25.3 dB, perplexity 453 (top) / 426 (bottom)."
        ),
        "directory": "models/vqvae2/presets/cifar10",
        "sha256": {
            "config.json": "4b046846af6ba52c44e5ae3d3336985a690e6e9f8146d4b0995382ab34946f7a",
            "model.weights.h5": "d88c99447c46f138e6799e72c6d9e33fac3e19292e1327c6fc2f997a8a4b654d",
        },
    },
    "kaokore": {
        "description": (
            "The KaoKore study's VQ-VAE-2: 256x256 faces, 32x32 top and 64x64 bottom codes, "
            "K = 512 and D = 64 per level, 128 hidden channels, 2 residual layers of 32. "
            "Weights are trained locally by `python -m keras_vq.recipes.kaokore_vqvae2` (the images cannot be shipped)."
        ),
        "directory": "models/vqvae2/presets/kaokore",
        "user_directory": "vqvae2/kaokore",
        "sha256": {"config.json": "e432cfcb488d8ef92197272cf6878f3cbe7984e57a32e597348683a0841d776b"},
        "how_to_train": (
            "Train them with `python -m keras_vq.recipes.kaokore_vqvae2 --data-dir DIR --download` (it downloads "
            "the KaoKore images into DIR, trains, and saves the preset where from_preset looks)"
        ),
    },
}
