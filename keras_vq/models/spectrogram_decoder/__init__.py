"""SpectrogramDecoder: a non-autoregressive speech decoder to STFT magnitudes, decoded by Griffin-Lim."""
