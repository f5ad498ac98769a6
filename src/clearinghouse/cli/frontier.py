"""``clearinghouse frontier``: the covered-frontier-model program from the shell.

Every command acts as the principal of an API token (``--token`` or ``CLEARINGHOUSE_TOKEN``),
so the command line sees and changes exactly what that token could through the API: designation
rules, for instance, do not exist for a token without the designation clearance.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from clearinghouse.cli._console import OutputFormat, out_console, print_error, print_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clearinghouse.participants.service import Principal

T = TypeVar("T")

app = typer.Typer(
    help="Covered-frontier-model program: registry, evaluations, designation, engagements, "
    "defensive access, incidents.",
    no_args_is_help=True,
)
model_app = typer.Typer(help="Models, versions, aliases and ML-BOM export.", no_args_is_help=True)
eval_app = typer.Typer(help="Inspect AI evaluation logs.", no_args_is_help=True)
rule_app = typer.Typer(help="Designation rules (designation clearance).", no_args_is_help=True)
designation_app = typer.Typer(help="Proposals and designations.", no_args_is_help=True)
engagement_app = typer.Typer(help="Pre-release engagements.", no_args_is_help=True)
access_app = typer.Typer(
    help="Defensive-access catalogue, applications, grants.", no_args_is_help=True
)
incident_app = typer.Typer(help="Incident reports and referrals.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(eval_app, name="eval")
app.add_typer(rule_app, name="rule")
app.add_typer(designation_app, name="designation")
app.add_typer(engagement_app, name="engagement")
app.add_typer(access_app, name="access")
app.add_typer(incident_app, name="incident")

Format = Annotated[OutputFormat, typer.Option("--format", "-f")]
_TOKEN: dict[str, str | None] = {"token": None}


@app.callback()
def _token(
    token: Annotated[
        str | None,
        typer.Option(
            envvar="CLEARINGHOUSE_TOKEN", help="API token to act as (or CLEARINGHOUSE_TOKEN)."
        ),
    ] = None,
) -> None:
    _TOKEN["token"] = token


@contextmanager
def _acting() -> Iterator[tuple[Session, Principal]]:
    from clearinghouse.cli._database import open_or_exit as _open
    from clearinghouse.participants.service import authenticate

    token = _TOKEN["token"]
    if not token:
        print_error("give an API token: --token chs_... or CLEARINGHOUSE_TOKEN")
        raise typer.Exit(2)
    db = _open()
    with db.session() as session:
        principal = authenticate(session, token)
        if principal is None:
            print_error("the token is unknown, expired or revoked")
            raise typer.Exit(2)
        yield session, principal


def _run(action: Callable[[Session, Principal], T]) -> T:
    """Run a service as the token's principal; errors become a message and exit code 2."""
    from clearinghouse.formats.errors import InputError
    from clearinghouse.frontier.common import FrontierError

    try:
        with _acting() as (session, principal):
            return action(session, principal)
    except FrontierError as exc:
        print_error(exc.message)
        raise typer.Exit(2) from None
    except InputError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None


def _jsonable(value: Any) -> Any:
    import orjson

    from clearinghouse.formats.osv import format_timestamp

    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        raise TypeError(type(obj).__name__)

    return orjson.loads(orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS))


def _show(data: Any, output: OutputFormat, columns: tuple[str, ...] = ()) -> None:
    data = _jsonable(data)
    if output is OutputFormat.json:
        print_json(data)
        return
    from rich.table import Table

    if isinstance(data, list):
        keys = columns or (tuple(data[0]) if data else ())
        table = Table(*keys)
        for row in data:
            table.add_row(*(_cell(row.get(k)) for k in keys))
        out_console.print(table)
        return
    table = Table("field", "value", show_header=False)
    for key, value in data.items():
        table.add_row(key, _cell(value))
    out_console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        import orjson

        return orjson.dumps(value).decode()
    return str(value)


def _when(value: str | None) -> datetime | None:
    """ISO date or date-time; a date means midnight UTC; a time without zone means UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        print_error(f"{value!r} is not an ISO date or date-time (2026-07-01 or 2026-07-01T12:00Z)")
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _settings() -> Any:
    from clearinghouse.settings import get_settings

    return get_settings()


# -- models --------------------------------------------------------------------------------------


@model_app.command("create")
def model_create(
    name: str,
    description: Annotated[str, typer.Option()] = "",
    output: Format = OutputFormat.table,
) -> None:
    """Register a model (AI-developer tokens)."""
    from clearinghouse.frontier import registry

    _show(
        _run(
            lambda s, p: registry.model_snapshot(
                registry.create_model(s, p, name, description=description)
            )
        ),
        output,
    )


@model_app.command("list")
def model_list(output: Format = OutputFormat.table) -> None:
    """Models this token may see."""
    from clearinghouse.frontier import registry

    rows = _run(lambda s, p: [registry.model_snapshot(m) for m in registry.list_models(s, p)])
    _show(rows, output, ("id", "organization_id", "name", "description"))


@model_app.command("share")
def model_share(
    model_id: int,
    evaluator_id: Annotated[int, typer.Option("--evaluator", help="Evaluator organization id.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Stop sharing instead.")] = False,
) -> None:
    """Share a model with an evaluator organization (or stop)."""
    from clearinghouse.frontier import registry

    _run(lambda s, p: registry.share_with_evaluator(s, p, model_id, evaluator_id, share=not revoke))
    out_console.print(
        f"model {model_id}: {'unshared from' if revoke else 'shared with'} {evaluator_id}"
    )


@model_app.command("version")
def version_create(
    model_id: int,
    card: Annotated[
        Path | None, typer.Option(help="Model card as JSON (fields of the API's ModelCard).")
    ] = None,
    label: Annotated[str, typer.Option()] = "",
    planned_release: Annotated[str | None, typer.Option(help="ISO date.")] = None,
    output: Format = OutputFormat.table,
) -> None:
    """Register the next version of a model with its card."""
    from pydantic import ValidationError

    from clearinghouse.frontier import registry
    from clearinghouse.frontier.registry import ModelCard

    try:
        parsed = ModelCard.model_validate_json(card.read_bytes()) if card else ModelCard()
    except (OSError, ValidationError) as exc:
        print_error(f"{card}: {exc}")
        raise typer.Exit(2) from None
    when = _when(planned_release)
    _show(
        _run(
            lambda s, p: registry.version_snapshot(
                registry.create_version(
                    s, p, model_id, parsed, label=label, planned_release_at=when
                )
            )
        ),
        output,
    )


@model_app.command("versions")
def version_list(model_id: int, output: Format = OutputFormat.table) -> None:
    """A model's versions."""
    from clearinghouse.frontier import registry

    rows = _run(
        lambda s, p: [registry.version_snapshot(v) for v in registry.list_versions(s, p, model_id)]
    )
    _show(rows, output, ("id", "number", "label", "planned_release_at"))


@model_app.command("alias")
def alias_set(model_id: int, alias: str, number: int) -> None:
    """Point ALIAS at version NUMBER."""
    from clearinghouse.frontier import registry

    _run(lambda s, p: registry.set_alias(s, p, model_id, alias, number))
    out_console.print(f"model {model_id}: {alias} -> version {number}")


@model_app.command("mlbom")
def mlbom(
    version_id: int,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
) -> None:
    """Export a version as a CycloneDX 1.6 ML-BOM."""
    import orjson

    from clearinghouse.frontier.export import version_mlbom

    document = _run(lambda s, p: version_mlbom(s, p, version_id))
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


# -- evaluations ---------------------------------------------------------------------------------


@eval_app.command("upload")
def eval_upload(
    version_id: int,
    log: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".eval or .json log")],
    output: Format = OutputFormat.table,
) -> None:
    """Upload an Inspect AI eval log for a model version (evaluator tokens)."""
    from clearinghouse.frontier import evaluations

    settings = _settings()
    _show(
        _run(
            lambda s, p: evaluations.evaluation_snapshot(
                evaluations.upload_evaluation(
                    s,
                    p,
                    version_id,
                    log.name,
                    log,
                    limit=settings.max_input_bytes,
                    archive_limit=settings.max_archive_bytes,
                )
            )
        ),
        output,
    )


@eval_app.command("list")
def eval_list(version_id: int, output: Format = OutputFormat.table) -> None:
    """A version's evaluations."""
    from clearinghouse.frontier import evaluations

    rows = _run(
        lambda s, p: [
            evaluations.evaluation_snapshot(e) | {"scores": e.scores}
            for e in evaluations.list_evaluations(s, p, version_id)
        ]
    )
    _show(rows, output, ("id", "task", "benchmark", "status", "completed_samples", "log_sha256"))


# -- designation ---------------------------------------------------------------------------------


@rule_app.command("list")
def rule_list(output: Format = OutputFormat.table) -> None:
    """Designation rules."""
    from clearinghouse.frontier import designation

    rows = _run(lambda s, p: [designation.rule_snapshot(r) for r in designation.list_rules(s, p)])
    _show(rows, output)


def _spec(
    name: str,
    benchmark: str,
    metric: str,
    operator: str,
    threshold: float,
    level: str,
    scorer: str | None,
    treat_as_crossed: bool,
    note: str,
) -> Any:
    from clearinghouse.frontier.designation import RuleLevel, RuleSpec

    if level not in {lv.value for lv in RuleLevel}:
        print_error("--level is alert or crossed")
        raise typer.Exit(2)
    return RuleSpec(
        name=name,
        benchmark=benchmark,
        metric=metric,
        operator=operator,
        threshold=threshold,
        level=RuleLevel(level),
        scorer=scorer,
        cannot_rule_out_as_crossed=treat_as_crossed,
        note=note,
    )


@rule_app.command("create")
def rule_create(
    name: Annotated[str, typer.Option()],
    benchmark: Annotated[str, typer.Option()],
    metric: Annotated[str, typer.Option()],
    operator: Annotated[str, typer.Option()],
    threshold: Annotated[float, typer.Option()],
    level: Annotated[str, typer.Option(help="alert or crossed")],
    scorer: Annotated[str | None, typer.Option()] = None,
    treat_as_crossed: Annotated[
        bool, typer.Option(help="Cannot rule out -> treat as crossed.")
    ] = False,
    note: Annotated[str, typer.Option()] = "",
    output: Format = OutputFormat.table,
) -> None:
    """Create a designation rule."""
    from clearinghouse.frontier import designation

    spec = _spec(
        name, benchmark, metric, operator, threshold, level, scorer, treat_as_crossed, note
    )
    _show(_run(lambda s, p: designation.rule_snapshot(designation.create_rule(s, p, spec))), output)


@rule_app.command("delete")
def rule_delete(rule_id: int) -> None:
    """Delete a designation rule."""
    from clearinghouse.frontier import designation

    _run(lambda s, p: designation.delete_rule(s, p, rule_id))
    out_console.print(f"rule {rule_id} deleted")


@designation_app.command("propose")
def propose(version_id: int) -> None:
    """Apply the rules to a version's evaluations (designation clearance)."""
    from clearinghouse.frontier import designation

    print_json(_jsonable(_run(lambda s, p: designation.propose(s, p, version_id))))


@designation_app.command("record")
def record(
    version_id: int,
    outcome: Annotated[str, typer.Option(help="covered or not_covered")],
    rationale: Annotated[str, typer.Option()],
) -> None:
    """Record the designation of a version (designation clearance)."""
    from clearinghouse.frontier import designation
    from clearinghouse.frontier.designation import Outcome

    if outcome not in {o.value for o in Outcome}:
        print_error("--outcome is covered or not_covered")
        raise typer.Exit(2)
    _run(lambda s, p: designation.record_designation(s, p, version_id, Outcome(outcome), rationale))
    out_console.print(f"version {version_id}: {outcome}")


@designation_app.command("show")
def designation_show(version_id: int, output: Format = OutputFormat.table) -> None:
    """A version's designation (the outcome; cleared tokens also see the rationale)."""
    from clearinghouse.frontier import designation

    _show(_run(lambda s, p: designation.designation_view(s, p, version_id)), output)


# -- engagements ---------------------------------------------------------------------------------


@engagement_app.command("open")
def engagement_open(
    version_id: int,
    planned_partner_release: Annotated[str | None, typer.Option(help="ISO date.")] = None,
    note: Annotated[str, typer.Option()] = "",
    output: Format = OutputFormat.table,
) -> None:
    """Open a pre-release engagement for one of your versions."""
    from clearinghouse.frontier import engagements

    when = _when(planned_partner_release)
    days = _settings().government_access_days

    def action(s: Session, p: Principal) -> dict[str, Any]:
        e = engagements.open_engagement(
            s, p, version_id, window_days=days, planned_partner_release_at=when, note=note
        )
        return engagements.engagement_view(s, p, e.id)

    _show(_run(action), output)


@engagement_app.command("show")
def engagement_show(engagement_id: int) -> None:
    """An engagement with its schedule, deadlines, reminders and history (JSON)."""
    from clearinghouse.frontier import engagements

    print_json(_jsonable(_run(lambda s, p: engagements.engagement_view(s, p, engagement_id))))


@engagement_app.command("list")
def engagement_list(output: Format = OutputFormat.table) -> None:
    """Engagements this token may see."""
    from clearinghouse.frontier import engagements

    def action(s: Session, p: Principal) -> list[dict[str, Any]]:
        rows = []
        for e in engagements.list_engagements(s, p):
            view = engagements.engagement_view(s, p, e.id)
            sched = view["schedule"]
            rows.append(
                {
                    "id": e.id,
                    "version_id": e.version_id,
                    "state": e.state,
                    "planned_partner_release_at": sched["planned_partner_release_at"],
                    "short_notice": sched["short_notice"],
                }
            )
        return rows

    _show(_run(action), output)


@engagement_app.command("move")
def engagement_move(
    engagement_id: int,
    to: Annotated[str, typer.Argument(help="The next state, released or withdrawn.")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Move your engagement to its next state (or release / withdraw it)."""
    from clearinghouse.frontier import engagements
    from clearinghouse.frontier.engagements import State

    if to not in {s.value for s in State}:
        print_error(f"unknown state {to!r}: one of {', '.join(s.value for s in State)}")
        raise typer.Exit(2)
    engagement = _run(
        lambda s, p: engagements.transition(s, p, engagement_id, State(to), note=note)
    )
    out_console.print(f"engagement {engagement_id}: {engagement.state}")


@engagement_app.command("acknowledge")
def engagement_acknowledge(
    engagement_id: int,
    terms: Annotated[list[str], typer.Argument(help="Terms, or 'all'.")],
) -> None:
    """Acknowledge protection terms of the access agreement."""
    from clearinghouse.frontier import engagements
    from clearinghouse.frontier.engagements import Term

    names = [t.value for t in Term] if terms == ["all"] else terms
    unknown = [t for t in names if t not in {x.value for x in Term}]
    if unknown:
        print_error(f"unknown term(s) {', '.join(unknown)}: {', '.join(t.value for t in Term)}")
        raise typer.Exit(2)

    def action(s: Session, p: Principal) -> None:
        for name in names:
            engagements.acknowledge_term(s, p, engagement_id, Term(name))

    _run(action)
    out_console.print(f"engagement {engagement_id}: acknowledged {', '.join(names)}")


# -- defensive access ----------------------------------------------------------------------------


@access_app.command("catalogue")
def access_catalogue(output: Format = OutputFormat.table) -> None:
    """Covered models and defensive tools open for applications."""
    from clearinghouse.frontier import access

    rows = _run(lambda s, p: [access.entry_snapshot(e) for e in access.catalogue(s, p)])
    _show(rows, output, ("id", "kind", "name", "organization_id", "open"))


@access_app.command("apply")
def access_apply(
    entry_id: int,
    tier: Annotated[str, typer.Option(help="evaluation, defensive or extended")],
    intended_use: Annotated[str, typer.Option()],
    scope: Annotated[str, typer.Option(help="Systems you own or are authorized to test.")],
) -> None:
    """Apply for early access (operator tokens)."""
    from clearinghouse.frontier import access
    from clearinghouse.frontier.access import Tier

    if tier not in {t.value for t in Tier}:
        print_error("--tier is evaluation, defensive or extended")
        raise typer.Exit(2)
    app_row = _run(
        lambda s, p: access.apply(
            s, p, entry_id, tier=Tier(tier), intended_use=intended_use, scope_statement=scope
        )
    )
    out_console.print(f"application {app_row.id}: {app_row.status}")


@access_app.command("grants")
def access_grants(output: Format = OutputFormat.table) -> None:
    """Grants this token may see."""
    from clearinghouse.frontier import access

    rows = _run(
        lambda s, p: [
            access.grant_snapshot(g) | {"status": access.grant_status(g)}
            for g in access.list_grants(s, p)
        ]
    )
    _show(rows, output, ("id", "application_id", "tier", "status", "starts_at", "ends_at"))


@access_app.command("add")
def access_add(
    kind: Annotated[str, typer.Option(help="covered-model or defensive-tool")],
    name: Annotated[str, typer.Option()],
    description: Annotated[str, typer.Option()] = "",
    capability: Annotated[list[str], typer.Option(help="Repeatable.")] = [],  # noqa: B006
    version_id: Annotated[int | None, typer.Option(help="The covered version.")] = None,
    url: Annotated[str, typer.Option(help="https://...")] = "",
) -> None:
    """Catalogue a covered model or a defensive tool (providers)."""
    from clearinghouse.frontier import access
    from clearinghouse.frontier.access import EntryKind

    if kind not in {k.value for k in EntryKind}:
        print_error("--kind is covered-model or defensive-tool")
        raise typer.Exit(2)
    entry = _run(
        lambda s, p: access.add_entry(
            s,
            p,
            EntryKind(kind),
            name,
            description=description,
            capabilities=capability,
            version_id=version_id,
            url=url,
        )
    )
    out_console.print(f"catalogue entry {entry.id}: {entry.name}")


@access_app.command("applications")
def access_applications(output: Format = OutputFormat.table) -> None:
    """Applications this token made, received, or (coordinators) all."""
    from clearinghouse.frontier import access

    rows = _run(
        lambda s, p: [access.application_snapshot(a) for a in access.list_applications(s, p)]
    )
    _show(rows, output, ("id", "entry_id", "organization_id", "status", "requested_tier"))


@access_app.command("verify")
def access_verify(
    application_id: int,
    method: Annotated[str, typer.Option(help="sector-registry, domain-control, ...")],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Verify an applicant (coordinator analysts)."""
    from clearinghouse.frontier import access
    from clearinghouse.frontier.access import VerificationMethod

    if method not in {m.value for m in VerificationMethod}:
        print_error(f"--method is one of {', '.join(m.value for m in VerificationMethod)}")
        raise typer.Exit(2)
    app_row = _run(
        lambda s, p: access.verify(s, p, application_id, VerificationMethod(method), note)
    )
    out_console.print(f"application {app_row.id}: {app_row.status}")


@access_app.command("grant")
def access_grant(
    application_id: int,
    tier: Annotated[str, typer.Option(help="evaluation, defensive or extended")],
    ends: Annotated[str, typer.Option(help="ISO date or date-time.")],
    starts: Annotated[str | None, typer.Option(help="Default: now.")] = None,
    scope: Annotated[str, typer.Option(help="Default: the application's scope.")] = "",
    blocked_use: Annotated[list[str], typer.Option(help="Repeatable.")] = [],  # noqa: B006
) -> None:
    """Grant access to an applicant (the provider)."""
    from clearinghouse.frontier import access
    from clearinghouse.frontier.access import Tier
    from clearinghouse.store import utcnow

    if tier not in {t.value for t in Tier}:
        print_error("--tier is evaluation, defensive or extended")
        raise typer.Exit(2)
    start = _when(starts) or utcnow()
    end = _when(ends)
    assert end is not None
    grant = _run(
        lambda s, p: access.grant_access(
            s,
            p,
            application_id,
            tier=Tier(tier),
            starts_at=start,
            ends_at=end,
            scope_statement=scope,
            blocked_uses=blocked_use,
        )
    )
    out_console.print(f"grant {grant.id}: {access.grant_status(grant)} until {grant.ends_at}")


@access_app.command("revoke")
def access_revoke(grant_id: int, reason: Annotated[str, typer.Option()]) -> None:
    """Revoke a grant (the provider)."""
    from clearinghouse.frontier import access

    _run(lambda s, p: access.revoke_grant(s, p, grant_id, reason))
    out_console.print(f"grant {grant_id}: revoked")


@access_app.command("log")
def access_log(
    grant_id: int,
    event: Annotated[
        str | None, typer.Option(help="Record this event (used, credentials-issued...).")
    ] = None,
    detail: Annotated[str, typer.Option()] = "",
    output: Format = OutputFormat.table,
) -> None:
    """Show a grant's access log, or record an access with --event."""
    from clearinghouse.frontier import access
    from clearinghouse.frontier.access import AccessEvent

    if event is not None:
        if event not in {e.value for e in AccessEvent}:
            print_error(f"--event is one of {', '.join(e.value for e in AccessEvent)}")
            raise typer.Exit(2)
        _run(lambda s, p: access.record_access(s, p, grant_id, AccessEvent(event), detail))
    rows = _run(
        lambda s, p: [
            {
                "at": e.at,
                "event": e.event,
                "actor": e.actor,
                "within_grant": e.within_grant,
                "detail": e.detail,
            }
            for e in access.access_log(s, p, grant_id)
        ]
    )
    _show(rows, output)


# -- incidents -----------------------------------------------------------------------------------


@incident_app.command("file")
def incident_file(
    kind: Annotated[str, typer.Option(help="ai-enabled-intrusion, model-weight-theft, ...")],
    title: Annotated[str, typer.Option()],
    description: Annotated[str, typer.Option()],
    discovered: Annotated[str, typer.Option(help="ISO date-time of discovery.")],
    classification: Annotated[str, typer.Option(help="incident or hazard (OECD)")] = "incident",
    severity: Annotated[str, typer.Option()] = "medium",
    technique: Annotated[list[str], typer.Option(help="ATT&CK/ATLAS id, repeatable.")] = [],  # noqa: B006
    draft: Annotated[bool, typer.Option(help="Keep as a draft (not yet reported).")] = False,
) -> None:
    """File an incident report (the initial-report clock starts at discovery)."""
    from clearinghouse.frontier import incidents
    from clearinghouse.frontier.incidents import Classification, IncidentKind, Severity

    try:
        chosen = (IncidentKind(kind), Classification(classification), Severity(severity))
    except ValueError as exc:
        print_error(str(exc))
        raise typer.Exit(2) from None
    when = _when(discovered)
    assert when is not None
    hours = _settings().incident_initial_report_hours
    incident = _run(
        lambda s, p: incidents.file_incident(
            s,
            p,
            kind=chosen[0],
            classification=chosen[1],
            severity=chosen[2],
            title=title,
            description=description,
            discovered_at=when,
            report_hours=hours,
            techniques=technique,
            submit=not draft,
        )
    )
    out_console.print(
        f"incident {incident.id}: {incident.status}; initial report due "
        f"{incident.initial_report_due_at.isoformat()}"
    )


@incident_app.command("submit")
def incident_submit(incident_id: int) -> None:
    """Submit a draft as the initial report."""
    from clearinghouse.frontier import incidents

    incident = _run(lambda s, p: incidents.submit_incident(s, p, incident_id))
    out_console.print(f"incident {incident_id}: {incidents.clocks(incident)[0]['state']}")


@incident_app.command("update")
def incident_update(incident_id: int, text: str) -> None:
    """Add an update to a report."""
    from clearinghouse.frontier import incidents

    _run(lambda s, p: incidents.add_update(s, p, incident_id, text))
    out_console.print(f"incident {incident_id}: updated")


@incident_app.command("close")
def incident_close(incident_id: int) -> None:
    """Close a report."""
    from clearinghouse.frontier import incidents

    _run(lambda s, p: incidents.close_incident(s, p, incident_id))
    out_console.print(f"incident {incident_id}: closed")


@incident_app.command("list")
def incident_list(output: Format = OutputFormat.table) -> None:
    """Incident reports, with the initial-report clock."""
    from clearinghouse.frontier import incidents

    rows = _run(
        lambda s, p: [
            {
                "id": i.id,
                "kind": i.kind,
                "title": i.title,
                "status": i.status,
                "initial_report_due_at": i.initial_report_due_at,
                "clock": incidents.clocks(i)[0]["state"],
            }
            for i in incidents.list_incidents(s, p)
        ]
    )
    _show(rows, output)


@incident_app.command("refer")
def incident_refer(
    incident_id: int,
    agency: Annotated[str, typer.Option()],
    statute: Annotated[list[str], typer.Option(help="e.g. '18 U.S.C. 1030' (repeatable)")],
    summary: Annotated[str, typer.Option()] = "",
) -> None:
    """Refer an incident to law enforcement."""
    from clearinghouse.frontier import referrals

    referral = _run(
        lambda s, p: referrals.create_referral(
            s, p, incident_id, agency=agency, statutes=statute, summary=summary
        )
    )
    out_console.print(f"referral {referral.id}: {', '.join(referral.statutes)}")


@incident_app.command("packet")
def incident_packet(
    referral_id: int,
    out: Annotated[Path, typer.Option("--output", "-o", help="Where to write the zip.")],
) -> None:
    """Export a referral as a signed packet (zip)."""
    from clearinghouse.frontier import referrals

    key_path = _settings().signing_key_file
    data = _run(lambda s, p: referrals.export_packet(s, p, referral_id, key_path=key_path))
    out.write_bytes(data)
    out_console.print(f"wrote {out} ({len(data)} bytes)")


@app.command("verify-packet")
def verify_packet(
    packet: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    key: Annotated[
        Path | None, typer.Option(help="The instance's published public key (PEM).")
    ] = None,
) -> None:
    """Check a referral packet's signature and manifest (no token needed)."""
    from clearinghouse.frontier.referrals import PacketError
    from clearinghouse.frontier.referrals import verify_packet as verify
    from clearinghouse.frontier.signing import SigningKeyError

    try:
        manifest = verify(packet.read_bytes(), key.read_bytes() if key else None)
    except (PacketError, SigningKeyError, ValueError) as exc:
        print_error(f"{packet}: {exc}")
        raise typer.Exit(1) from None
    out_console.print(
        f"{packet}: signature and {len(manifest['files'])} file hashes verified "
        f"(key {manifest['signature']['key_id'][:16]})"
    )


@app.command("signing-key")
def signing_key() -> None:
    """Print the instance's public Ed25519 key (PEM); creates the key pair on first use."""
    from clearinghouse.frontier.signing import load_or_create_key, public_key_pem

    sys.stdout.write(public_key_pem(load_or_create_key(_settings().signing_key_file)).decode())
