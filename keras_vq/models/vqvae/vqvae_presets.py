"""Built-in VQVAE presets, as data (see keras_vq/presets.py for what each field means)."""

VQVAE_PRESETS = {
    "cifar10": {
        "description": (
            "Sonnet's CIFAR-10 VQ-VAE architecture (8x8 codes, D = 64, EMA, dead-code restarts) with K = 2048 codes, "
            "trained 30,000 steps of batch 32 (Adam 6e-4, warm-up and cosine decay) on 90% of the CIFAR-10 train "
            "split by `python -m keras_vq.recipes.cifar10_vqvae --steps 30000 --num-embeddings 2048 --learning-rate "
            "6e-4 --learning-rate-schedule cosine --dtype-policy mixed_bfloat16` (52 min on one CPU core). Test "
            "split: MSE 0.00284, NMSE 0.0449, PSNR 25.5 dB, perplexity 1743, codebook usage 97.6%. Until 2026-12-08 "
            "`cifar10` was Sonnet's configuration exactly (K = 512, 10,000 steps, NMSE 0.0579): see its metadata's "
            "`previous_versions`."
        ),
        "directory": "models/vqvae/presets/cifar10",
        "sha256": {
            "config.json": "e9e25eaed7206cc59d78a76cf7f80d2dd1ebca83b8c18b84c618904e10dd53a1",
            "model.weights.h5": "7845ffb5ec325b302ac02cdda6df2b1ce9d551097a8326f8eda883cc063324c3",
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
            "config.json": "a3b98f71a9386f9b0ea5f4a45aab5ea2c62fedf456eeddda26033f559b8e64cf",
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
