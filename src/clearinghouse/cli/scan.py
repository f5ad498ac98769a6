"""``clearinghouse scan``: what in these SBOMs/lockfiles is vulnerable, and what to upgrade to."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer


class ScanFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    cyclonedx_vex = "cyclonedx-vex"


def scan(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="SBOMs (CycloneDX, SPDX) or lockfiles to scan, or folders holding them.",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        ScanFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ScanFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    include_dev: Annotated[
        bool, typer.Option("--include-dev/--no-dev", help="Scan development-only dependencies.")
    ] = True,
    recursive: Annotated[
        bool,
        typer.Option(
            "--recursive",
            "-r",
            help="In folders, also scan sub-folders (not hidden ones, node_modules or vendor).",
        ),
    ] = False,
) -> None:
    """Scan inventories against the knowledge base.

    A folder stands for the SBOMs and lockfiles in it, recognised by their file names.
    Exit status: 0 nothing vulnerable, 1 something is vulnerable, 2 bad input.
    """
    from clearinghouse.advisories.matching import Matcher
    from clearinghouse.advisories.scan_report import ScannedSource, scan_document
    from clearinghouse.cli._database import open_or_exit
    from clearinghouse.inventories.files import read_inventory_file
    from clearinghouse.settings import get_settings

    settings = get_settings()
    components = []
    origins: list[str | None] = []
    sources: list[ScannedSource] = []
    for path in _expand_folders(files, recursive):
        inventory = read_inventory_file(path, settings.max_input_bytes)
        chosen = [c for c in inventory.components if include_dev or not c.dev]
        components.extend(chosen)
        origins.extend([str(path)] * len(chosen))
        sources.append(
            ScannedSource(str(path), inventory.format, len(chosen), tuple(inventory.warnings))
        )
    db = open_or_exit()
    try:
        results = Matcher(db).scan(components, origins)
    finally:
        db.dispose()
    document = scan_document(results, sources)
    _emit(document, output_format, output)
    raise typer.Exit(1 if document["summary"]["vulnerable_components"] else 0)


def _expand_folders(paths: list[Path], recursive: bool) -> list[Path]:
    from clearinghouse.formats.errors import InputError
    from clearinghouse.inventories.files import inventory_files_in

    expanded: list[Path] = []
    for path in paths:
        if not path.is_dir():
            expanded.append(path)
            continue
        found = inventory_files_in(path, recursive=recursive)
        if not found:
            hint = "" if recursive else " (--recursive looks in its sub-folders too)"
            raise InputError(str(path), f"holds no SBOM or lockfile Clearinghouse knows{hint}")
        expanded.extend(found)
    return expanded


def _emit(document: dict[str, Any], output_format: ScanFormat, output: Path | None) -> None:
    import orjson

    if output_format is ScanFormat.table:
        _table(document, output)
        return
    if output_format is ScanFormat.json:
        payload = document
    elif output_format is ScanFormat.sarif:
        from clearinghouse.formats.sarif import sarif_from_scan

        payload = sarif_from_scan(document)
    else:
        from clearinghouse.formats.cyclonedx_vex import vex_from_scan

        payload = vex_from_scan(document)
    text = orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


def _table(document: dict[str, Any], output: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=output.open("w", encoding="utf-8") if output else None, highlight=False)
    for source in document["sources"]:
        for warning in source["warnings"]:
            Console(stderr=True).print(
                f"[yellow]warning:[/] {source['path']}: {warning}", soft_wrap=True
            )
    vulnerable = [c for c in document["components"] if c["vulnerabilities"]]
    summary = document["summary"]
    if vulnerable:
        table = Table(title="Vulnerable components", title_justify="left")
        table.add_column("package", overflow="fold")
        table.add_column("version", overflow="fold")
        table.add_column("advisories", overflow="fold", ratio=2)
        table.add_column("worst", no_wrap=True)
        table.add_column("KEV", no_wrap=True)
        table.add_column("upgrade to", overflow="fold")
        for c in sorted(vulnerable, key=_priority, reverse=True):
            vulns = sorted(c["vulnerabilities"], key=_advisory_priority, reverse=True)
            ids = [v["id"] for v in vulns]
            shown = ", ".join(ids[:3]) + (f" +{len(ids) - 3} more" if len(ids) > 3 else "")
            table.add_row(
                f"{c['ecosystem']}/{c['name']}",
                c["version"] or "",
                f"{len(ids)}: {shown}",
                _worst_label(vulns),
                "yes" if any(v["kev"] for v in vulns) else "",
                c["remediation"] or "no fix known",
            )
        console.print(table)
    console.print(
        f"{summary['components']} components scanned: "
        f"{summary['vulnerable_components']} vulnerable, "
        f"{summary['vulnerabilities']} advisories ({summary['kev']} in CISA KEV), "
        f"{summary['without_remediation']} without a known fix."
    )


_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}


def _advisory_priority(v: dict[str, Any]) -> tuple[bool, float, int]:
    return (v["kev"], v["max_score"] or 0.0, _RANK.get(v["severity_rating"] or "", 0))


def _priority(component: dict[str, Any]) -> tuple[bool, float, int, int]:
    worst = max(_advisory_priority(v) for v in component["vulnerabilities"])
    return (*worst, len(component["vulnerabilities"]))


def _worst_label(vulns: list[dict[str, Any]]) -> str:
    rated = [v for v in vulns if v["max_score"] is not None or v["severity_rating"]]
    if not rated:
        return "unrated"
    worst = max(rated, key=_advisory_priority)
    score = f" {worst['max_score']:.1f}" if worst["max_score"] is not None else ""
    return f"{(worst['severity_rating'] or '').lower()}{score}".strip()
