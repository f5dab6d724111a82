"""Peak memory and time of the VectorQuantizer's nearest-code search, chunked vs whole.

The issue's scale: K = 65,536 codes of D = 64, a batch of 32 x 32 x 32 vectors
(N = 32,768). A single pass materialises the N x K float32 distance matrix
(8 GiB); the default chunked search holds N x 4,096 at a time. Each setting runs
in its own process so that its peak resident memory is its own.

    KERAS_BACKEND=torch python benchmarks/quantizer_memory.py

Prints peak RSS and seconds for each chunk size and the ratio to the single pass,
and for indices that differ between the two, the largest gap between the squared
distances of the two codes picked (float32 near-ties can round either way).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

NUM_EMBEDDINGS, EMBEDDING_DIM, INPUT_SHAPE = 65536, 64, (32, 32, 32, 64)
CHUNK_SIZES = (4096, NUM_EMBEDDINGS)  # the default, then one pass over all codes

WORKER = f"""
import json, resource, sys, time
import numpy as np, keras
from keras_vq.layers import VectorQuantizer
quantizer = VectorQuantizer({NUM_EMBEDDINGS}, {EMBEDDING_DIM}, distance_chunk_size=int(sys.argv[1]), seed=0)
inputs = np.random.default_rng(0).normal(size={INPUT_SHAPE}).astype("float32")
quantizer.build(inputs.shape)
keras.ops.convert_to_numpy(quantizer.encode(inputs[:1]))  # warm up
start = time.perf_counter()
indices = keras.ops.convert_to_numpy(quantizer.encode(inputs))
seconds = time.perf_counter() - start
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
np.save(sys.argv[2], indices.reshape(-1))
print(json.dumps({{"seconds": seconds, "peak_mib": peak_mib}}))
"""


def main():
    results, indices = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for chunk in CHUNK_SIZES:
            path = pathlib.Path(folder) / f"{chunk}.npy"
            run = subprocess.run(
                [sys.executable, "-c", WORKER, str(chunk), str(path)],
                capture_output=True,
                text=True,
                env=dict(os.environ),
            )
            if run.returncode:
                raise SystemExit(f"chunk {chunk} failed:\n{run.stderr[-2000:]}")
            results[chunk] = json.loads(run.stdout.strip().splitlines()[-1])
            indices[chunk] = np.load(path)
    whole = results[NUM_EMBEDDINGS]
    print(
        f"backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}: K = {NUM_EMBEDDINGS}, D = {EMBEDDING_DIM}, "
        f"N = {INPUT_SHAPE[0] * INPUT_SHAPE[1] * INPUT_SHAPE[2]} vectors"
    )
    print("| codes per chunk | peak RSS (MiB) | vs one pass | seconds | indices equal to one pass |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for chunk, result in results.items():
        same = np.mean(indices[chunk] == indices[NUM_EMBEDDINGS])
        print(
            f"| {chunk} | {result['peak_mib']:.0f} | {result['peak_mib'] / whole['peak_mib']:.2f}x | "
            f"{result['seconds']:.1f} | {100 * same:.3f}% |"
        )
    differing = np.flatnonzero(indices[CHUNK_SIZES[0]] != indices[NUM_EMBEDDINGS])
    if differing.size:
        # The same inputs and codebook as the workers (same seeds), in float64.
        import keras

        from keras_vq.layers import VectorQuantizer

        quantizer = VectorQuantizer(NUM_EMBEDDINGS, EMBEDDING_DIM, seed=0)
        quantizer.build(INPUT_SHAPE)
        codebook = keras.ops.convert_to_numpy(quantizer.embeddings).astype(np.float64)
        vectors = np.random.default_rng(0).normal(size=INPUT_SHAPE).astype("float32").reshape(-1, EMBEDDING_DIM)
        vectors = vectors[differing].astype(np.float64)
        gaps = [
            np.sum((vector - codebook[a]) ** 2) - np.sum((vector - codebook[b]) ** 2)
            for vector, a, b in zip(vectors, indices[CHUNK_SIZES[0]][differing], indices[NUM_EMBEDDINGS][differing])
        ]
        print(
            f"{differing.size} indices differ; largest |distance gap| between the two picks: {np.max(np.abs(gaps)):.2e} "
            f"(squared distances are about {2 * EMBEDDING_DIM})"
        )


if __name__ == "__main__":
    main()
