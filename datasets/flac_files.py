"""Reading FLAC files with soundfile, checked against their own header.

tensorflow-io's FLAC kernels do not load against current TensorFlow, so
audio is decoded with soundfile (libsndfile) everywhere.
"""

import numpy as np

from keras_vq.datasets.bad_data import BadFileError
from keras_vq.utils.extras import naming_the_extra

with naming_the_extra("reading FLAC audio"):
    import soundfile


def read_flac(path, expected_sample_rate=None):
    """int16 mono samples of the FLAC at `path`.

    A truncated file is caught by comparing the samples decoded with the
    count its STREAMINFO header promises; a file libsndfile cannot decode,
    a stereo file or one at another `expected_sample_rate` raise too. Every
    error is a `BadFileError` naming the file.
    """
    try:
        info = soundfile.info(str(path))
        samples, sample_rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    except Exception as error:  # soundfile raises LibsndfileError, RuntimeError...
        raise BadFileError(path, f"is not a decodable FLAC file ({error})") from error
    if expected_sample_rate is not None and sample_rate != expected_sample_rate:
        raise BadFileError(path, f"has sample rate {sample_rate} Hz, expected {expected_sample_rate} Hz")
    if samples.shape[1] != 1:
        raise BadFileError(path, f"has {samples.shape[1]} channels, expected mono")
    if info.frames > 0 and samples.shape[0] != info.frames:
        raise BadFileError(
            path,
            f"is truncated: decoded {samples.shape[0]} samples, its header says {info.frames}",
        )
    return np.ascontiguousarray(samples[:, 0])


def read_flac_duration(path):
    """`(num_samples, sample_rate)` from the FLAC header alone."""
    try:
        info = soundfile.info(str(path))
    except Exception as error:
        raise BadFileError(path, f"is not a readable FLAC file ({error})") from error
    return info.frames, info.samplerate
