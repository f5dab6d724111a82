import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import VectorQuantizer
from tests.backend_utils import gradient


def numpy_nearest(vectors, codebook):
    """Brute force in float64: every squared distance, then argmin."""
    distances = ((vectors[:, None, :].astype(np.float64) - codebook[None].astype(np.float64)) ** 2).sum(-1)
    order = np.sort(distances, axis=1)
    return distances.argmin(axis=1), order[:, 1] - order[:, 0]


def built_quantizer(input_shape, **kwargs):
    quantizer = VectorQuantizer(**kwargs)
    quantizer.build(input_shape)
    return quantizer


def to_numpy(tensor):
    return ops.convert_to_numpy(tensor)


@pytest.mark.parametrize(
    "shape, num_embeddings, chunk",
    [((4, 6, 5, 16), 64, 4096), ((300, 8), 5000, 512), ((2, 50, 8), 1000, 333)],
    ids=["rank4-one-chunk", "rank2-chunked-large-K", "rank3-chunked-ragged"],
)
def test_indices_and_output_equal_brute_force_numpy_search(shape, num_embeddings, chunk):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=shape).astype("float32")
    quantizer = built_quantizer(
        shape, num_embeddings=num_embeddings, embedding_dim=shape[-1], distance_chunk_size=chunk
    )
    codebook = to_numpy(quantizer.embeddings)
    expected, margin = numpy_nearest(inputs.reshape(-1, shape[-1]), codebook)
    indices = to_numpy(quantizer.encode(inputs)).reshape(-1)
    # float32 may order near-ties differently from float64: compare where the gap is clear.
    clear = margin > 1e-3
    assert clear.mean() > 0.95
    np.testing.assert_array_equal(indices[clear], expected[clear])
    outputs = to_numpy(quantizer(inputs))
    assert outputs.shape == shape
    np.testing.assert_allclose(outputs.reshape(-1, shape[-1])[clear], codebook[expected[clear]], atol=1e-6)


def test_quantize_vectors_returns_named_results_consistent_with_call():
    inputs = np.random.default_rng(1).normal(size=(3, 4, 4, 8)).astype("float32")
    quantizer = built_quantizer(inputs.shape, num_embeddings=32, embedding_dim=8)
    result = quantizer.quantize_vectors(inputs)
    assert set(result) == {"quantized", "indices", "commitment_loss", "codebook_loss", "perplexity", "codebook_usage"}
    assert tuple(result["indices"].shape) == (3, 4, 4)
    np.testing.assert_allclose(to_numpy(result["quantized"]), to_numpy(quantizer(inputs)), atol=1e-6)
    np.testing.assert_allclose(to_numpy(quantizer.lookup(result["indices"])), to_numpy(result["quantized"]), atol=1e-6)
    indices = to_numpy(result["indices"]).reshape(-1)
    counts = np.bincount(indices, minlength=32) / indices.size
    used = counts[counts > 0]
    np.testing.assert_allclose(float(result["perplexity"]), np.exp(-(used * np.log(used)).sum()), rtol=1e-4)
    np.testing.assert_allclose(float(result["codebook_usage"]), (counts > 0).mean(), rtol=1e-6)
    codes = to_numpy(quantizer.embeddings)[indices]
    np.testing.assert_allclose(
        float(result["commitment_loss"]), ((inputs.reshape(-1, 8) - codes) ** 2).mean(), rtol=1e-4
    )
    np.testing.assert_allclose(float(quantizer.batch_perplexity), float(result["perplexity"]), rtol=1e-6)


@pytest.mark.parametrize("codebook_update", ["ema", "loss"])
def test_gradient_of_output_with_respect_to_input_is_the_upstream_gradient(codebook_update):
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    upstream = rng.normal(size=inputs.shape).astype("float32")
    quantizer = built_quantizer(inputs.shape, num_embeddings=16, embedding_dim=4, codebook_update=codebook_update)
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"] * ops.convert_to_tensor(upstream), inputs)
    np.testing.assert_allclose(grads, upstream, rtol=1e-6, atol=1e-6)


def test_one_ema_step_equals_the_numpy_formula():
    rng = np.random.default_rng(3)
    decay, epsilon, num_embeddings = 0.9, 1e-3, 8
    inputs = rng.normal(size=(5, 6, 4)).astype("float32")
    quantizer = built_quantizer(
        inputs.shape, num_embeddings=num_embeddings, embedding_dim=4, decay=decay, epsilon=epsilon
    )
    codebook = to_numpy(quantizer.embeddings).astype(np.float64)
    flat = inputs.reshape(-1, 4).astype(np.float64)
    assignment, _ = numpy_nearest(flat, codebook)
    counts = np.bincount(assignment, minlength=num_embeddings)
    sums = np.zeros_like(codebook)
    np.add.at(sums, assignment, flat)
    cluster_size = decay * 1.0 + (1 - decay) * counts  # the averages start at N = 1, m = e
    embedding_sum = decay * codebook + (1 - decay) * sums
    total = cluster_size.sum()
    smoothed = (cluster_size + epsilon) / (total + num_embeddings * epsilon) * total
    expected_codebook = embedding_sum / smoothed[:, None]

    quantizer(inputs, training=False)  # inference leaves the codebook alone
    np.testing.assert_array_equal(to_numpy(quantizer.embeddings), codebook.astype(np.float32))
    outputs = quantizer(inputs, training=True)
    np.testing.assert_allclose(to_numpy(outputs).reshape(-1, 4), codebook[assignment], atol=1e-6)  # old codebook
    np.testing.assert_allclose(to_numpy(quantizer.ema_cluster_size), cluster_size, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(quantizer.ema_embedding_sum), embedding_sum, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(quantizer.embeddings), expected_codebook, rtol=1e-4, atol=1e-6)
    assert not quantizer.codebook.trainable


def clustered_data(rng, num_clusters, dim, size, spread=0.05):
    centres = rng.normal(size=(num_clusters, dim)).astype("float32") * 3.0
    labels = rng.integers(0, num_clusters, size=size)
    return centres, centres[labels] + spread * rng.normal(size=(size, dim)).astype("float32")


def one_code_wins_everything(quantizer, data):
    """Puts code 0 at the data's mean and every other code far away."""
    codebook = np.full((quantizer.num_embeddings, quantizer.embedding_dim), 50.0, "float32")
    codebook[0] = data.mean(axis=0)
    quantizer.codebook.assign(codebook)
    if quantizer.ema_embedding_sum is not None:
        quantizer.ema_embedding_sum.assign(codebook)


class QuantizerOnly(keras.Model):
    """Trains a bare quantizer by fit: the loss is the quantizer's own."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return ops.sum(ops.stack(self.losses))


@pytest.mark.parametrize("codebook_update", ["ema", "loss"])
def test_dead_code_restart_spreads_usage_from_one_code_to_most(codebook_update):
    rng = np.random.default_rng(4)
    num_embeddings, dim, batch, steps = 16, 4, 256, 200
    centres, data = clustered_data(rng, num_clusters=num_embeddings, dim=dim, size=batch * steps)
    inputs = keras.Input((dim,))
    quantizer = VectorQuantizer(num_embeddings, dim, codebook_update=codebook_update, dead_code_threshold=1.0, seed=0)
    model = QuantizerOnly(inputs, quantizer(inputs))
    one_code_wins_everything(quantizer, data)

    def usage():
        return len(np.unique(to_numpy(quantizer.encode(data[:4096])))) / num_embeddings

    assert usage() == 1 / num_embeddings
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    model.fit(data, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    assert usage() >= 0.9


def test_without_restarts_one_code_keeps_winning():
    rng = np.random.default_rng(4)
    _, data = clustered_data(rng, num_clusters=16, dim=4, size=256 * 20)
    quantizer = built_quantizer((256, 4), num_embeddings=16, embedding_dim=4)
    one_code_wins_everything(quantizer, data)
    for batch in np.split(data, 20):
        quantizer(batch, training=True)
    assert len(np.unique(to_numpy(quantizer.encode(data)))) == 1


@pytest.mark.parametrize("codebook_update", ["ema", "loss"])
def test_kmeans_initialisation_puts_codes_at_the_cluster_centres(codebook_update):
    rng = np.random.default_rng(5)
    centres, data = clustered_data(rng, num_clusters=4, dim=3, size=2048, spread=0.01)
    quantizer = built_quantizer(
        data.shape, num_embeddings=32, embedding_dim=3, kmeans_init=True, codebook_update=codebook_update, seed=1
    )
    before = to_numpy(quantizer.embeddings)
    quantizer(data, training=True)
    codebook = to_numpy(quantizer.embeddings)
    gaps = np.sqrt(((codebook[:, None] - centres[None]) ** 2).sum(-1))
    assert gaps.min(axis=0).max() < 0.05  # every centre has a code on it
    assert gaps.min(axis=1).max() < 0.05  # every code sits on a centre
    assert np.sqrt(((before[:, None] - centres[None]) ** 2).sum(-1)).min(axis=0).max() > 0.5
    # Only the first batch initialises: re-running k-means from new random seeds would
    # move codes between centres; an ordinary step on the same data leaves them put.
    quantizer(data, training=True)
    assert np.abs(to_numpy(quantizer.embeddings) - codebook).max() < 0.01


def test_cosine_codes_are_unit_vectors_and_match_by_angle():
    rng = np.random.default_rng(6)
    inputs = rng.normal(size=(64, 8)).astype("float32") * rng.uniform(0.1, 10, size=(64, 1)).astype("float32")
    quantizer = built_quantizer(inputs.shape, num_embeddings=20, embedding_dim=8, use_cosine_similarity=True)
    codebook = to_numpy(quantizer.embeddings)
    np.testing.assert_allclose(np.linalg.norm(codebook, axis=1), 1.0, rtol=1e-5)
    cosine = (inputs / np.linalg.norm(inputs, axis=1, keepdims=True)) @ codebook.T
    np.testing.assert_array_equal(to_numpy(quantizer.encode(inputs)), cosine.argmax(axis=1))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_codebook_and_distances_stay_float32_under_mixed_precision(policy):
    keras.config.set_dtype_policy(policy)
    inputs = keras.Input((4, 4, 8))
    features = keras.layers.Dense(8)(inputs)
    quantizer = VectorQuantizer(64, 8, codebook_update="loss")
    model = QuantizerOnly(inputs, keras.layers.Dense(8)(quantizer(features)))
    data = np.random.default_rng(7).normal(size=(16, 4, 4, 8)).astype("float32")
    model.compile(optimizer="adam")
    history = model.fit(data, batch_size=8, epochs=2, verbose=0)
    assert quantizer.codebook.dtype == "float32"
    assert quantizer.ema_cluster_size.dtype == "float32"
    assert keras.backend.standardize_dtype(quantizer.compute_dtype) == policy.split("_")[1]
    quantized = quantizer.quantize_vectors(ops.cast(data, policy.split("_")[1]))
    assert keras.backend.standardize_dtype(quantized["quantized"].dtype) == policy.split("_")[1]
    assert np.isfinite(history.history["loss"]).all()
    assert np.isfinite(to_numpy(ops.cast(model(data), "float32"))).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_embeddings=0), "num_embeddings must be an integer >= 1, got 0"),
        (dict(num_embeddings=2.5), "num_embeddings must be an integer >= 1"),
        (dict(embedding_dim=-1), "embedding_dim must be an integer >= 1, got -1"),
        (dict(beta=-0.1), r"beta must be in range \[0.0, inf\), got -0.1"),
        (dict(decay=1.0), r"decay must be in range \(0.0, 1.0\), got 1.0"),
        (dict(decay=0.0), r"decay must be in range \(0.0, 1.0\), got 0.0"),
        (dict(decay=1.5), r"decay must be in range \(0.0, 1.0\)"),
        (dict(epsilon=0.0), r"epsilon must be in range \(0.0, inf\)"),
        (dict(dead_code_threshold=-1.0), r"dead_code_threshold must be in range \[0.0, inf\)"),
        (dict(codebook_update="sgd"), r"codebook_update must be one of \('ema', 'loss'\), got 'sgd'"),
        (dict(distance_chunk_size=0), "distance_chunk_size must be an integer >= 1"),
        (dict(beta="big"), "beta must be a number, got 'big'"),
        (dict(gradient="gumbel"), r"gradient must be one of \('straight_through', 'rotation'\), got 'gumbel'"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_the_valid_range(kwargs, message):
    arguments = dict(num_embeddings=8, embedding_dim=4) | kwargs
    with pytest.raises(ValueError, match=message):
        VectorQuantizer(**arguments)


def test_wrong_last_axis_and_rank_raise_value_errors_naming_the_shape():
    quantizer = VectorQuantizer(8, 4)
    with pytest.raises(ValueError, match=r"last axis to be embedding_dim=4; got shape \(2, 3, 5\)"):
        quantizer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match=r"rank >= 2.*got shape \(4,\)"):
        VectorQuantizer(8, 4)(np.zeros((4,), "float32"))
    with pytest.raises(ValueError, match="embedding_dim=4"):
        VectorQuantizer(8, 4)(keras.Input((6, 3)))


def test_the_added_loss_weights_the_commitment_by_the_configured_beta():
    inputs = np.random.default_rng(7).normal(size=(2, 3, 3, 4)).astype("float32")
    quantizer = built_quantizer(inputs.shape, num_embeddings=16, embedding_dim=4, beta=0.7, codebook_update="loss")
    quantizer(inputs)
    codebook = to_numpy(quantizer.embeddings).astype(np.float64)
    flat = inputs.reshape(-1, 4).astype(np.float64)
    squared_error = ((flat - codebook[numpy_nearest(flat, codebook)[0]]) ** 2).mean()
    # Codebook loss and commitment loss have the same value; only beta weights them apart.
    np.testing.assert_allclose(float(to_numpy(quantizer.losses[-1])), (1 + 0.7) * squared_error, rtol=1e-5)


def test_commitment_gradient_reaches_the_encoder_output_and_codebook_loss_gradient_does_not():
    inputs = np.random.default_rng(8).normal(size=(2, 3, 3, 4)).astype("float32")
    quantizer = built_quantizer(inputs.shape, num_embeddings=16, embedding_dim=4, codebook_update="loss")
    codes = to_numpy(quantizer.embeddings)[to_numpy(quantizer.encode(inputs)).reshape(-1)].reshape(inputs.shape)
    commitment = gradient(lambda x: quantizer.quantize_vectors(x)["commitment_loss"], inputs)
    np.testing.assert_allclose(commitment, 2 * (inputs - codes) / inputs.size, rtol=1e-4, atol=1e-7)
    # (+ 0 * x keeps the inputs in torch's graph, which has no gradient to give where none flows.)
    codebook_loss = gradient(lambda x: quantizer.quantize_vectors(x)["codebook_loss"] + 0 * ops.sum(x), inputs)
    np.testing.assert_array_equal(codebook_loss, np.zeros_like(inputs))


def numpy_rotation_gradient(inputs, codes, upstream):
    """The rotation trick's gradient from its published matrix form (Fifty et al. 2024, eq. 4), in float64:
    for each vector, (||q|| / ||e||) R^T g with R = I - 2 r r^T + 2 q^ e^T, R built as a D x D matrix."""
    gradients = []
    for e, q, g in zip(inputs.astype(np.float64), codes.astype(np.float64), upstream.astype(np.float64)):
        e_hat, q_hat = e / np.linalg.norm(e), q / np.linalg.norm(q)
        r = (e_hat + q_hat) / np.linalg.norm(e_hat + q_hat)
        rotation = np.eye(len(e)) - 2 * np.outer(r, r) + 2 * np.outer(q_hat, e_hat)
        np.testing.assert_allclose(rotation @ e_hat, q_hat, atol=1e-12)  # R takes e^ to q^
        gradients.append(np.linalg.norm(q) / np.linalg.norm(e) * rotation.T @ g)
    return np.array(gradients)


@pytest.mark.parametrize("codebook_update", ["ema", "loss"])
def test_rotation_trick_gradient_equals_the_published_matrix_formula(codebook_update):
    rng = np.random.default_rng(12)
    inputs = rng.normal(size=(6, 5)).astype("float32")
    upstream = rng.normal(size=inputs.shape).astype("float32")
    quantizer = built_quantizer(
        inputs.shape, num_embeddings=8, embedding_dim=5, codebook_update=codebook_update, gradient="rotation", seed=1
    )
    codes = to_numpy(quantizer.lookup(quantizer.encode(inputs)))
    result = quantizer.quantize_vectors(inputs)
    np.testing.assert_array_equal(to_numpy(result["quantized"]), codes)  # the value is the code exactly
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"] * ops.convert_to_tensor(upstream), inputs)
    np.testing.assert_allclose(grads, numpy_rotation_gradient(inputs, codes, upstream), rtol=1e-4, atol=1e-5)
    assert not np.allclose(grads, upstream, atol=1e-3)  # not straight-through


def test_rotation_trick_keeps_a_code_opposite_its_input_finite():
    quantizer = built_quantizer((1, 2), num_embeddings=1, embedding_dim=2, gradient="rotation")
    code = to_numpy(quantizer.embeddings)[0]
    inputs = (-2.0 * code)[None].astype("float32")  # e^ = -q^: the bisector r is 0/0
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"], inputs)
    assert np.isfinite(grads).all() and np.isfinite(to_numpy(quantizer(inputs))).all()
