"""The ONNX Runtime backend: the model's own pipeline read from its folder, pooling by hand, the export made once
and reused, vectors close to the torch ones, a text's vector independent of its batch, clear errors."""

from __future__ import annotations

import json
import pickle
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from nbkit import onnx_embed
from nbkit.embed import EmbeddingCache, SentenceEmbedder, embed_texts, make_embedder, resolve_model
from nbkit.errors import NbkitError
from nbkit.onnx_embed import OnnxEmbedder, length_batches, pool, read_pipeline
from nbkit.paths import project_path

TEXTS = ["Robot grasping with tactile sensing.", "Protein structure prediction from sequence alone.",
         "Speech recognition for low-resource languages with self-supervised pretraining.", "Graphs."]


def test_the_packaged_model_pipeline_is_read_from_its_folder():
    pipeline = read_pipeline(resolve_model(None))
    assert pipeline == {"max_seq_length": 256, "do_lower_case": False, "pooling": "mean", "normalize": True,
                        "num_heads": 12, "hidden_size": 384, "model_type": "bert"}


def _folder(tmp_path, modules, pooling):
    tmp_path.mkdir()
    (tmp_path / "config.json").write_text(json.dumps({"num_attention_heads": 2, "hidden_size": 4}))
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
        for i, (kind, path) in enumerate(modules)]))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return tmp_path


def test_models_the_backend_cannot_run_are_clear_errors(tmp_path):
    dense = _folder(tmp_path / "dense", [("Transformer", ""), ("Pooling", "1_Pooling"), ("Dense", "2_Dense")],
                    {"pooling_mode_mean_tokens": True})
    with pytest.raises(NbkitError, match=r"Transformer \+ Pooling \+ Dense; use embedding_backend='torch'"):
        read_pipeline(dense)
    weighted = _folder(tmp_path / "weighted", [("Transformer", ""), ("Pooling", "1_Pooling")],
                       {"pooling_mode_weightedmean_tokens": True})
    with pytest.raises(NbkitError, match="pools one way"):
        read_pipeline(weighted)
    cls = _folder(tmp_path / "cls", [("Transformer", ""), ("Pooling", "1_Pooling")], {"pooling_mode_cls_token": True})
    assert read_pipeline(cls)["pooling"] == "cls" and read_pipeline(cls)["normalize"] is False


def test_pooling_by_hand():
    # two texts, three token positions, 2-d token vectors; the second text has one padding position
    hidden = np.array([[[1, 2], [3, 4], [5, 0]], [[2, 2], [4, 0], [100, 100]]], dtype=np.float32)
    mask = np.array([[1, 1, 1], [1, 1, 0]])
    np.testing.assert_allclose(pool(hidden, mask, "mean", False), [[3, 2], [3, 1]])
    np.testing.assert_allclose(pool(hidden, mask, "max", False), [[5, 4], [4, 2]])
    np.testing.assert_allclose(pool(hidden, mask, "cls", False), [[1, 2], [2, 2]])
    np.testing.assert_allclose(pool(hidden, mask, "mean_sqrt_len", False), [[9 / 3**0.5, 6 / 3**0.5],
                                                                             [6 / 2**0.5, 2 / 2**0.5]], rtol=1e-6)
    np.testing.assert_allclose(pool(hidden, mask, "mean", True), [[3 / 13**0.5, 2 / 13**0.5],
                                                                  [3 / 10**0.5, 1 / 10**0.5]], rtol=1e-6)


def test_batches_group_texts_of_similar_length_and_pad_to_the_longest():
    # token ids of four texts (lengths 3, 1, 4, 2); batches of 2 in length order: texts 1 and 3, then 0 and 2
    encodings = [SimpleNamespace(ids=ids) for ids in ([101, 7, 102], [101], [101, 8, 9, 102], [101, 102])]
    batches = list(length_batches(encodings, 2))
    assert [rows.tolist() for rows, _ in batches] == [[1, 3], [0, 2]]
    (_, first), (_, second) = batches
    assert first["input_ids"].tolist() == [[101, 0], [101, 102]]
    assert first["attention_mask"].tolist() == [[1, 0], [1, 1]]
    assert second["input_ids"].tolist() == [[101, 7, 102, 0], [101, 8, 9, 102]]
    assert second["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert second["token_type_ids"].tolist() == [[0] * 4] * 2
    assert second["input_ids"].dtype == np.int64


def test_each_backend_has_its_own_cache_identity(tmp_path, monkeypatch):
    monkeypatch.setenv("NBKIT_CACHE_DIR", str(tmp_path / "run-cache"))  # a run's cache: the export does not follow it
    monkeypatch.delenv("NBKIT_MODEL_DIR", raising=False)
    torch_, int8, fp32 = (make_embedder(backend=b) for b in ("torch", "onnx-int8", "onnx-fp32"))
    fingerprint = torch_.identity.rsplit("-", 1)[-1]
    assert int8.identity == f"all-MiniLM-L6-v2-{fingerprint}-onnx-int8-{onnx_embed.RECIPE}"
    assert fp32.identity == f"all-MiniLM-L6-v2-{fingerprint}-onnx-fp32-{onnx_embed.RECIPE}"
    assert isinstance(make_embedder(), SentenceEmbedder)  # the default
    assert int8.model_dir == project_path("data/cache/models")
    monkeypatch.setenv("NBKIT_MODEL_DIR", str(tmp_path / "shared"))
    assert make_embedder(backend="onnx-int8").model_dir == tmp_path / "shared"
    with pytest.raises(NbkitError, match="backend 'tensorflow' is not one of onnx-int8, onnx-fp32, static, torch"):
        make_embedder(backend="tensorflow")
    with pytest.raises(NbkitError, match="onnx optimization 'max' is not one of"):
        OnnxEmbedder(optimization="max")


def test_choosing_int8_says_its_topics_depend_on_the_cpu():
    # Measured: the same recipe gave 8 topics on an AMD EPYC (AVX2) and 16 on an Intel Xeon (AVX-512, AMX).
    with pytest.warns(onnx_embed.CpuDependentWarning, match=r"onnx-int8 vectors depend on the CPU.*'torch' gives"):
        make_embedder(backend="onnx-int8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", onnx_embed.CpuDependentWarning)
        make_embedder(backend="onnx-fp32")  # float kernels differ in the last bits only, which the topics tolerate


def test_an_export_that_fails_is_one_clear_line(tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("Exporting the operator 'aten::foo' to ONNX opset version 17 is not supported.\nmore")

    monkeypatch.setattr(onnx_embed, "_torch_export", broken)
    embedder = OnnxEmbedder(model_dir=tmp_path)
    with pytest.raises(NbkitError) as error:
        embedder.encode(["a text"])
    message = str(error.value)
    assert message.startswith(f"{embedder.path}: cannot export embedding model all-MiniLM-L6-v2 to ONNX "
                              "(RuntimeError: Exporting the operator 'aten::foo'")
    assert "\n" not in message and message.endswith("embedding_backend='torch' runs it without ONNX")
    assert not any(tmp_path.rglob("*.onnx"))  # the half-made export is gone


@pytest.fixture(scope="module")
def int8():
    """The default backend, exported once for the test session into its cache (nbkit.paths.model_path)."""
    embedder = OnnxEmbedder()
    embedder.ensure_exported()
    return embedder


def test_the_export_is_made_once_and_reused(int8):
    folder = int8.folder
    assert sorted(p.name for p in folder.iterdir()) == ["export.json", "model-fp32.onnx", "model-int8.onnx"]
    made = json.loads((folder / "export.json").read_text())
    assert made["recipe"] == onnx_embed.RECIPE and made["versions"]["onnxruntime"]
    stamp = (folder / "model-int8.onnx").stat().st_mtime_ns
    again = OnnxEmbedder()
    again.encode(TEXTS[:1])
    assert (again.folder / "model-int8.onnx").stat().st_mtime_ns == stamp


def test_vectors_are_close_to_the_torch_ones_and_unit_length(int8, tmp_path):
    onnx = embed_texts(TEXTS, int8, EmbeddingCache(tmp_path), progress=False).vectors
    torch_ = SentenceEmbedder().encode(TEXTS)
    assert onnx.shape == (4, 384) and onnx.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-5)
    cosine = (onnx * torch_).sum(axis=1)
    assert cosine.min() > 0.98 and cosine.mean() > 0.99, cosine
    assert int(np.argmax(onnx[:3] @ int8.encode(["A robot hand grasps objects."])[0])) == 0
    # the cache keeps the backends apart: torch vectors are not served for the onnx identity
    assert embed_texts(TEXTS, SentenceEmbedder(), EmbeddingCache(tmp_path), progress=False).computed == 4


def test_a_text_gets_the_same_vector_alone_in_a_batch_and_in_any_order(int8):
    together = int8.encode(TEXTS)
    alone = np.vstack([int8.encode([t]) for t in TEXTS])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(int8.encode(TEXTS[::-1]), together[::-1])
    fp32 = OnnxEmbedder(quantization="fp32", batch_size=3)  # fp32 batches by length: still the same vectors
    np.testing.assert_array_equal(fp32.encode(TEXTS), np.vstack([fp32.encode([t]) for t in TEXTS]))
    assert fp32.encode([]).shape == (0, 384)


def test_a_pickled_embedder_is_its_spec(int8):
    int8.encode(TEXTS[:1])  # opens the session
    copy = pickle.loads(pickle.dumps(int8))
    assert copy._session is None and copy.identity == int8.identity
    np.testing.assert_array_equal(copy.encode(TEXTS[:2]), int8.encode(TEXTS[:2]))
    torch_ = SentenceEmbedder()
    torch_.encode(TEXTS[:1])
    assert pickle.loads(pickle.dumps(torch_))._model is None
