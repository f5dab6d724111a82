"""Train 1-D VQ-VAEs on LibriSpeech, reconstruct held-out speech, convert speakers, sample from a WaveNet prior.

    KERAS_BACKEND=jax python -m keras_vq.recipes.librispeech_vqvae --data-dir ../shared/data \
        --output-dir runs/librispeech

(`python recipes/librispeech_vqvae.py ...` in a clone).

The audio half of van den Oord et al. 2017 (https://arxiv.org/abs/1711.00937,
sec. 4.3). Reads top to bottom:

1. Utterances of `--split` (16 kHz, float32 in [-1, 1]); the last
   `--held-out-per-speaker` utterances of every speaker are held out, so
   every figure is on speech the models never heard, from voices they know.
2. VQ-VAEs with the same encoder (six stride-2 convolutions: one code
   of K = 512 every 64 samples), one for each of `--decoders`: the
   transposed-convolution decoder of the LibriSpeech study, a WaveNet
   decoder conditioned on z_q and the speaker (the paper's), and a
   `SpectrogramDecoder` (one STFT frame a code from z_q and the speaker,
   trained with the spectral loss, decoded by Griffin-Lim). Trained on random
   crops, checkpointed. `--validation-per-speaker` keeps each speaker's last
   training utterances out of training too, for choosing designs.
3. A WaveNet prior over the code sequences of the first of `--decoders`
   that is not the transposed one.
4. Held-out figures (`results.json`): waveform MSE of reconstructions
   (the transposed decoder's, and the WaveNet's generated ones), the
   WaveNet's teacher-forced bits a sample, codebook perplexity and usage,
   and a linear probe of the speaker trained on latent frames: on the
   codes (one-hot) against on the encoder's continuous output.
5. Audio (`audio/*.wav`) and plots (`*.png`, waveform and spectrogram):
   originals, reconstructions, the same utterances decoded with another
   speaker's embedding (speaker conversion), and samples from the prior.
6. Presets: `<decoder>/preset` and `prior/preset`, with their figures.

Rerun with --resume to continue after a crash; finished stages are loaded.
"""

import json
import time

import keras
import numpy as np

import keras_vq
import keras_vq.plots
from keras_vq.data import SAMPLE_RATE, SequenceCrops, clips, encode_utterance, held_out_utterances, split_per_speaker
from keras_vq.models import VQVAE, SpectrogramDecoder, WaveNet
from keras_vq.speech_examples import write_speech_examples

DECODERS = ("transposed", "wavenet", "spectrogram")
NUM_DOWNSAMPLES = 6  # 64x: one code every 4 ms at 16 kHz.
NUM_EMBEDDINGS, EMBEDDING_DIM = 512, 64
# Latent frames a speaker probe trains on (a random subset of the training utterances').
PROBE_TRAINING_FRAMES = 40_000


# What a resumed run may be given anew.
MAY_CHANGE = (*keras_vq.runs.TRAINING_MAY_CHANGE, "train_only")


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(__doc__, output_dir="runs/librispeech", dataset="librispeech")
    parser.add_argument("--split", default="train-clean-5", help="the LibriSpeech subset to train on")
    parser.add_argument(
        "--held-out-per-speaker", type=int, default=2, help="each speaker's last utterances, held out for the figures"
    )
    parser.add_argument(
        "--validation-per-speaker",
        type=int,
        default=0,
        help="each speaker's last training utterances, also kept out of training (for choosing "
        "designs on them: recipes/librispeech_evaluate.py --held-out-per-speaker adds them)",
    )
    parser.add_argument(
        "--decoders", default="transposed,wavenet", help=f"comma-separated decoders to train, of {', '.join(DECODERS)}"
    )
    parser.add_training_options(steps=3000, batch_size=8, learning_rate=1e-3, steps_per_epoch=250, dtype_policy=False)
    parser.add_argument("--prior-steps", type=int, default=2000, help="training steps of the WaveNet prior")
    parser.add_argument("--prior-crop-length", type=int, default=256, help="prior training crop, in codes")
    parser.add_argument("--crop-length", type=int, default=4096, help="training crop, in samples")
    parser.add_argument("--wavenet-channels", type=int, default=32, help="the WaveNet decoder's channels")
    parser.add_argument("--wavenet-layers", type=int, default=10, help="dilations 1..512: 1,024 samples seen")
    parser.add_argument("--spectrogram-channels", type=int, default=256, help="the SpectrogramDecoder's channels")
    parser.add_argument("--spectrogram-blocks", type=int, default=8, help="the SpectrogramDecoder's blocks")
    parser.add_argument(
        "--quantizer-stages",
        type=int,
        default=1,
        help="residual VQ stages of K = 512 (each adds 2,250 bit/s); a prior and the examples need 1",
    )
    parser.add_argument(
        "--generate-seconds",
        type=float,
        default=1.0,
        help="length of the generated reconstructions, conversions and samples",
    )
    parser.add_argument("--num-samples", type=int, default=4, help="samples from the prior")
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="stop after training (e.g. train on TensorFlow, then --resume on JAX, whose compiled "
        "generation loop is the fastest on CPU)",
    )

    def check(arguments):
        if arguments.crop_length % 2**NUM_DOWNSAMPLES:
            raise keras_vq.runs.RunError(f"--crop-length must be a multiple of {2**NUM_DOWNSAMPLES}")
        arguments.decoders = keras_vq.runs.comma_separated_choices("--decoders", arguments.decoders, DECODERS)
        if arguments.quantizer_stages > 1 and not arguments.train_only:
            raise keras_vq.runs.RunError(
                "--quantizer-stages > 1 trains codes the WaveNet prior cannot model (one "
                "code a frame): pass --train-only and score the models with "
                "recipes/librispeech_evaluate.py"
            )
        if arguments.validation_per_speaker < 0:
            raise keras_vq.runs.RunError(
                f"--validation-per-speaker must be >= 0, got {arguments.validation_per_speaker}"
            )

    return parser.parse(
        positive_ints=(
            "held_out_per_speaker",
            "steps",
            "prior_steps",
            "batch_size",
            "crop_length",
            "prior_crop_length",
            "steps_per_epoch",
            "wavenet_channels",
            "wavenet_layers",
            "num_samples",
            "spectrogram_channels",
            "spectrogram_blocks",
            "quantizer_stages",
        ),
        positive_numbers=("learning_rate", "generate_seconds"),
        check=check,
        may_change=MAY_CHANGE,
        start=False,  # main starts the run once the data has been read: a split it cannot give is named first.
    )


def build_vqvae(decoder, num_speakers, arguments):
    name = f"vqvae_{decoder}"
    if decoder == "wavenet":
        channels = arguments.wavenet_channels
        decoder = WaveNet(
            num_symbols=256,
            channels=channels,
            skip_channels=2 * channels,
            num_layers=arguments.wavenet_layers,
            layers_per_cycle=arguments.wavenet_layers,
            num_speakers=num_speakers,
            local_condition_dim=EMBEDDING_DIM,
            local_channels=channels,
            upsampling=2**NUM_DOWNSAMPLES,
            name="wavenet_decoder",
        )
    elif decoder == "spectrogram":
        decoder = SpectrogramDecoder(
            latent_dim=EMBEDDING_DIM,
            hop=2**NUM_DOWNSAMPLES,
            channels=arguments.spectrogram_channels,
            num_blocks=arguments.spectrogram_blocks,
            num_speakers=num_speakers,
            name="spectrogram_decoder",
        )
    # Codes whose moving usage falls below once a batch are re-seeded from the batch (VectorQuantizer).
    if arguments.quantizer_stages > 1:  # Each stage quantizes what the stages before it left.
        quantizer = keras_vq.layers.ResidualVectorQuantizer(
            arguments.quantizer_stages,
            NUM_EMBEDDINGS,
            EMBEDDING_DIM,
            stage_options={"dead_code_threshold": 1.0},
            seed=arguments.seed,
            name="quantizer",
        )
    else:
        quantizer = keras_vq.layers.VectorQuantizer(
            NUM_EMBEDDINGS, EMBEDDING_DIM, dead_code_threshold=1.0, seed=arguments.seed, name="quantizer"
        )
    return VQVAE(
        data_shape=(None, 1),
        data_range=(-1.0, 1.0),
        hidden_channels=128,
        num_downsamples=NUM_DOWNSAMPLES,
        quantizer=quantizer,
        decoder=decoder,
        name=name,
    )


def train(model, stream_from, steps, run_dir, arguments, curves, metadata):
    """Trains `model` resumably in `run_dir` (a finished run's checkpoint is loaded) and saves it as `run_dir/preset`
    with `metadata` (its speaker ids: what evaluating or converting with it needs, even after --train-only)."""
    model.compile(optimizer=keras.optimizers.Adam(arguments.learning_rate))
    started = time.perf_counter()
    history = keras_vq.training.fit_resumably(
        model, stream_from, total_steps=steps, steps_per_epoch=arguments.steps_per_epoch, run_dir=run_dir
    )
    model.save_to_preset(run_dir / "preset", overwrite=True, metadata=metadata)
    keras_vq.plots.save_loss_curves(history, run_dir / "loss_curves.png", keys=curves)
    return model, {
        "training_steps": len(history["loss"]) * arguments.steps_per_epoch,
        "seconds_this_run": round(time.perf_counter() - started, 1),
    }


def audio_only(stream):
    for (batch,) in stream:
        yield (batch["audio"],)


def latent_frames(model, utterances, speakers):
    """Per latent frame of each utterance: the encoder's output z_e, the code, the speaker."""
    continuous, codes, labels = [], [], []
    for audio, speaker in zip(utterances, speakers):
        frames, frame_codes = encode_utterance(model, audio)
        continuous.append(frames)
        codes.append(frame_codes)
        labels.append(np.full(len(frame_codes), speaker))
    return np.concatenate(continuous), np.concatenate(codes), np.concatenate(labels)


def speaker_probe(model, training, held_out, num_speakers, seed):
    """Held-out accuracy of linear speaker probes on the codes (one-hot) and on z_e."""
    train_z, train_codes, train_labels = latent_frames(model, *training)
    test_z, test_codes, test_labels = latent_frames(model, *held_out)
    subset = np.random.default_rng(seed).permutation(len(train_labels))[:PROBE_TRAINING_FRAMES]
    one_hot = np.eye(NUM_EMBEDDINGS, dtype=np.float32)
    return {
        "frames": {"training": int(len(subset)), "held_out": int(len(test_labels))},
        "chance": 1.0 / num_speakers,
        "codes_accuracy": keras_vq.metrics.linear_probe_accuracy(
            one_hot[train_codes[subset]],
            train_labels[subset],
            one_hot[test_codes],
            test_labels,
            num_speakers,
            seed=seed,
        ),
        "continuous_accuracy": keras_vq.metrics.linear_probe_accuracy(
            train_z[subset], train_labels[subset], test_z, test_labels, num_speakers, seed=seed
        ),
        "codes_perplexity": keras_vq.metrics.perplexity(test_codes, NUM_EMBEDDINGS),
        "codes_usage": keras_vq.metrics.codebook_usage(test_codes, NUM_EMBEDDINGS),
    }


def held_out_windows(utterances, crop_length):
    return np.concatenate([keras_vq.data.evaluation_windows(audio, crop_length) for audio in utterances])


def main():
    arguments = parse_arguments()
    keras.utils.set_random_seed(arguments.seed)

    # 1. Utterances, and a held-out set of each speaker's last ones; a split or a hold-out the data cannot
    # give is named before the run is started (a started run would refuse the corrected command).
    try:
        training, held_out, speaker_ids = held_out_utterances(
            "librispeech",
            arguments.split,
            arguments.held_out_per_speaker,
            data_dir=arguments.data_dir,
            download=arguments.download,
            min_length=arguments.crop_length,
        )
        if arguments.validation_per_speaker:
            split_per_speaker(training[1], arguments.validation_per_speaker)
    except ValueError as error:
        raise keras_vq.runs.RunError(str(error)) from None
    keras_vq.runs.start_run(arguments.output_dir, arguments, arguments.resume, may_change=MAY_CHANGE)
    num_speakers = len(speaker_ids)
    preset_metadata = {
        "dataset": f"LibriSpeech {arguments.split} but the last {arguments.held_out_per_speaker} utterances "
        f"of each speaker, {arguments.crop_length}-sample crops, batch {arguments.batch_size}",
        "speaker_ids": [int(s) for s in speaker_ids],
        "recipe": "python -m keras_vq.recipes.librispeech_vqvae",
    }
    if arguments.validation_per_speaker:  # Each speaker's last training utterances: for choosing, never trained on.
        kept, _ = split_per_speaker(training[1], arguments.validation_per_speaker)
        training = ([training[0][i] for i in kept], training[1][kept])
    crops = SequenceCrops(*training, arguments.batch_size, arguments.crop_length, seed=arguments.seed)
    results = {
        "backend": keras.backend.backend(),
        "split": arguments.split,
        "speakers": num_speakers,
        "training_utterances": len(training[0]),
        "held_out_utterances": len(held_out[0]),
        "models": {},
    }

    # 2. The VQ-VAEs.
    models = {}
    for decoder in arguments.decoders:
        if decoder == "transposed":
            stream_from = lambda step: audio_only(keras_vq.training.batches_from(crops, step))  # noqa: E731
        else:
            stream_from = lambda step: keras_vq.training.batches_from(crops, step)  # noqa: E731
        model = build_vqvae(decoder, num_speakers, arguments)
        curves = [model.decoding.loss_name, "commitment_loss", "perplexity"]
        models[decoder], trained = train(
            model, stream_from, arguments.steps, arguments.output_dir / decoder, arguments, curves, preset_metadata
        )
        results["models"][decoder] = trained

    # 3. A speaker-conditioned prior over the codes of the first model whose decoder is not the transposed one.
    # (Residual codes, several a frame, have no prior here.)
    coded = next((decoder for decoder in arguments.decoders if decoder != "transposed"), None)
    if arguments.quantizer_stages > 1:
        coded = None
    prior = None
    if coded is not None:
        speech_vqvae = models[coded]
        code_sequences = [encode_utterance(speech_vqvae, audio)[1] for audio in training[0]]
        prior_crop_length = min([arguments.prior_crop_length] + [len(codes) for codes in code_sequences])
        code_crops = SequenceCrops(
            code_sequences,
            training[1],
            arguments.batch_size,
            prior_crop_length,
            seed=arguments.seed,
            sequence_key="symbols",
            channel_axis=False,
        )
        prior = WaveNet(
            num_symbols=NUM_EMBEDDINGS,
            channels=64,
            skip_channels=128,
            num_layers=8,
            layers_per_cycle=8,
            num_speakers=num_speakers,
            name="code_prior",
        )
        prior, trained = train(
            prior,
            lambda step: keras_vq.training.batches_from(code_crops, step),
            arguments.prior_steps,
            arguments.output_dir / "prior",
            arguments,
            ["bits_per_symbol"],
            preset_metadata,
        )
        results["prior"] = trained | {"codes_of": coded}
        held_out_sequences = [encode_utterance(speech_vqvae, audio)[1] for audio in held_out[0]]
        code_windows = [
            (codes[start : start + prior_crop_length], speaker)
            for codes, speaker in zip(held_out_sequences, held_out[1])
            for start in range(0, len(codes) - prior_crop_length + 1, prior_crop_length)
        ]
        code_window_inputs = {
            "symbols": np.stack([codes for codes, _ in code_windows]),
            "speakers": np.array([speaker for _, speaker in code_windows]),
        }
        results["prior"]["held_out_bits_per_code"] = float(  # Every whole window of every held-out utterance.
            prior.log_likelihood_bits(code_window_inputs).mean() / prior_crop_length
        )

    if arguments.train_only:
        print("trained; rerun with --resume to evaluate and write the audio")
        return

    # 4. Held-out figures.
    windows = held_out_windows(held_out[0], arguments.crop_length)
    window_speakers = np.concatenate(
        [
            np.full(len(keras_vq.data.evaluation_windows(audio, arguments.crop_length)), speaker)
            for audio, speaker in zip(*held_out)
        ]
    )
    length = int(arguments.generate_seconds * SAMPLE_RATE) // 64 * 64
    held_out_clips = clips(held_out[0], length)
    for decoder, model in models.items():
        if decoder == "transposed":
            results["models"][decoder] |= keras_vq.metrics.reconstruction_report(model, windows[..., None])
            continue
        if decoder == "wavenet":
            results["models"][decoder] |= keras_vq.metrics.wavenet_decoder_report(
                model, windows[..., None], window_speakers
            )
        else:
            results["models"][decoder] |= keras_vq.metrics.spectrogram_decoder_report(
                model, windows[..., None], window_speakers, batch_size=arguments.batch_size
            )
        generated = model.reconstruct(held_out_clips, speakers=held_out[1], seed=arguments.seed)
        results["models"][decoder]["generated_reconstruction"] = {
            "clips": int(len(held_out_clips)),
            "seconds": length / SAMPLE_RATE,
            "mse": keras_vq.metrics.mean_squared_error(held_out_clips, generated),
            "signal_variance": float(np.var(held_out_clips)),
        }
    for decoder, model in models.items():
        results["models"][decoder]["speaker_probe"] = speaker_probe(
            model, training, held_out, num_speakers, arguments.seed
        )

    keras_vq.runs.write_results(arguments.output_dir, results)  # Refuses NaN figures before anything is published.

    # 5. Audio and plots: reconstructions and conversions of a female and a male held-out clip, prior samples.
    if prior is not None:
        sexes = keras_vq.data.speaker_sexes(arguments.data_dir)
        write_speech_examples(
            models[coded],
            prior,
            held_out_clips,
            held_out[1],
            speaker_ids,
            sexes,
            arguments.output_dir,
            num_samples=arguments.num_samples,
            seed=arguments.seed,
            transposed_vqvae=models.get("transposed"),
        )

    # 6. Presets, with their held-out figures (scripts/package_librispeech_presets.py adds check figures).
    for directory, model, figures in [
        (decoder, model, results["models"][decoder]) for decoder, model in models.items()
    ] + ([("prior", prior, results["prior"])] if prior is not None else []):
        model.save_to_preset(
            arguments.output_dir / directory / "preset",
            overwrite=True,
            metadata=preset_metadata
            | {
                "held_out_figures": {key: value for key, value in figures.items() if key != "seconds_this_run"},
            },
        )
    print(json.dumps(results, indent=2))
    print(f"wrote {arguments.output_dir}/audio/*.wav, the plots and the presets in {arguments.output_dir}")


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
