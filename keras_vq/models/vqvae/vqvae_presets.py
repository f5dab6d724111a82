"""Built-in VQVAE presets, as data (see keras_vq/presets.py for what each field means)."""

VQVAE_PRESETS = {
    "cifar10": {
        "description": (
            "Sonnet's CIFAR-10 VQ-VAE (8x8 codes, K = 512, D = 64, EMA, dead-code restarts), trained "
            "10,000 steps of batch 32 on 90% of the CIFAR-10 train split by `python -m keras_vq.recipes.cifar10_vqvae`. "
            "Test split: MSE 0.00365, NMSE 0.0579, PSNR 24.4 dB, perplexity 429, codebook usage 100%."
        ),
        "directory": "models/vqvae/presets/cifar10",
        "sha256": {
            "config.json": "8e053b686ff59a7a2b72b6a5d399ecf34b5346b3b55733e9f9f09b98274a1aea",
            "model.weights.h5": "0afce1bec1e784e810ee509a0a9d5886b634f38cb8b23224974c7a80a7dbe664",
        },
    },
    "cifar10_logistic_mixture": {
        "description": (
            "The cifar10 VQ-VAE's encoder and codes (8x8, K = 512, D = 64, EMA, dead-code restarts) with a "
            "likelihood decoder: a mixture of 10 discretised logistics a pixel (PixelCNN++), trained by its "
            "negative log-likelihood, 10,000 steps of batch 32 (Adam 1e-3, warm-up and cosine decay) on 90% of the "
            "CIFAR-10 train split by `python -m keras_vq.recipes.cifar10_vqvae --output-distribution "
            "logistic_mixture --learning-rate 1e-3 --learning-rate-schedule cosine --dtype-policy mixed_bfloat16`. "
            "Test split: decoder 4.78 bits/dim (-log2 p(x | z)), NMSE of its mean 0.107, perplexity 483."
        ),
        "directory": "models/vqvae/presets/cifar10_logistic_mixture",
        "sha256": {
            "config.json": "0fb0bf0ebbc54ae0fe8a8da8195ff93c44aa2e15e72a1e5605e441b490c96f47",
            "model.weights.h5": "938502cdb24f2d4ded1d7e92209695706ec40caf7958194872db7fc0064fc97c",
        },
    },
    "librispeech": {
        "description": (
            "1-D VQ-VAE for 16 kHz speech (64x: a code every 4 ms, K = 512, D = 64, EMA; 2,250 bit/s) with a "
            "SpectrogramDecoder (8 dilated residual blocks of 256 channels -> the 512-point STFT log magnitude "
            "of each code's frame, trained with the spectral loss, decoded by 64 Griffin-Lim iterations) "
            "conditioned on 28 LibriSpeech speakers; trained 8,000 steps of batch 16 x 8,192 samples (Adam 1e-3, "
            "3e-4 from step 3,500) on train-clean-5 but the last 3 utterances of each speaker (2 held out, 1 "
            "validation) by `python -m keras_vq.recipes.librispeech_vqvae --decoders spectrogram`."
        ),
        "directory": "models/vqvae/presets/librispeech",
        "sha256": {
            "config.json": "9898341c4555a8eb8a3199514e6209dbdc02698d987cd04b5b22344889808953",
            "model.weights.h5": "3ebf13e7bb72d9c32ebca6b250617ebbe6b36f8907994255bb45eb20f2dedd91",
        },
    },
}
