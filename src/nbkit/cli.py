"""The `nbkit` command (also `python -m nbkit`).

    nbkit load PATH... [--out corpus.parquet] [--report report.json] [--format auto] [--reference-year YEAR]
                       [--collection OLD=NEW]... [--column FIELD=COLUMN]... [--skip-bad-files]
    nbkit run [NOTEBOOK...] [-p NAME VALUE]... [-f params.yml] [--out DIR] [--jobs N] [--store-outputs]
    nbkit schema
    nbkit warm-up
    nbkit check-cpus [PATH...] [--config NAME]... [-p NAME VALUE]...
    nbkit emulate-cpu NAME -- COMMAND...

Bad input ends with one line on stderr, `nbkit: error: <file>: <reason>`, exit status 2, and no output files.
Output piped into a reader that stops early (`nbkit load ... | head -2`) ends quietly with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nbkit import __version__
from nbkit.errors import NbkitError


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, new = value.partition("=")
        if not sep or not key.strip() or not new.strip():
            raise NbkitError(f"{option} expects NAME=VALUE, got {value!r}")
        out[key.strip()] = new.strip()
    return out


def _cmd_load(args: argparse.Namespace) -> int:
    from nbkit.corpus import load_corpus, write_corpus

    corpus = load_corpus(
        args.paths,
        fmt=args.format,
        reference_year=args.reference_year,
        collections=_pairs(args.collection, "--collection"),
        columns=_pairs(args.column, "--column"),
        skip_bad_files=args.skip_bad_files,
    )
    print(corpus.report.summary())
    written = write_corpus(corpus, args.out, listings_out=args.listings, report_out=args.report)
    if written:
        print("Wrote " + ", ".join(str(p) for p in written))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from nbkit.run import parse_parameters, read_parameters_file, run_batch, store_outputs

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
        print(f"nbkit: notebook failed: {r.line()} (executed notebook: {r.output})", file=sys.stderr)
    return 1 if failed else 0


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
    embedder = make_embedder(backend=DEFAULT_BACKEND)
    ensure = getattr(embedder, "ensure_exported", None)
    if ensure is not None:
        start = time.perf_counter()
        path = ensure()
        print(f"The embedding model's ONNX export is in {path.parent} ({time.perf_counter() - start:.0f} s)")
    return 0


def _cmd_check_cpus(args: argparse.Namespace) -> int:
    from nbkit.emulate import compare_across_cpus
    from nbkit.paths import project_paths
    from nbkit.run import parse_parameters

    configs = args.config or ["native", "avx2", "generic"]
    table = compare_across_cpus([str(p) for p in project_paths(args.paths)], configs,
                                parse_parameters(args.parameter))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nbkit", description="Research notebook kit: corpus loading and analysis.")
    parser.add_argument("--version", action="version", version=f"nbkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="load paper listings into a papers table, a listings table and a report")
    load.add_argument("paths", nargs="+", help="files or directories (walked recursively)")
    load.add_argument("--out", help="papers table to write (.parquet); listings go beside it")
    load.add_argument("--listings", help="listings table to write (default: <out>.listings.parquet)")
    load.add_argument("--report", help="load report to write (.json)")
    from nbkit.sources import FORMATS

    load.add_argument("--format", default="auto", help=f"auto (detect from content) or one of {', '.join(FORMATS)}")
    load.add_argument("--reference-year", type=int, help="year for HF dates written without one (default: infer)")
    load.add_argument("--collection", action="append", metavar="OLD=NEW", help="rename a collection")
    load.add_argument("--column", action="append", metavar="FIELD=COLUMN",
                      help="map a source column to a field (title, abstract, date, authors, ...)")
    load.add_argument("--skip-bad-files", action="store_true",
                      help="list unreadable files in the report and go on, instead of stopping")
    load.set_defaults(func=_cmd_load)

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

    schema = sub.add_parser("schema", help="print the papers and listings schema as Markdown")
    schema.set_defaults(func=_cmd_schema)

    warm = sub.add_parser("warm-up", help="compile UMAP's numba code into its on-disk cache and export the default "
                                          "embedding model to ONNX (once; make does it at setup)")
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
    check.set_defaults(func=_cmd_check_cpus)

    emulate = sub.add_parser("emulate-cpu", help="run a command with the settings that emulate another CPU "
                                                 "(fresh numba and nbkit caches)")
    emulate.add_argument("name", choices=list(CPU_CONFIGS))
    emulate.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    emulate.set_defaults(func=_cmd_emulate_cpu)
    return parser


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
