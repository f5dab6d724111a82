import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import ResidualVectorQuantizer, VectorQuantizer
from tests.backend_utils import gradient
from tests.unit.vector_quantizer_test import numpy_rotation_gradient


def to_numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor))


def numpy_residual_codes(inputs, codebooks):
    """Residual VQ in float64 with brute-force nearest codes: each stage on what the previous left."""
    residual, codes = inputs.reshape(-1, inputs.shape[-1]).astype(np.float64), []
    for codebook in codebooks:
        nearest = ((residual[:, None] - codebook[None]) ** 2).sum(-1).argmin(1)
        codes.append(nearest)
        residual = residual - codebook[nearest]
    return np.stack(codes, -1).reshape(inputs.shape[:-1] + (len(codebooks),))


def built(inputs, **arguments):
    quantizer = ResidualVectorQuantizer(**arguments)
    quantizer.build(inputs.shape)
    return quantizer


def test_codes_equal_a_numpy_residual_search_and_the_output_is_the_sum_of_the_stages_codes():
    inputs = np.random.default_rng(0).normal(size=(3, 4, 4, 6)).astype("float32")
    quantizer = built(inputs, num_quantizers=3, num_embeddings=16, embedding_dim=6, seed=0)
    codebooks = [to_numpy(quantizer.stage(index).embeddings) for index in range(3)]
    codes = to_numpy(quantizer.encode(inputs))
    assert codes.shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(codes, numpy_residual_codes(inputs, codebooks))
    stage_sum = sum(codebooks[index][codes[..., index]] for index in range(3))
    np.testing.assert_allclose(to_numpy(quantizer(inputs)), stage_sum, atol=1e-5)
    np.testing.assert_allclose(to_numpy(quantizer.lookup(codes)), stage_sum, atol=1e-5)  # codes decode back
    np.testing.assert_allclose(to_numpy(quantizer.quantize_vectors(inputs)["quantized"]), stage_sum, atol=1e-5)


def test_each_stage_lowers_the_error_and_fewer_stages_encode_a_prefix():
    inputs = np.random.default_rng(1).normal(size=(256, 8)).astype("float32")
    quantizer = built(
        inputs, num_quantizers=4, num_embeddings=32, embedding_dim=8, stage_options=dict(kmeans_init=True), seed=1
    )
    quantizer(inputs, training=True)  # k-means per stage, on its own residuals
    codes = to_numpy(quantizer.encode(inputs))
    errors = [((inputs - to_numpy(quantizer.lookup(codes[:, :count]))) ** 2).mean() for count in range(1, 5)]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors
    np.testing.assert_array_equal(to_numpy(quantizer.encode(inputs, num_quantizers=2)), codes[:, :2])


def test_quantizer_dropout_uses_a_random_prefix_of_stages_in_training_and_all_in_inference():
    inputs = np.random.default_rng(2).normal(size=(64, 3, 4)).astype("float32")
    quantizer = built(
        inputs,
        num_quantizers=4,
        num_embeddings=8,
        embedding_dim=4,
        quantizer_dropout=1.0,
        stage_options=dict(codebook_update="loss"),
        seed=2,
    )  # the loss rule: codebooks fixed in a call
    codes = to_numpy(quantizer.encode(inputs))
    prefixes = np.stack([to_numpy(quantizer.lookup(codes[..., :count])) for count in range(1, 5)])  # (4, 64, 3, 4)
    trained = to_numpy(quantizer(inputs, training=True))
    used = [
        int(np.argmin([np.abs(prefix[example] - trained[example]).max() for prefix in prefixes])) + 1
        for example in range(64)
    ]
    for example, count in enumerate(used):  # each example is exactly one prefix
        np.testing.assert_allclose(trained[example], prefixes[count - 1][example], atol=1e-5)
    assert set(used) == {1, 2, 3, 4}  # uniform over 1..4 across 64 examples
    np.testing.assert_allclose(to_numpy(quantizer(inputs, training=False)), prefixes[-1], atol=1e-5)


def test_without_training_set_every_stage_is_used_in_the_layer_and_in_a_model():
    """`training` left as None (a plain call, `model(x)`) is inference: quantizer dropout drops nothing."""
    inputs = np.random.default_rng(5).normal(size=(32, 4)).astype("float32")
    quantizer = built(inputs, num_quantizers=3, num_embeddings=8, embedding_dim=4, quantizer_dropout=1.0, seed=5)
    every_stage = to_numpy(quantizer.lookup(quantizer.encode(inputs)))
    np.testing.assert_allclose(to_numpy(quantizer(inputs)), every_stage, atol=1e-5)

    from keras_vq.models import VQVAE
    from tests.synthetic import smooth_images

    model = VQVAE(
        data_shape=(8, 8, 3),
        hidden_channels=8,
        residual_channels=4,
        num_downsamples=1,
        quantizer=ResidualVectorQuantizer(3, 8, 4, quantizer_dropout=1.0, seed=6),
    )
    images = smooth_images(count=16, size=8)
    np.testing.assert_allclose(to_numpy(model(images)), to_numpy(model.decode(model.encode(images))), atol=1e-5)


def test_the_rotation_option_sets_the_gradient_of_call_and_of_quantize_vectors_alike():
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(6, 5)).astype("float32")
    upstream = rng.normal(size=inputs.shape).astype("float32")
    quantizer = built(
        inputs, num_quantizers=2, num_embeddings=8, embedding_dim=5, stage_options=dict(gradient="rotation"), seed=7
    )
    total = to_numpy(quantizer.lookup(quantizer.encode(inputs)))
    expected = numpy_rotation_gradient(inputs, total, upstream)  # the rotation taking z_e to the stack's sum
    through_call = gradient(lambda x: quantizer(x) * ops.convert_to_tensor(upstream), inputs)
    through_vectors = gradient(
        lambda x: quantizer.quantize_vectors(x)["quantized"] * ops.convert_to_tensor(upstream), inputs
    )
    np.testing.assert_allclose(through_call, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(through_vectors, expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(through_call, upstream, atol=1e-3)  # not straight-through


def test_output_gradient_is_straight_through_for_the_whole_stack():
    inputs = np.random.default_rng(3).normal(size=(4, 5)).astype("float32")
    upstream = np.random.default_rng(4).normal(size=inputs.shape).astype("float32")
    quantizer = built(inputs, num_quantizers=3, num_embeddings=8, embedding_dim=5)
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"] * ops.convert_to_tensor(upstream), inputs)
    np.testing.assert_allclose(grads, upstream, rtol=1e-5, atol=1e-6)


def test_the_added_loss_is_the_sum_of_each_stages_beta_weighted_commitment():
    inputs = np.random.default_rng(5).normal(size=(20, 4)).astype("float32")
    quantizer = built(inputs, num_quantizers=2, num_embeddings=8, embedding_dim=4, stage_options=dict(beta=0.5), seed=5)
    codes = to_numpy(quantizer.encode(inputs))
    first = to_numpy(quantizer.stage(0).embeddings)[codes[:, 0]]
    second = to_numpy(quantizer.stage(1).embeddings)[codes[:, 1]]
    commitments = [((inputs - first) ** 2).mean(), ((inputs - first - second) ** 2).mean()]
    quantizer(inputs)
    np.testing.assert_allclose(float(to_numpy(quantizer.losses[0])), 0.5 * sum(commitments), rtol=1e-4)
    np.testing.assert_allclose(float(quantizer.batch_metrics()["commitment_loss"]), sum(commitments), rtol=1e-4)


def test_a_shared_codebook_is_one_vector_quantizer_for_every_stage():
    inputs = np.random.default_rng(6).normal(size=(30, 4)).astype("float32")
    quantizer = built(inputs, num_quantizers=3, num_embeddings=8, embedding_dim=4, shared_codebook=True)
    assert len(quantizer.stages) == 1 and quantizer.stage(2) is quantizer.stage(0)
    codebook = to_numpy(quantizer.stage(0).embeddings)
    np.testing.assert_array_equal(to_numpy(quantizer.encode(inputs)), numpy_residual_codes(inputs, [codebook] * 3))


def test_ema_and_restarts_update_every_stage_on_its_own_residuals_and_survive_saving(tmp_path):
    inputs = np.random.default_rng(7).normal(size=(4, 8, 8, 4)).astype("float32")
    model_input = keras.Input((8, 8, 4))
    quantizer = ResidualVectorQuantizer(2, 16, 4, stage_options=dict(dead_code_threshold=1.0), seed=7)
    model = keras.Model(model_input, quantizer(model_input))
    before = [to_numpy(stage.codebook) for stage in quantizer.stages]
    quantizer(inputs, training=True)
    assert all(not np.allclose(before[index], to_numpy(stage.codebook)) for index, stage in enumerate(quantizer.stages))
    model.save(tmp_path / "rvq.keras")
    loaded = keras.saving.load_model(tmp_path / "rvq.keras")
    np.testing.assert_array_equal(to_numpy(loaded(inputs)), to_numpy(model(inputs)))
    assert loaded.layers[-1].get_config() == quantizer.get_config()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(num_quantizers=0), "num_quantizers must be an integer >= 1, got 0"),
        (dict(quantizer_dropout=1.5), r"quantizer_dropout must be in range \[0.0, 1.0\]"),
        (
            dict(stage_options=dict(betta=0.3)),
            r"stage_options takes VectorQuantizer arguments .* got unknown \['betta'\]",
        ),
        (dict(stage_options=dict(decay=2.0)), r"decay must be in range \(0.0, 1.0\)"),
        (dict(stage_options=dict(use_cosine_similarity=True)), "use_cosine_similarity is not supported"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, message):
    with pytest.raises(ValueError, match=message):
        ResidualVectorQuantizer(**(dict(num_quantizers=2, num_embeddings=8, embedding_dim=4) | arguments))


def test_encode_and_lookup_refuse_a_number_of_stages_outside_the_stack():
    quantizer = ResidualVectorQuantizer(2, 8, 4)
    inputs = np.zeros((3, 4), "float32")
    quantizer(inputs)
    with pytest.raises(ValueError, match=r"num_quantizers must be an integer in \[1, 2\], got 3"):
        quantizer.encode(inputs, num_quantizers=3)
    with pytest.raises(ValueError, match=r"codes of shape \(\.\.\., n\) with 1 <= n <= 2 stages; got shape \(3, 3\)"):
        quantizer.lookup(np.zeros((3, 3), "int32"))


def test_stages_are_vector_quantizers_with_the_stage_options():
    quantizer = ResidualVectorQuantizer(
        3, 8, 4, stage_options=dict(codebook_update="loss", gradient="rotation"), seed=3
    )
    assert all(isinstance(stage, VectorQuantizer) for stage in quantizer.stages)
    assert [stage.seed for stage in quantizer.stages] == [3, 4, 5]
    assert {(stage.codebook_update, stage.gradient) for stage in quantizer.stages} == {("loss", "rotation")}
    assert quantizer.metric_names == ("commitment_loss", "codebook_loss", "perplexity", "codebook_usage")
