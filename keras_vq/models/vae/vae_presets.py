"""Built-in VAE presets, as data (see keras_vq/presets.py for what each field means)."""

VAE_PRESETS = {
    "cifar10": {
        "description": (
            "The VAE like-for-like with the cifar10 VQ-VAE (same encoder and decoder, 8x8x64 Gaussian "
            "latent, KL weight 0.01), trained 10,000 steps of batch 32 on 90% of the CIFAR-10 train split "
            "by `python -m keras_vq.recipes.cifar10_vqvae`. Test split: MSE 0.00204, NMSE 0.0324, PSNR 26.9 dB."
        ),
        "directory": "models/vae/presets/cifar10",
        "sha256": {
            "config.json": "15b3102b8921d6fce87e58486dbe8d3e82e331d76d8a7f9bc41d7a712006fb03",
            "model.weights.h5": "8ea9dff9b9cc96b7918697427b5ee633d9471cea6068f42141a5b61651218acc",
        },
    },
}
