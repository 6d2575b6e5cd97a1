"""Fixture sites as WARCs: ``python -m newscrawl.tools.fixtures pack MANIFEST OUT`` packs one (files
and a JSON manifest of URL, status and headers, or one that ``extends`` another with changed files:
the same site later) into a WARC the crawl replays (newscrawl/crawl/archive.py);
``python -m newscrawl.tools.fixtures list ARCHIVE`` shows what an archive holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.warcwriter import WARCWriter

from newscrawl.crawl.archive import WarcArchive, write_response_record


def load_manifest(manifest_path: Path) -> dict[str, Any]:
    """A fixture manifest; one with ``"extends": "site.json"`` is that site at a later moment: the base
    records at its own ``date``, with its ``changes`` ({file, replace: [old, new]}: that text of the
    file replaced once) applied when packed."""
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if "extends" not in manifest:
        return manifest
    base = load_manifest(manifest_path.parent / manifest["extends"])
    changes = {change["file"]: change["replace"] for change in manifest.get("changes", [])}
    unused = changes.keys() - {entry.get("file") for entry in base["records"]}
    if unused:
        raise ValueError(f"{manifest_path}: changes to files no record serves: {sorted(unused)}")
    records = [
        {**entry, "replace": changes[entry["file"]]} if entry.get("file") in changes else entry
        for entry in base["records"]
    ]
    return {**base, "date": manifest.get("date", base["date"]), "records": records}


def _record_body(base: Path, entry: dict[str, Any]) -> bytes:
    body = (base / entry["file"]).read_bytes() if entry.get("file") else b""
    if "replace" in entry:
        old, new = entry["replace"]
        text = body.decode("utf-8")
        if old not in text:
            raise ValueError(f"{entry['file']}: no {old!r} to replace (the change no longer fits the page)")
        body = text.replace(old, new, 1).encode("utf-8")
    return body


def fixture_problems(manifest_path: Path, manifest: dict[str, Any]) -> list[str]:
    """What makes a fixture site unusable, one line each: a host without a robots.txt record (the
    crawl asks every host for one first), a file a record names that is not there, an expected item
    (expected/<page>.json beside the manifest) whose page site/<page>.html is not served at its URL,
    or that links an article the archive does not hold (the crawl follows it and finds nothing)."""
    base = manifest_path.parent
    problems: list[str] = []
    served = {entry["url"]: entry for entry in manifest["records"] if not entry.get("rendered")}
    parts = [urlsplit(url) for url in served]
    with_robots = {part.netloc for part in parts if part.path == "/robots.txt"}
    for host in sorted({part.netloc for part in parts} - with_robots):
        problems.append(f"no record of https://{host}/robots.txt (every host the crawl asks needs one)")
    for entry in manifest["records"]:
        if entry.get("file") and not (base / entry["file"]).is_file():
            problems.append(f"{entry['url']}: its file {entry['file']} is not there")
    if manifest_path.name != "site.json":
        return problems  # expected items are of the site itself, not of a later capture
    for path in sorted((base / "expected").glob("*.json")):
        expected = json.loads(path.read_text("utf-8"))
        page = f"site/{path.stem}.html"
        entry = served.get(expected.get("url", ""))
        if entry is None or entry.get("file") != page:
            problems.append(f"expected/{path.name}: no record serves {page} at its url {expected.get('url')!r}")
        for link in expected.get("relatedUrls", []):
            if link not in served:
                problems.append(f"expected/{path.name}: links {link}, which the archive does not hold")
    return problems


def pack(manifest_path: Path, out_path: Path) -> int:
    """Pack a fixture site: a JSON manifest of records {url, status, file?, headers?, date?, rendered?} → one WARC.
    A fixture with problems (``fixture_problems``) is refused, every problem one line."""
    manifest = load_manifest(manifest_path)
    base = manifest_path.parent
    problems = fixture_problems(manifest_path, manifest)
    if problems:
        raise ValueError(f"{manifest_path}: not packed:\n" + "\n".join(f"  {line}" for line in problems))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out_path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for entry in manifest["records"]:
            body = _record_body(base, entry)
            date = datetime.fromisoformat(entry.get("date", manifest["date"]).replace("Z", "+00:00"))
            headers = [("Date", date.strftime("%a, %d %b %Y %H:%M:%S GMT"))]
            headers += list(entry.get("headers", {}).items())
            if (
                manifest.get("etags")
                and entry.get("status", 200) == 200
                and body
                and "ETag" not in entry.get("headers", {})
            ):
                # A server with validators: the ETag changes exactly when the body does.
                headers.append(("ETag", '"' + hashlib.sha1(body).hexdigest()[:16] + '"'))
            headers.append(("Content-Length", str(len(body))))
            write_response_record(
                writer, entry["url"], entry.get("status", 200), headers, body, date, entry.get("rendered", False)
            )
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newscrawl.tools.fixtures", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    pack_cmd = commands.add_parser("pack", help="pack a fixture site manifest into a WARC")
    pack_cmd.add_argument("manifest", type=Path)
    pack_cmd.add_argument("out", type=Path)
    list_cmd = commands.add_parser("list", help="list the responses in WARC file(s)")
    list_cmd.add_argument("archive")
    args = parser.parse_args(argv)
    if args.command == "pack":
        try:
            count = pack(args.manifest, args.out)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"packed {count} responses into {args.out}")
    else:
        archive = WarcArchive.open(args.archive)
        for url, rendered in sorted(archive.index):
            record = archive.get(url, rendered)
            assert record is not None  # listed in the index
            print(record["status"], record["url"], "(rendered)" if rendered else "")
        archive.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
