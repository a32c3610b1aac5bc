"""The `nbkit` command (also `python -m nbkit`).

    nbkit load PATH... [--out corpus.parquet] [--report report.json] [--format auto] [--reference-year YEAR]
                       [--collection OLD=NEW]... [--column FIELD=COLUMN]... [--skip-bad-files]
                       [--scheduler ADDRESS] [--workers N]
    nbkit embed PATH... [--cache-dir DIR] [--model NAME] [--backend torch|static|...] [--scheduler ADDRESS]
                        [--workers N] [load options]
    nbkit run [NOTEBOOK...] [-p NAME VALUE]... [-f params.yml] [--out DIR] [--jobs N] [--store-outputs]
    nbkit diff RUN_A RUN_B [--html OUT]
    nbkit schema
    nbkit warm-up [--backend torch|onnx-int8|onnx-fp32|static]...
    nbkit check-cpus [PATH...] [--config NAME]... [-p NAME VALUE]... [--own-models]
    nbkit emulate-cpu NAME -- COMMAND...

`nbkit diff` exits with 0 when the two runs agree and 1 when they differ, as diff(1) does.
Bad input ends with one line on stderr, `nbkit: error: <file>: <reason>`, exit status 2, and no output files.
Output piped into a reader that stops early (`nbkit load ... | head -2`) ends quietly with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib import import_module
from typing import Any

from nbkit import __version__
from nbkit.errors import NbkitError
from nbkit.teardown import skip_teardown_at_exit


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, new = value.partition("=")
        if not sep or not key.strip() or not new.strip():
            raise NbkitError(f"{option} expects NAME=VALUE, got {value!r}")
        out[key.strip()] = new.strip()
    return out


def _load(args: argparse.Namespace, scheduler: object = None):
    from nbkit.corpus import load_corpus

    return load_corpus(
        args.paths,
        fmt=args.format,
        reference_year=args.reference_year,
        collections=_pairs(args.collection, "--collection"),
        columns=_pairs(args.column, "--column"),
        skip_bad_files=args.skip_bad_files,
        scheduler=scheduler,
    )


def _cmd_load(args: argparse.Namespace) -> int:
    from nbkit.corpus import write_corpus
    from nbkit.distributed import open_scheduler

    with open_scheduler(args.scheduler, args.workers) as client:
        corpus = _load(args, client)
    print(corpus.report.summary())
    written = write_corpus(corpus, args.out, listings_out=args.listings, report_out=args.report)
    if written:
        print("Wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    import time

    from nbkit.distributed import PARTITION_SIZE, EmbedderSpec, embed_corpus, open_scheduler
    from nbkit.embed import DEFAULT_BACKEND, document_texts
    from nbkit.paths import cache_path

    backend = args.backend or DEFAULT_BACKEND
    partition_size = PARTITION_SIZE if args.partition_size is None else args.partition_size
    if partition_size < 1:
        raise NbkitError(f"--partition-size must be at least 1, not {partition_size}")
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    cache_dir = cache_path(args.cache_dir)
    with open_scheduler(args.scheduler, args.workers) as client:
        corpus = _load(args, client)
        print(corpus.report.summary())
        texts = document_texts(corpus.papers, fields)
        start = time.perf_counter()
        # the vectors stay in the cache: no result array, so memory does not grow with the corpus
        result = embed_corpus(texts, EmbedderSpec(args.model, backend), cache_dir, client=client,
                              partition_size=partition_size, return_vectors=False)
        seconds = time.perf_counter() - start
    rate = f"{result.computed / seconds:.1f} documents/s" if result.computed and seconds > 0 else "nothing to embed"
    print(f"{len(texts)} documents: {result.computed} embedded, {result.cached} already in the cache; "
          f"{rate} ({seconds:.1f} s); cache: {cache_dir}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from nbkit.run import FINDINGS_PAGE, parse_parameters, read_parameters_file, run_batch, store_outputs

    if args.store_outputs:
        if args.parameter or args.params_file:
            raise NbkitError("--store-outputs runs notebooks with their default parameters; drop -p and -f")
        store_outputs(args.notebooks or None)
        return 0
    if args.jobs < 1:
        raise NbkitError(f"--jobs must be at least 1, not {args.jobs}")
    parameters, sweep = read_parameters_file(args.params_file) if args.params_file else ({}, {})
    parameters.update(parse_parameters(args.parameter))  # -p wins over the file
    records = run_batch(args.notebooks or None, parameters=parameters, sweep=sweep, out_dir=args.out,
                        jobs=args.jobs, reuse_kernels=not args.fresh_kernels)
    failed = [r for _, record in records for r in record.failures()]
    for r in failed:
        if r.notebook == FINDINGS_PAGE:
            print(f"nbkit: run failed: {r.error} (the executed notebooks are beside it)", file=sys.stderr)
        else:
            print(f"nbkit: notebook failed: {r.line()} (executed notebook: {r.output})", file=sys.stderr)
    return 1 if failed else 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nbkit.diff import compare_runs, render_html, render_text

    diff = compare_runs(args.run_a, args.run_b)
    print(render_text(diff))
    if args.html:
        target = Path(args.html)
        try:
            target.write_text(render_html(diff), encoding="utf-8")
        except OSError as exc:
            raise NbkitError(f"cannot write the page ({exc.strerror})", target) from None
        print(f"Wrote {target}")
    return 0 if diff.identical else 1


def _cmd_schema(args: argparse.Namespace) -> int:
    from nbkit import schema

    print("### papers\n\n" + schema.markdown(schema.PAPER_COLUMNS))
    print("\n### listings\n\n" + schema.markdown(schema.LISTING_COLUMNS))
    print("\n### flags\n\n" + schema.flags_markdown())
    return 0


def _cmd_warm_up(args: argparse.Namespace) -> int:
    import time

    from nbkit.embed import DEFAULT_BACKEND, make_embedder
    from nbkit.topics import warm_up

    start = time.perf_counter()
    warm_up()
    print(f"UMAP's compiled code is cached ({time.perf_counter() - start:.0f} s)")
    for backend in args.backend or [DEFAULT_BACKEND]:
        embedder = make_embedder(backend=backend)
        # what a backend makes once per installation: the ONNX export, the distilled static model
        ensure = getattr(embedder, "ensure_exported", None) or getattr(embedder, "ensure_distilled", None)
        if ensure is not None:
            start = time.perf_counter()
            print(f"The {backend} embedding model is ready: {ensure()} ({time.perf_counter() - start:.0f} s)")
    return 0


def _cmd_check_cpus(args: argparse.Namespace) -> int:
    from nbkit.emulate import compare_across_cpus
    from nbkit.paths import project_paths
    from nbkit.run import parse_parameters

    configs = args.config or ["native", "avx2", "generic"]
    table = compare_across_cpus([str(p) for p in project_paths(args.paths)], configs,
                                parse_parameters(args.parameter), own_models=args.own_models)
    print(table.to_string(index=False))
    same = bool(table["identical"].all())
    print("The same topics under every configuration." if same else
          "The topics depend on the CPU: the rows above say where.")
    return 0 if same else 1


def _cmd_emulate_cpu(args: argparse.Namespace) -> int:
    from nbkit.emulate import exec_emulated

    command = args.command_line[1:] if args.command_line[:1] == ["--"] else args.command_line
    exec_emulated(args.name, command)
    return 0  # not reached: exec replaces this process


class _Later:
    """A constant of a module the parser should not import (nbkit.sources and nbkit.embed bring pandas and every
    reader: ~0.5 s that `nbkit run` never needs), read when argparse shows help or checks a value given for it.
    Set as an attribute of an argparse action, `%(name)s` in its help shows it; as `choices`, with a `metavar`
    (argparse would list the choices when the option is added otherwise)."""

    def __init__(self, module: str, name: str, show: Callable[[Any], str] = str) -> None:
        self.module, self.name, self.show = module, name, show

    def value(self) -> Any:
        return getattr(import_module(self.module), self.name)

    def __str__(self) -> str:
        return self.show(self.value())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value())

    def __contains__(self, item: object) -> bool:
        return item in self.value()


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    """The options of `nbkit load`, shared by every command that loads a corpus."""
    parser.add_argument("paths", nargs="+", help="files or directories (walked recursively)")
    fmt = parser.add_argument("--format", default="auto", help="auto (detect from content) or one of %(formats)s")
    fmt.formats = _Later("nbkit.sources", "FORMATS", ", ".join)
    parser.add_argument("--reference-year", type=int, help="year for HF dates written without one (default: infer)")
    parser.add_argument("--collection", action="append", metavar="OLD=NEW", help="rename a collection")
    parser.add_argument("--column", action="append", metavar="FIELD=COLUMN",
                        help="map a source column to a field (title, abstract, date, authors, ...)")
    parser.add_argument("--skip-bad-files", action="store_true",
                        help="list unreadable files in the report and go on, instead of stopping")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask: local, local:N (a LocalCluster of N workers) or tcp://host:8786 (a running "
                             "cluster); default: in this process, no Dask")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="with --scheduler local: workers to start; with an address: workers to wait for")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nbkit", description="Research notebook kit: corpus loading and analysis.")
    parser.add_argument("--version", action="version", version=f"nbkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="load paper listings into a papers table, a listings table and a report")
    load.add_argument("--out", help="papers table to write (.parquet); listings go beside it")
    load.add_argument("--listings", help="listings table to write (default: <out>.listings.parquet)")
    load.add_argument("--report", help="load report to write (.json)")
    _add_load_options(load)
    load.set_defaults(func=_cmd_load)

    embed = sub.add_parser("embed", help="load a corpus and embed its papers into the shared embedding cache")
    embed.add_argument("--cache-dir", help="embedding cache (default: $NBKIT_CACHE_DIR or data/cache)")
    embed.add_argument("--model", default="all-MiniLM-L6-v2",
                       help="sentence-transformers name or model folder, never downloaded (default: the packaged "
                            "all-MiniLM-L6-v2)")
    embed.add_argument("--fields", default="title,abstract",
                       help="paper fields joined into the embedded text (default: title,abstract, as the notebooks)")
    backend = embed.add_argument("--backend", choices=_Later("nbkit.distributed", "BACKENDS"), metavar="NAME",
                                 help="how the model runs: %(choices)s (default: %(backend)s, as the notebooks; hash: "
                                      "a stand-in for tests and overhead measurements)")
    backend.backend = _Later("nbkit.embed", "DEFAULT_BACKEND")
    size = embed.add_argument("--partition-size", type=int,
                              help="distinct texts per Dask task (default: %(partition_size)s)")
    size.partition_size = _Later("nbkit.distributed", "PARTITION_SIZE")
    _add_load_options(embed)
    embed.set_defaults(func=_cmd_embed, out=None, listings=None)

    run = sub.add_parser("run", help="execute notebooks with papermill into a report folder")
    run.add_argument("notebooks", nargs="*", help="notebooks to run (default: all of notebooks/ in order)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="parameter for every notebook that declares it (value read as YAML)")
    run.add_argument("-f", "--params-file", metavar="FILE",
                     help="YAML parameters; a list for a non-list parameter, or a `sweep:` section, sweeps")
    run.add_argument("--out", default="reports", help="report folder (default: reports)")
    run.add_argument("--jobs", type=int, default=1, help="sweep runs at once (default: 1)")
    run.add_argument("--fresh-kernels", action="store_true",
                     help="start a new kernel for every notebook of a sweep (default: one per worker, cleared)")
    run.add_argument("--store-outputs", action="store_true",
                     help="re-execute the notebooks in place, refreshing the outputs nbval compares against")
    run.set_defaults(func=_cmd_run)

    diff = sub.add_parser("diff", help="compare two run folders: inputs, parameters, packages, topics, trend calls "
                                       "(exit status 1 when they differ)")
    diff.add_argument("run_a", metavar="RUN_A", help="a run folder written by `nbkit run`")
    diff.add_argument("run_b", metavar="RUN_B", help="another run folder")
    diff.add_argument("--html", metavar="OUT", help="also write the comparison as an HTML page")
    diff.set_defaults(func=_cmd_diff)

    schema = sub.add_parser("schema", help="print the papers and listings schema as Markdown")
    schema.set_defaults(func=_cmd_schema)

    warm = sub.add_parser("warm-up", help="compile UMAP's numba code into its on-disk cache and prepare an embedding "
                                          "backend's model (once; make does it at setup for the default)")
    warm_backend = warm.add_argument("--backend", action="append", choices=_Later("nbkit.embed", "BACKENDS"),
                                     metavar="NAME",
                                     help="prepare this embedding backend's model: %(choices)s (repeatable; default: "
                                          "%(backend)s): onnx-* export it, static distils it (~25 s of 2 cores, "
                                          "once; setup does not)")
    warm_backend.backend = _Later("nbkit.embed", "DEFAULT_BACKEND")
    warm.set_defaults(func=_cmd_warm_up)

    from nbkit.emulate import CPU_CONFIGS

    check = sub.add_parser("check-cpus", help="fit the topics under emulated CPU configurations (a process each, "
                                              "empty caches) and check they are identical")
    check.add_argument("paths", nargs="*", default=["data/raw/hf_papers"], help="corpus (default: the bundled one)")
    check.add_argument("--config", action="append", choices=list(CPU_CONFIGS),
                       help="configuration to compare (repeat; default: native, avx2, generic; the first is the "
                            "reference)")
    check.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                       help="topic setting (value read as YAML), e.g. -p distance_threshold 0.4")
    check.add_argument("--own-models", action="store_true",
                       help="an empty models folder per configuration too: each distils (static) or exports (onnx) "
                            "its own model, as a machine with that CPU would")
    check.set_defaults(func=_cmd_check_cpus)

    emulate = sub.add_parser("emulate-cpu", help="run a command with the settings that emulate another CPU "
                                                 "(fresh numba and nbkit caches)")
    emulate.add_argument("name", choices=list(CPU_CONFIGS))
    emulate.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    emulate.set_defaults(func=_cmd_emulate_cpu)
    return parser


def console() -> int:
    """The `nbkit` command and `python -m nbkit`: main() in a process that ends right after it."""
    skip_teardown_at_exit()  # so no need to free pandas, nbconvert, ... object by object (not for in-process callers)
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "out", None) is None and getattr(args, "listings", None):
        parser.error("--listings needs --out")
    try:
        code = args.func(args)
        sys.stdout.flush()  # so that a reader that went away (`| head`) shows up here, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader of our output closed the pipe: stop quietly, as the Python docs advise (signal module, "Note
        # on SIGPIPE"): point stdout at devnull so the interpreter's last flush cannot fail again, and exit 1.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except NbkitError as exc:
        print(f"nbkit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nbkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # `python -m nbkit.cli ...` as well as `python -m nbkit ...` and `nbkit ...`
    raise SystemExit(console())
