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
            "config.json": "241d6dec4e6920e82402d5283c9496e31d585ea543a3a693ba2663c8cbeb5808",
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
        "sha256": {"config.json": "e06e4260818a87984146541d2f6f16e5652ee1f89b5acac1ef69db65cfd3c0c7"},
        "how_to_train": (
            "Train them with `python -m keras_vq.recipes.kaokore_vqvae2 --data-dir DIR --download` (it downloads "
            "the KaoKore images into DIR, trains, and saves the preset where from_preset looks)"
        ),
    },
}
