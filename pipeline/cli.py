"""The `povexit` command: generate synthetic batches, run batches through Dagster, report.

Exit codes of `povexit run`: 0 published; 1 a blocking check failed (nothing published);
2 unusable input or arguments; 3 an unexpected internal error (rerun with --debug).
Every failure prints one line; a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import logging
import os
import sys
import tempfile
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipeline import settings
from pipeline.errors import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_PUBLISHED,
    InputError,
)

DEBUG_HELP = "show tracebacks and Dagster logs"
# `povexit report`: the forms and languages of pipeline.brief (spelled here: --help stays fast)
REPORT_FORMATS = ("text", "md", "html", "xlsx")
REPORT_LANGS = ("en", "zh")
# `povexit generate`: the forms and header languages of pipeline.convert, spelled here too:
# importing it takes a quarter of a second, which every other command (and --help) would wait
# for. (`povexit run` imports pyarrow anyway, for its readers.)
GENERATE_FORMATS = ("csv", "csv-gb18030", "csv-gz", "xlsx")
GENERATE_HEADERS = ("en", "zh")


def _version() -> str:
    try:
        return version("povexit")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="povexit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--version", action="version", version=f"povexit {_version()}")
    # `--debug` is also accepted after the subcommand, where one naturally adds it when rerunning.
    # Its default is SUPPRESS there, so a subcommand without it keeps the value given before it.
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser(
        "generate", parents=[debug], help="write a synthetic raw batch, or the province's history"
    )
    # Exactly one of --batch and --history; checked in _generate, so a mistake is one line.
    generate.add_argument(
        "--batch",
        help="batch id: guizhou-2016 .. guizhou-2020 (the rounds of the history); any other "
        "id gets the 2020 Guizhou round",
    )
    generate.add_argument(
        "--history",
        action="store_true",
        help="the five rounds guizhou-2016 .. guizhou-2020 of one synthetic province",
    )
    generate.add_argument("--scale", type=float, default=0.01, help="share of full size")
    generate.add_argument("--seed", type=int, default=2020)
    generate.add_argument("--out", help="raw folder to write into (default: the raw folder)")
    generate.add_argument(
        "--format", default="csv", choices=GENERATE_FORMATS, help="file form, as real exports come"
    )
    generate.add_argument(
        "--headers", default="en", choices=GENERATE_HEADERS, help="zh: Chinese headers and values"
    )

    run = commands.add_parser(
        "run", parents=[debug], help="materialise batches and publish their marts"
    )
    run.add_argument("--batch", action="append", help="batch id (repeatable; default: all)")
    run.add_argument("--raw", help="raw folder (default: $POVEXIT_RAW_DIR or data/raw)")
    run.add_argument("--marts", help="marts folder (default: $POVEXIT_MARTS_DIR or data/marts)")

    report = commands.add_parser(
        "report",
        parents=[debug],
        help="a batch's findings: text or markdown to stdout, an html page or an xlsx workbook",
    )
    report.add_argument("--batch", required=True)
    report.add_argument("--marts", help="marts folder (default: $POVEXIT_MARTS_DIR or data/marts)")
    report.add_argument(
        "--format",
        default="text",
        choices=REPORT_FORMATS,
        help="text and md print to stdout; html and xlsx are written to "
        "<marts>/briefs/<batch>.<lang>.<ext> (default: text)",
    )
    report.add_argument("--lang", default="en", choices=REPORT_LANGS, help="default: en")
    report.add_argument("--out", help="write to this file instead (its path is printed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error argparse already printed
        return done.code if isinstance(done.code, int) else EXIT_INPUT
    if not args.debug:
        warnings.filterwarnings("ignore")
        logging.getLogger("dagster").setLevel(logging.CRITICAL)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "run":
            return _run(args)
        return _report(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # Ctrl-C before or after the runs: nothing was published by it
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader stopped reading (`povexit report ... | head`): the work is done, and
        # Python must not complain again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PUBLISHED
    except Exception as error:  # an unexpected fault, not the user's: say so in one line
        if args.debug:
            raise
        print(f"internal error: {error.__class__.__name__} (rerun with --debug)", file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    """The `povexit` console script: `main`, then an exit without the interpreter's teardown."""
    # Importing Dagster and SQLAlchemy allocates enough to trigger hundreds of collections
    # that find nothing to free. Each command turns collection back on once its imports are
    # done (`run` in pipeline.runner, where Dagster's instance exists).
    gc.disable()
    _exit_now(main())


def _exit_now(code: int) -> None:
    """Exit with `code` once the output is flushed and the atexit handlers (logging's flush,
    multiprocessing's finalizers) have run, skipping the tear-down of every loaded module
    (over half a second after a run): by now every connection and lock has been released."""
    for stream in (sys.stdout, sys.stderr):
        # A reader that has gone (`povexit run | head`), or a stream closed before the command
        # started (`>&-`: Python sets it to None), is no error: the work is done.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


# The smallest scale at which the five rounds give SPEC section 5's figures (tested at 0.002).
MIN_HISTORY_SCALE = 0.001


def _generate(args) -> int:
    from pipeline.convert import convert_batch
    from pipeline.generate import HISTORY_BATCHES, generate_batch, generate_history
    from pipeline.generate.writer import batch_folder

    gc.enable()  # off for the imports (`entry`); a large batch makes garbage worth collecting
    if args.history and args.batch is not None:
        raise InputError("--batch and --history are mutually exclusive: give one of them")
    if not args.history and args.batch is None:
        raise InputError("generate needs --batch ID (one round) or --history (all five rounds)")
    if args.batch is not None:
        settings.check_batch_id(args.batch)
    if not 0 < args.scale <= 1:
        raise InputError(f"--scale must be in (0, 1], found {args.scale}")
    if args.history and args.scale < MIN_HISTORY_SCALE:
        # Below it a round's few interviews cannot hold the history's figures (SPEC section
        # 5): a 2017 county may fail, or no wrong exit be found.
        raise InputError(
            f"--history needs --scale {MIN_HISTORY_SCALE:g} or more, found {args.scale:g}"
        )
    out = Path(args.out) if args.out else settings.raw_dir()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder (it is a file)")
    batches = list(HISTORY_BATCHES) if args.history else [args.batch]

    def write(raw: Path) -> list[Path]:
        if args.history:
            return generate_history(raw, scale=args.scale, seed=args.seed)
        return [generate_batch(args.batch, raw, scale=args.scale, seed=args.seed)]

    try:
        if (args.format, args.headers) == ("csv", "en"):
            folders = write(out)
        else:
            with tempfile.TemporaryDirectory(dir=out.parent if out.exists() else None) as tmp:
                canonical = write(Path(tmp))
                # Converted in hidden folders renamed into place: no reader sees half a batch.
                for batch, source in zip(batches, canonical, strict=True):
                    with batch_folder(out, batch) as work:
                        convert_batch(source, work, args.format, args.headers)
                folders = [out / batch for batch in batches]
    except ValueError as error:
        raise InputError(str(error)) from None
    for folder in folders:
        print(f"wrote {folder}")
    return EXIT_PUBLISHED


def _run(args) -> int:
    raw, marts = settings.raw_dir(args.raw), settings.marts_dir(args.marts)
    if args.batch and len(args.batch) == 1:
        # Started before Dagster is imported: the raw step's reads of the batch's files run
        # on the core the imports leave idle (`pipeline.prefetch`).
        from pipeline import prefetch

        batch_dir = raw / settings.check_batch_id(args.batch[0])
        if batch_dir.is_dir():
            prefetch.start(batch_dir, screens=True)
    from pipeline.runner import run_batches

    return run_batches(raw, marts, args.batch, debug=args.debug)


def _report(args) -> int:
    from pipeline.brief.output import report

    gc.enable()  # off for the imports (`entry`)
    settings.check_batch_id(args.batch)
    out = Path(args.out) if args.out else None
    return report(settings.marts_dir(args.marts), args.batch, args.format, args.lang, out)


if __name__ == "__main__":
    entry()
