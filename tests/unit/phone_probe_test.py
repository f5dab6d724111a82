"""keras_vq.phone_probe: the error rate against hand-counted edits, greedy CTC decoding, and a probe that
reads phones from codes that spell them and not from codes that do not; transcripts to phones."""

import keras
import numpy as np
import pytest

from keras_vq import phone_probe, speech_quality


def test_phone_error_rate_counts_every_edit_over_every_reference_phone():
    # [1 2 3 4] -> [1 9 3]: one substitution, one deletion; [5 6] -> [5 6 7]: one insertion. 3 / 6.
    assert phone_probe.phone_error_rate([[1, 2, 3, 4], [5, 6]], [[1, 9, 3], [5, 6, 7]]) == pytest.approx(0.5)
    assert phone_probe.phone_error_rate([[1, 2]], [[]]) == 1.0


def test_greedy_decoding_merges_repeats_drops_blanks_and_stops_at_the_length():
    blank = phone_probe.BLANK
    path = [3, 3, blank, 3, 5, 5, blank, blank, 2, 4]  # Symbols; phone = symbol - 1.
    logits = np.eye(7)[path][None]
    assert phone_probe.greedy_decode(logits, [10]) == [[2, 2, 4, 1, 3]]
    assert phone_probe.greedy_decode(logits, [5]) == [[2, 2, 4]]


@pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="trains 600 CTC steps: once, on JAX (the recipe's backend; 20x TensorFlow's speed here)",
)
def test_the_probe_reads_phones_from_codes_that_spell_them_and_not_from_random_codes(optimized_compilation):
    rng = np.random.default_rng(0)
    phones = [list(rng.integers(0, 5, 6)) for _ in range(32)]
    spelling = [np.repeat(np.array(p) * 3, 16) for p in phones]  # Each phone: 16 frames of its own code.
    random = [rng.integers(0, 15, len(codes)) for codes in spelling]
    rates = {}
    for name, codes in (("spelling", spelling), ("random", random)):
        with optimized_compilation():
            rates[name] = phone_probe.ctc_phone_probe(
                codes[:24],
                phones[:24],
                codes[24:],
                phones[24:],
                num_phones=5,
                num_codes=15,
                steps=300,
                learning_rate=1e-2,
                kernel_size=5,
            )["phone_error_rate"]
    # Repeated phones in a row are one run of one code, which no probe can split: the best here is ~0.3.
    assert rates["spelling"] < 0.4 < 0.6 < rates["random"], rates


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="backend-free: runs once, in the PyTorch pass")
def test_transcripts_become_dictionary_phones_and_missing_words_are_named():
    phones, missing = speech_quality.transcript_phones("Knit two together, Zorblax!")
    assert phones == ["N", "IH", "T", "T", "UW", "T", "AH", "G", "EH", "DH", "ER"]
    assert missing == ["ZORBLAX"]
    assert set(phone for entry in speech_quality.pronunciations().values() for phone in entry) == set(
        speech_quality.PHONES
    )
