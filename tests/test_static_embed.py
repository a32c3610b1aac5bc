"""The static backend: a model2vec table distilled once from the packaged MiniLM, kept beside the ONNX exports;
its identity follows everything the table depends on; a text's vector depends on the text only."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from nbkit import static_embed
from nbkit.embed import EmbeddingCache, SentenceEmbedder, embed_texts, make_embedder
from nbkit.errors import NbkitError
from nbkit.paths import project_path
from nbkit.static_embed import StaticEmbedder, _fixed_signs

TEXTS = ["Robot grasping with tactile sensing.", "Protein structure prediction from sequence alone.",
         "Speech recognition for low-resource languages with self-supervised pretraining.", "Graphs."]


def _tiny_model():
    """A 7-token static model in place of a distilled one: word rows (4, 5), (6, 7), ... as model2vec stores them."""
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"[UNK]": 0, "[PAD]": 1, "robots": 2, "grasp": 3, "objects": 4, "proteins": 5, "fold": 6}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    # column 0 is skewed negative (a flipped sign to fix), column 1 positive
    table = np.array([[0, 1], [0, 1], [-4, 5], [-6, 7], [-8, 9], [1, 11], [2, 13]], dtype=np.float16)
    return StaticModel(vectors=table, tokenizer=tokenizer, normalize=True)


def test_signs_are_fixed_by_each_columns_skew():
    table = np.array([[1, 2], [-3, -1]], dtype=np.float16)  # sums of cubes: 1 - 27 < 0, 8 - 1 > 0
    np.testing.assert_array_equal(_fixed_signs(table), [[-1, 2], [3, -1]])
    assert _fixed_signs(table).dtype == np.float16


def test_identity_follows_the_distillation_parameters(tmp_path, monkeypatch):
    monkeypatch.delenv("NBKIT_MODEL_DIR", raising=False)
    base = make_embedder(backend="static")
    fingerprint = SentenceEmbedder().identity.rsplit("-", 1)[-1]
    assert base.identity == (f"all-MiniLM-L6-v2-{fingerprint}-static-pca256-sif0.0001-f16-m2v0.10.0-"
                             f"{static_embed.RECIPE}")
    others = {StaticEmbedder(pca_dims=128).identity, StaticEmbedder(sif_coefficient=1e-3).identity,
              StaticEmbedder(dtype="float32").identity}
    assert len(others) == 3 and base.identity not in others
    assert base.folder == project_path("data/cache/models") / base.identity  # beside the ONNX exports
    monkeypatch.setenv("NBKIT_MODEL_DIR", str(tmp_path))
    assert make_embedder(backend="static").folder == tmp_path / base.identity
    monkeypatch.setattr(static_embed, "_version", lambda package: "9.9")  # another model2vec
    assert StaticEmbedder().identity.endswith(f"-m2v9.9-{static_embed.RECIPE}")
    with pytest.raises(NbkitError, match="static model dtype 'int8' is not one of float16, float32"):
        StaticEmbedder(dtype="int8")
    with pytest.raises(NbkitError, match="pca_dims must be a positive whole number, not 0"):
        StaticEmbedder(pca_dims=0)


def test_distilled_once_with_a_message_then_read(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_distill(source, **kwargs):
        calls.append({"source": source, **kwargs})
        return _tiny_model()

    monkeypatch.setattr(static_embed, "_distill", fake_distill)
    embedder = StaticEmbedder(model_dir=tmp_path, pca_dims=2)
    vectors = embedder.encode(["robots grasp", "proteins fold", "robots grasp"])
    assert "distilling a static embedding model from all-MiniLM-L6-v2" in capsys.readouterr().err
    assert calls == [{"source": embedder.path, "pca_dims": 2, "sif_coefficient": 1e-4, "dtype": "float16"}]
    # robots (4, 5) and grasp (6, 7) with column 0 flipped: mean (5, 6), normalized, in float16
    expected = np.float16(np.array([5, 6]) / np.hypot(5, 6))
    np.testing.assert_array_equal(vectors[0], expected)
    assert vectors.dtype == np.float32 and vectors.shape == (3, 2)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    made = json.loads((embedder.folder / "distill.json").read_text())
    assert made["pca_dims"] == 2 and made["shape"] == [7, 2] and made["versions"]["model2vec"] == "0.10.0"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the temporary folder is gone
    again = StaticEmbedder(model_dir=tmp_path, pca_dims=2)
    np.testing.assert_array_equal(again.encode(["robots grasp"]), vectors[:1])
    assert len(calls) == 1 and capsys.readouterr().err == ""
    assert again.encode([]).shape == (0, 2)


def test_a_distillation_that_fails_is_one_clear_line(tmp_path, monkeypatch):
    def broken(source, **kwargs):
        raise RuntimeError("CUDA out of memory\nmore")

    monkeypatch.setattr(static_embed, "_distill", broken)
    embedder = StaticEmbedder(model_dir=tmp_path)
    with pytest.raises(NbkitError) as error:
        embedder.encode(["a text"])
    message = str(error.value)
    assert message == (f"{embedder.path}: cannot distil a static model from all-MiniLM-L6-v2 (RuntimeError: CUDA out "
                       "of memory); embedding_backend='torch' runs the model itself")
    assert not any(tmp_path.iterdir())  # nothing half-made is left


@pytest.fixture(scope="module")
def static():
    """The real static model, distilled once into the models folder (nbkit.paths.model_path) and reused after."""
    embedder = StaticEmbedder()
    embedder.ensure_distilled()
    return embedder


def test_the_distilled_model_is_made_once_and_reused(static):
    made = json.loads((static.folder / "distill.json").read_text())
    assert made["shape"] == [29525, 256] and made["dtype"] == "float16"  # MiniLM's vocabulary less [unused*]
    stamp = (static.folder / "model.safetensors").stat().st_mtime_ns
    StaticEmbedder().encode(TEXTS[:1])
    assert (static.folder / "model.safetensors").stat().st_mtime_ns == stamp


def test_real_vectors_are_deterministic_batch_independent_and_cached_apart(static, tmp_path):
    together = static.encode(TEXTS)
    assert together.shape == (4, 256) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, atol=1e-3)  # float16 rows
    np.testing.assert_array_equal(np.vstack([static.encode([t]) for t in TEXTS]), together)
    np.testing.assert_array_equal(static.encode(TEXTS[::-1]), together[::-1])
    np.testing.assert_array_equal(StaticEmbedder(batch_size=3).encode(TEXTS), together)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(static)).encode(TEXTS), together)
    assert pickle.loads(pickle.dumps(static))._model is None  # a pickled embedder is its spec
    # a nearest neighbour that makes sense: the robot text for a robot query
    assert int(np.argmax(together[:3] @ static.encode(["A robot hand grasps objects."])[0])) == 0
    cache = EmbeddingCache(tmp_path)
    assert embed_texts(TEXTS, static, cache, progress=False).computed == 4
    again = embed_texts(TEXTS, static, cache, progress=False)
    assert again.cached == 4 and again.computed == 0
    np.testing.assert_array_equal(again.vectors, together)
    assert (tmp_path / "embeddings" / static.identity).is_dir()
