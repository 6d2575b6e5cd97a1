"""`newscrawl sites`: the registered sites, one per line (name, host, title): the packages under
newscrawl/sites/ and the sites the SITES_FILE declares."""

from __future__ import annotations

from newscrawl.extract.registry import sites


def add_to(commands) -> None:
    listing = commands.add_parser(
        "sites",
        help="list the registered sites (newscrawl/sites/<name>/ and the SITES_FILE's)",
        description="One line per registered site: its name (the spider), canonical host and title. --names: names only.",
    )
    listing.add_argument("--names", action="store_true", help="only the names, one per line (for shell loops)")
    listing.add_argument(
        "--sites-file",
        metavar="TOML",
        help="a file of declared sites (default: the project's SITES_FILE setting); checked, every mistake one line",
    )
    listing.set_defaults(handler=run)


def run(options) -> int:
    # The declared sites are registered (and a wrong file refused) by the `newscrawl` command itself.
    for site in sites().values():
        print(site.name if options.names else f"{site.name}\t{site.host}\t{site.title}")
    return 0
