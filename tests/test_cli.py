"""The nbkit command: summary, outputs, and one-line errors with no output files for bad input."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pandas as pd
import pytest

from nbkit.cli import main
from nbkit.corpus import read_corpus
from tests.conftest import BUNDLED, HF, ROOT


def test_load_prints_totals_and_writes_tables_and_report(tmp_path, capsys):
    out = tmp_path / "out" / "corpus.parquet"
    assert main(["load", str(BUNDLED), "--out", str(out), "--report", str(tmp_path / "report.json")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Read 5 file(s) (hf_page: 5): 335 listings -> 266 papers (69 merged duplicates), "
                              "0 rejected block(s), 12 flagged listing(s).")
    papers, listings = read_corpus(out)
    assert (len(papers), len(listings)) == (266, 335)
    assert papers["collections"].map(len).sum() == 335  # every listing's collection is on its paper
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["totals"]["merged_duplicates"] == 69
    assert [f["listings"] for f in report["files"]] == [47, 67, 91, 85, 45]


def test_written_tables_round_trip_with_their_types(tmp_path):
    out = tmp_path / "c.parquet"
    main(["load", str(HF / "mixed_metadata.txt"), "--out", str(out)])
    papers, listings = read_corpus(out)
    assert str(papers["published"].dtype) == "datetime64[s]"
    assert listings["flags"].tolist()[0] == ["year_inferred"]
    assert isinstance(papers["collections"].iloc[0], list)


def _file(name: str, content: bytes):
    def make(folder):
        (folder / name).write_bytes(content)
        return folder / name
    return make


def _folder_without_files(folder):
    (folder / "folder" / ".git").mkdir(parents=True)
    (folder / "folder" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return folder / "folder"


@pytest.mark.parametrize(("make", "reason"), [
    (lambda d: d / "missing.txt", "no such file or directory"),
    (_file("empty.txt", b""), "empty file"),
    (_file("blank.txt", b" \n \n"), "file has only whitespace"),
    (_file("bin.txt", b"\x00\x01\x02"), "binary file"),
    (_folder_without_files, "directory has no files"),
    (_file("notes.txt", b"# Notes\n\n- not a corpus\n"), "unrecognised format"),
])
def test_bad_input_is_one_line_on_stderr_exit_2_and_no_output(tmp_path, capsys, make, reason):
    target = make(tmp_path)
    out = tmp_path / "out" / "corpus.parquet"
    code = main(["load", str(target), "--out", str(out), "--report", str(tmp_path / "out" / "r.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"nbkit: error: {target}: {reason}")
    assert not (tmp_path / "out").exists()


def test_bad_file_among_good_ones_stops_unless_skipped(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text((HF / "mixed_metadata.txt").read_text(encoding="utf-8"))
    (tmp_path / "in" / "b.txt").write_bytes(b"")
    assert main(["load", str(tmp_path / "in")]) == 2
    assert main(["load", str(tmp_path / "in"), "--skip-bad-files"]) == 0
    assert "skipped in/b.txt:" in capsys.readouterr().out


def test_options_rename_collections_and_map_columns(tmp_path, capsys):
    csv = tmp_path / "c.csv"
    csv.write_text("Name,Text\nA Paper,An abstract.\n", encoding="utf-8")
    out = tmp_path / "c.parquet"
    assert main(["load", str(csv), "--column", "title=Name", "--column", "abstract=Text",
                 "--collection", "c=mine", "--out", str(out)]) == 0
    papers, _ = read_corpus(out)
    assert (papers["title"].tolist(), papers["abstract"].tolist(), papers["collections"].tolist()) == (
        ["A Paper"], ["An abstract."], [["mine"]])
    assert main(["load", str(csv), "--column", "title"]) == 2
    assert "nbkit: error: --column expects NAME=VALUE, got 'title'" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["nbkit", "nbkit.cli"])
def test_python_dash_m_nbkit(tmp_path, module):
    done = subprocess.run([sys.executable, "-m", module, "load", str(HF / "cut_off.txt")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "2 listings -> 2 papers" in done.stdout
    done = subprocess.run([sys.executable, "-m", module, "load", str(tmp_path / "nope")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == f"nbkit: error: {tmp_path / 'nope'}: no such file or directory"
    assert "Traceback" not in done.stderr


def test_schema_command_prints_the_tables(capsys):
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert "| `paper_id` | string |" in printed and "| `missing_abstract` |" in printed
    assert pd.notna(printed)


def test_output_piped_into_head_ends_quietly(tmp_path):
    # Enough files that the summary (a line per file) overflows the pipe buffer after `head` has gone away.
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        (folder / f"papers_{i:04d}_{'x' * 180}.csv").write_text(
            f"title,abstract\nPaper {i},An abstract.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = f"{shlex.quote(sys.executable)} -m nbkit load {shlex.quote(str(folder))} | head -2; " \
              "echo \"status ${PIPESTATUS[0]}\" >&2"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.count("\n") == 2 and done.stdout.startswith("Read 400 file(s) (csv: 400)")
    assert done.stderr == "status 1\n"  # no BrokenPipeError traceback, no "Exception ignored" line


def test_embed_fills_the_cache_and_a_rerun_embeds_nothing(tmp_path, capsys):
    inputs = [str(HF / "cut_off.txt"), str(HF.parent / "records" / "papers.csv")]  # 2 + 4 papers
    cache = tmp_path / "cache"
    assert main(["embed", *inputs, "--backend", "hash", "--cache-dir", str(cache)]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("6 documents: 6 embedded, 0 already in the cache; ") and "documents/s" in last
    assert len(list((cache / "embeddings" / "hash-all-MiniLM-L6-v2-8").glob("shard.*.npy"))) == 1
    assert main(["embed", *inputs, "--backend", "hash", "--cache-dir", str(cache)]) == 0
    assert "6 documents: 0 embedded, 6 already in the cache; nothing to embed" in capsys.readouterr().out


def test_embed_refuses_workers_without_a_scheduler_in_one_line(capsys):
    assert main(["embed", str(HF / "cut_off.txt"), "--workers", "2"]) == 2
    assert capsys.readouterr().err == ("nbkit: error: --workers needs a scheduler: --scheduler local, or the address "
                                       "of a cluster\n")
    assert main(["load", str(HF / "cut_off.txt"), "--scheduler", "spark://x"]) == 2
    assert capsys.readouterr().err.startswith("nbkit: error: scheduler 'spark://x' not understood: use local, ")


def test_embed_and_warm_up_take_the_static_backend(capsys, monkeypatch):
    import nbkit.topics
    from nbkit.static_embed import StaticEmbedder

    monkeypatch.setattr(nbkit.topics, "warm_up", lambda: None)  # numba's compile is tested in test_topics
    made = []
    monkeypatch.setattr(StaticEmbedder, "ensure_distilled", lambda self: made.append(self.identity) or self.folder)
    assert main(["warm-up", "--backend", "static"]) == 0
    assert len(made) == 1 and "-static-pca256-" in made[0]
    assert f"The static embedding model is ready: {StaticEmbedder().folder} (" in capsys.readouterr().out
    assert main(["warm-up"]) == 0 and len(made) == 1  # the default backend (torch) has nothing to prepare
    with pytest.raises(SystemExit):
        main(["embed", str(HF / "cut_off.txt"), "--backend", "word2vec"])
    assert "invalid choice: 'word2vec' (choose from 'onnx-int8', 'onnx-fp32', 'static', 'torch', 'hash')" in (
        capsys.readouterr().err)
