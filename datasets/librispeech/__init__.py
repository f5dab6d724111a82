"""LibriSpeech: read English speech at 16 kHz (Panayotov et al., 2015; CC BY 4.0)."""
