"""The `newscrawl` command (also `python -m newscrawl`): one module per command in newscrawl/tools/commands/.

    newscrawl schedule --every 15m nu wnl     keep scheduling crawls on Scrapyd (Scrapyd has no cron)
    newscrawl schedule --once nu              one tick: for a systemd timer or a cron line
    newscrawl validate FILE…                  every line well-formed and valid against the schema?
    newscrawl stats FILE… [--plot out.png]    counts per site, section and day; coverage; date range
    newscrawl merge FILE… -o OUT              one dataset: the latest revision of each article
    newscrawl export FILE… -o OUT.parquet     typed Parquet (or .csv) for pandas, DuckDB, Polars
    newscrawl clusters FILE… -o OUT.jsonl     near-identical articles grouped across sites and days
    newscrawl backfill WARC… -o DIR           the registered sites' articles in web archives, a dataset per site
    newscrawl check-run MANIFEST…             exit 1 when a run failed (layout change, unaccounted URLs)
    newscrawl schema-doc                      the fields table generated from the schema
    newscrawl settings-doc                    the settings reference generated from the settings module
    newscrawl sites                           the registered sites (one per line: name, host, title)
    newscrawl runs DATA_DIR [--html R.html]   every scheduled job's outcome, from the run log (and as a page)

A command module has ``add_to(commands)`` (its arguments, an argparse sub-parser whose handler is
the module's ``run``) and ``run(options) -> exit status``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from newscrawl.tools.commands import (
    backfill,
    check_run,
    clusters,
    coverage,
    export,
    merge,
    runs,
    schedule,
    schema_doc,
    settings_doc,
    sites,
    stats,
    validate,
)

# In the order `newscrawl --help` lists them.
COMMANDS = (
    schedule,
    validate,
    stats,
    merge,
    export,
    clusters,
    coverage,
    backfill,
    check_run,
    schema_doc,
    settings_doc,
    runs,
    sites,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscrawl", description="newscrawl: Dutch news crawlers and their datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_to(commands)
    for sub in commands.choices.values():
        if not any("--sites-file" in action.option_strings for action in sub._actions):
            # Every command knows the declared sites: a dataset of one is valid, its spider schedulable.
            sub.add_argument(
                "--sites-file",
                metavar="TOML",
                help="a file of declared sites (default: the project's SITES_FILE setting, env NEWSCRAWL_SITES_FILE)",
            )
    return parser


def register_sites_file(options: argparse.Namespace) -> bool:
    """The declared sites registered beside the packages'; False (and why, on stderr) for a wrong file."""
    from scrapy.utils.project import get_project_settings

    from newscrawl.extract.declared import SitesFileError, use_sites_file

    try:
        use_sites_file(options.sites_file or get_project_settings().get("SITES_FILE") or None)
    except SitesFileError as error:
        print(f"newscrawl: refused: sites file\n{error}", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("newscrawl").setLevel(logging.INFO)
    options = build_parser().parse_args(argv)
    if not register_sites_file(options):
        return 2
    try:
        return options.handler(options)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `newscrawl stats … | head`
        return 0
    except Exception as exc:  # noqa: BLE001 (the last guard: a message, not a traceback)
        if os.environ.get("NEWSCRAWL_DEBUG"):
            raise
        print(
            f"newscrawl {options.command}: {type(exc).__name__}: {exc} (NEWSCRAWL_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
