"""``clearinghouse findings``: submit reports, import EPSS, read the triage queue, triage.

The command line acts for one organization (``--org``) with the admin role: it is the
operator's own shell, like ``clearinghouse org`` and ``token``. Triage commands need that
organization to be a coordinator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearinghouse.cli._console import (
    OutputFormat,
    err_console,
    out_console,
    print_error,
    print_json,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clearinghouse.participants.service import Principal

app = typer.Typer(help="Findings intake, deduplication and triage.", no_args_is_help=True)

OrgOption = Annotated[str, typer.Option("--org", help="Organization name or id acting.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]


def _principal(session: Session, org: str) -> Principal:
    from clearinghouse.participants.models import OrganizationKind, Role
    from clearinghouse.participants.service import ParticipantError, Principal, find_organization

    try:
        organization = find_organization(session, org)
    except ParticipantError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    from clearinghouse.audit import Actor

    return Principal(
        organization_id=organization.id,
        organization_kind=OrganizationKind(organization.kind),
        role=Role.admin,
        actor=Actor.cli().name,
    )


@app.command("submit")
def submit_command(
    files: Annotated[list[Path], typer.Argument(help="Reports: SARIF, OSV, CSAF, CVE 5, native.")],
    org: OrgOption,
    atomic: Annotated[
        bool, typer.Option(help="Store nothing from a file with a bad finding.")
    ] = False,
    tlp: Annotated[
        str | None,
        typer.Option(
            "--tlp",
            help="TLP 2.0 marking of every finding: CLEAR, GREEN, AMBER, AMBER+STRICT, RED "
            "(default: the report's own, else AMBER).",
        ),
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Submit finding reports; each file is one submission (one transaction)."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.findings.intake import BatchRejected, DedupSettings, submit
    from clearinghouse.formats.errors import InputError
    from clearinghouse.formats.safety import check_size
    from clearinghouse.formats.tlp import parse_tlp
    from clearinghouse.settings import get_settings

    if tlp is not None:
        try:
            tlp = parse_tlp(tlp).value
        except ValueError as exc:
            print_error(f"--tlp: {exc}")
            raise typer.Exit(2) from None
    settings = get_settings()
    db = _open()
    results: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            check_size(str(path), path.stat().st_size, settings.max_input_bytes)
            data = path.read_bytes()
            with db.session() as session:
                report = submit(
                    session,
                    _principal(session, org),
                    data,
                    source=path.name,
                    atomic=atomic,
                    max_findings=settings.finding_max_batch,
                    max_attachment_bytes=settings.finding_max_attachment_bytes,
                    dedup=DedupSettings(
                        settings.dedup_near_threshold,
                        settings.dedup_known_threshold,
                        settings.dedup_cwe_penalty,
                    ),
                    tlp=tlp,
                )
            results.append(
                {"file": str(path), **report.as_dict(details=output is OutputFormat.json)}
            )
        except BatchRejected as exc:
            failed = True
            results.append(
                {
                    "file": str(path),
                    "error": exc.reason,
                    "rejected": [{"index": r.index, "reason": r.reason} for r in exc.rejected],
                }
            )
        except (InputError, OSError) as exc:
            failed = True
            results.append({"file": str(path), "error": str(exc)})
    if output is OutputFormat.json:
        print_json(results)
    else:
        for result in results:
            if "error" in result:
                print_error(f"{result['file']}: {result['error']}")
                continue
            out_console.print(
                f"{result['file']}: {result['format']}, {result['accepted']} accepted, "
                f"{len(result['rejected'])} rejected, {result['new_vulnerabilities']} new "
                f"vulnerabilities ({result['seconds']} s)"
            )
            for rejected in result["rejected"][:20]:
                err_console.print(f"  finding {rejected['index']}: {rejected['reason']}")
    if failed:
        raise typer.Exit(2)


@app.command("import-epss")
def import_epss(
    file: Annotated[Path, typer.Argument(help="FIRST EPSS CSV (epss_scores-YYYY-MM-DD.csv[.gz]).")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Replace the stored EPSS scores with a FIRST-format CSV."""
    from clearinghouse.audit import Actor
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.findings.epss import parse_epss, store_epss

    catalog = parse_epss(str(file), file.read_bytes())
    db = _open()
    with db.session() as session:
        result = store_epss(session, Actor.cli(), catalog, str(file))
    data = {
        "scores": result.scores,
        "model_version": result.model_version,
        "score_date": result.score_date.isoformat() if result.score_date else None,
    }
    if output is OutputFormat.json:
        print_json(data)
    else:
        out_console.print(
            f"{data['scores']} EPSS scores imported (model {data['model_version']}, "
            f"{data['score_date']})"
        )


@app.command("queue")
def queue(
    org: OrgOption,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    output: FormatOption = OutputFormat.table,
) -> None:
    """The triage queue, most urgent first, with the factors behind each rank."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.findings.priority import load_weights, triage_queue
    from clearinghouse.findings.workflow import NotVisible, require_triager
    from clearinghouse.settings import get_settings

    db = _open()
    with db.session() as session:
        try:
            require_triager(_principal(session, org))
        except NotVisible:
            print_error("the triage queue is for the clearinghouse's coordinators (--org)")
            raise typer.Exit(2) from None
        data = triage_queue(
            session, weights=load_weights(get_settings().triage_weights), limit=limit
        )
    if output is OutputFormat.json:
        print_json(data)
        return
    from rich.table import Table

    table = Table("rank", "id", "state", "SSVC", "CVSS", "KEV", "EPSS", "exposed", "score", "title")
    for row in data["vulnerabilities"]:
        factors = row["factors"]
        epss = factors["epss"]
        table.add_row(
            str(row["rank"]),
            row["id"],
            row["state"],
            factors["ssvc"]["decision"],
            str(factors["cvss"]["best"] or ""),
            "yes" if factors["kev"] else "",
            f"{epss['score']:.3f}" if epss else "",
            f"{factors['exposure']['operators']} org / {factors['exposure']['systems']} sys",
            f"{row['score']:.1f}",
            row["title"][:60],
        )
    out_console.print(table)
    out_console.print(f"{data['total']} open vulnerabilities")


@app.command("move")
def move_command(
    vulnerability: Annotated[str, typer.Argument(help="Vulnerability id (x_CHS-...).")],
    to: Annotated[
        str, typer.Option("--to", help="triaged, validated, duplicate, invalid, known, published.")
    ],
    evidence: Annotated[str, typer.Option(help="What was checked, and how.")],
    org: OrgOption,
    duplicate_of: Annotated[
        str | None, typer.Option(help="For duplicate: the vulnerability it repeats.")
    ] = None,
    advisory: Annotated[
        str | None, typer.Option(help="For known: the advisory it restates.")
    ] = None,
) -> None:
    """Move a vulnerability through triage (published: creates its OSV record)."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.findings.models import TriageState
    from clearinghouse.findings.workflow import NotVisible, TriageError, move

    try:
        state = TriageState(to)
    except ValueError:
        print_error(f"--to {to!r}: use one of " + ", ".join(s.value for s in TriageState))
        raise typer.Exit(2) from None
    db = _open()
    try:
        with db.session() as session:
            result = move(
                session,
                _principal(session, org),
                vulnerability,
                state,
                evidence=evidence,
                duplicate_of=duplicate_of,
                advisory_id=advisory,
            )
            out_console.print(f"{result.vulnerability.id}: {result.vulnerability.state}")
    except (NotVisible, TriageError) as exc:
        print_error(
            str(exc)
            if isinstance(exc, TriageError)
            else f"no vulnerability {vulnerability} for you"
        )
        raise typer.Exit(2) from None


@app.command("mark")
def mark_command(
    finding: Annotated[int, typer.Argument(help="Finding id.")],
    tlp: Annotated[str, typer.Argument(help="CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")],
    evidence: Annotated[str, typer.Option(help="Why, and who agreed (kept in the audit log).")],
    org: OrgOption,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Re-mark a finding's TLP (a coordinator: any finding; a submitter: its own)."""
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.findings.workflow import NotAllowed, NotVisible, TriageError, remark
    from clearinghouse.formats.tlp import parse_tlp

    try:
        marking = parse_tlp(tlp)
    except ValueError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    db = _open()
    try:
        with db.session() as session:
            result = remark(session, _principal(session, org), finding, marking, evidence=evidence)
            data = result.as_dict()
    except (NotVisible, NotAllowed, TriageError) as exc:
        print_error(f"no finding {finding} for you" if isinstance(exc, NotVisible) else str(exc))
        raise typer.Exit(2) from None
    if output is OutputFormat.json:
        print_json(data)
    else:
        out_console.print(
            f"finding {data['id']}: TLP:{data['previous_tlp']} -> TLP:{data['tlp']}; "
            f"{data['vulnerability_id']} is TLP:{data['vulnerability_tlp']}"
        )
