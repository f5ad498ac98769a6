"""A small, real clearinghouse for the web tests and the screenshots.

The knowledge base holds the real PyPI advisories (``../shared/data/osv/PyPI/all.zip``) of a few
packages, and CISA's KEV catalog; organizations, people and inventories are made through the
same service functions the CLI and the API call. Nothing here is faked: exposures, priorities
and remediations are what the clearinghouse computes from that data.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from clearinghouse.advisories.importer import AdvisoryImporter, ImportReport
from clearinghouse.advisories.kev import store_kev_catalog
from clearinghouse.advisories.sources import local_sources
from clearinghouse.audit import Actor
from clearinghouse.exposures.service import queue_advisory_changes
from clearinghouse.formats.inventory import ParseContext, parse_inventory
from clearinghouse.formats.kev import parse_kev
from clearinghouse.inventories.models import Criticality
from clearinghouse.inventories.service import PushResult, push_inventory
from clearinghouse.participants.models import Organization, OrganizationKind, Role, Sector
from clearinghouse.participants.service import create_organization, issue_token
from clearinghouse.store import Database, utcnow
from clearinghouse.web.accounts import create_user

PASSWORD = "correct horse battery staple"
"""Every demo user's password (argon2id-hashed like any other)."""

GIB = 1 << 30

PORTAL_REQUIREMENTS = b"""\
# Patient portal (Flask), pinned by pip-compile
flask==1.0
jinja2==2.10
requests==2.19.1
urllib3==1.24.1
pyyaml==5.3
certifi==2024.8.30
"""
"""A lockfile with real, old pins: every line but certifi has PyPI advisories."""

AUTOMATION_REQUIREMENTS = b"""\
salt==3000
pyyaml==5.4.1
"""
"""SaltStack 3000: CVE-2020-11651 and CVE-2020-11652 are in CISA's KEV catalog."""

PIPELINE_REQUIREMENTS = b"""\
apache-airflow==1.10.10
requests==2.31.0
"""

TELLER_REQUIREMENTS = b"""\
django==3.2
requests==2.19.1
"""

DEMO_PACKAGES = frozenset(
    {"flask", "jinja2", "requests", "urllib3", "pyyaml", "salt", "apache-airflow", "django"}
)


@dataclass
class Person:
    username: str
    organization_id: int
    organization: str
    password: str = PASSWORD


@dataclass
class Demo:
    db: Database
    hospital: Person
    """Admin of an operator (a rural hospital) with no system yet."""
    bank: Person
    """Admin of another operator, whose system has exposures."""
    bank_system_id: int
    bank_exposure_id: int
    extra: dict[str, Person] = field(default_factory=dict)


def advisories_of(shared: Path, packages: Iterable[str]) -> list[dict[str, object]]:
    """The real PyPI advisories that name one of ``packages``."""
    wanted = {p.lower() for p in packages}
    found = []
    with zipfile.ZipFile(shared / "osv" / "PyPI" / "all.zip") as archive:
        for name in archive.namelist():
            record = json.loads(archive.read(name))
            names = {
                str(a.get("package", {}).get("name", "")).lower()
                for a in record.get("affected", [])
                if isinstance(a, dict)
            }
            if names & wanted:
                found.append(record)
    return found


def load_knowledge_base(
    db: Database, shared: Path, workdir: Path, packages: Iterable[str] = DEMO_PACKAGES
) -> ImportReport:
    """KEV first (so exposures carry the flag), then the advisories, as ``db import`` does."""
    kev = shared / "kev" / "known_exploited_vulnerabilities.json"
    store_kev_catalog(db, parse_kev(str(kev), kev.read_bytes()), str(kev))
    directory = workdir / "osv-subset"
    directory.mkdir(parents=True, exist_ok=True)
    for record in advisories_of(shared, packages):
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    return AdvisoryImporter(db, listeners=[queue_advisory_changes]).import_sources(
        local_sources(directory, GIB)
    )


def add_person(
    db: Database,
    organization: str,
    username: str,
    *,
    kind: OrganizationKind = OrganizationKind.operator,
    role: Role = Role.admin,
    sector: Sector | None = None,
    clearances: frozenset[str] = frozenset(),
    display_name: str | None = None,
) -> Person:
    """A user (and their organization, made on first mention)."""
    from sqlalchemy import select

    with db.session() as session:
        org = session.scalar(select(Organization).where(Organization.name == organization))
        if org is None:
            org = create_organization(
                session,
                Actor.cli(),
                organization,
                kind,
                sector=sector if kind is OrganizationKind.operator else None,
            )
        create_user(
            session,
            Actor.cli(),
            org,
            username,
            role,
            password=PASSWORD,
            display_name=display_name,
            clearances=clearances,
        )
        return Person(username, org.id, org.name)


def push(
    db: Database,
    person: Person,
    system: str,
    data: bytes,
    filename: str = "requirements.txt",
    criticality: Criticality | None = None,
) -> PushResult:
    parsed = parse_inventory(data, ParseContext(source=filename))
    with db.session() as session:
        return push_inventory(
            session,
            db,
            Actor(f"user:{person.username}", person.organization_id),
            person.organization_id,
            system=system,
            criticality=criticality,
            filename=filename,
            data=data,
            parsed=parsed,
        )


def build(db: Database, shared: Path, workdir: Path) -> Demo:
    """Two operators: a hospital that has uploaded nothing yet, and a bank with one system."""
    load_knowledge_base(db, shared, workdir)
    hospital = add_person(
        db,
        "Riverside Community Hospital",
        "alice",
        sector=Sector.healthcare,
        display_name="Alice Moreno",
    )
    bank = add_person(db, "Valley Credit Union", "bob", sector=Sector.financial_services)
    pushed = push(
        db, bank, "Teller app", TELLER_REQUIREMENTS, criticality=Criticality.business_critical
    )
    from sqlalchemy import select

    from clearinghouse.exposures.models import Exposure

    with db.session() as session:
        exposure_id = session.scalar(
            select(Exposure.id).where(Exposure.system_id == pushed.system.id).limit(1)
        )
    assert exposure_id is not None, "the bank's system should have exposures"
    return Demo(db, hospital, bank, pushed.system.id, exposure_id)


# -- the rest of the clearinghouse, for the screenshots ------------------------------------------

FINDINGS = {
    "schema": "clearinghouse-finding/1",
    "findings": [
        {
            "title": "Header injection in requests' proxy handling",
            "description": "Session.rebuild_proxies() copies Proxy-Authorization to a redirect "
            "target on another host, leaking proxy credentials.",
            "package": {"purl": "pkg:pypi/requests"},
            "affected": {"ranges": [{"introduced": "2.3.0", "fixed": "2.31.0"}]},
            "cwe": "CWE-200",
            "cvss": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
            "exploitation": "poc",
            "ai": {"found_by_ai": True, "model": "atlas-2026-06"},
        },
        {
            "title": "Path traversal in archive extraction",
            "description": "extract_all() joins member names to the target directory without "
            "normalising them, so ../ entries write outside it.",
            "package": {"purl": "pkg:pypi/example-archiver"},
            "affected": {"ranges": [{"introduced": "1.0.0", "fixed": "1.4.2"}]},
            "cwe": "CWE-22",
            "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "exploitation": "none",
            "ai": {"found_by_ai": True, "model": "atlas-2026-06"},
        },
    ],
}

MODEL_CARD = {
    "purpose": "General-purpose assistant with agentic coding",
    "intended_users": ["software engineers"],
    "task": "text-generation",
    "input_modalities": ["text"],
    "output_modalities": ["text", "code"],
    "license": "proprietary",
}


def build_full(db: Database, shared: Path, workdir: Path) -> Demo:
    """Everything the screenshots show: systems with KEV exposures, a triage queue, the
    frontier-model program."""
    demo = build(db, shared, workdir)
    hospital = demo.hospital
    push(
        db, hospital, "Patient portal", PORTAL_REQUIREMENTS, criticality=Criticality.safety_critical
    )
    push(
        db,
        hospital,
        "Infrastructure automation",
        AUTOMATION_REQUIREMENTS,
        criticality=Criticality.business_critical,
    )
    push(db, hospital, "Lab data pipeline", PIPELINE_REQUIREMENTS)
    analyst = add_person(
        db,
        "Clearinghouse",
        "carol",
        kind=OrganizationKind.coordinator,
        role=Role.analyst,
        display_name="Carol Okafor",
    )
    developer = add_person(
        db, "Frontier Lab", "dave", kind=OrganizationKind.ai_developer, role=Role.admin
    )
    demo.extra.update(analyst=analyst, developer=developer)
    from clearinghouse.api.app import create_app
    from clearinghouse.settings import Settings

    with db.session() as session:
        lab = session.get(Organization, developer.organization_id)
        assert lab is not None
        token = issue_token(session, Actor.cli(), lab, Role.admin).token
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(Settings(data_dir=workdir / "api", database_url=db.url), db=db)
    with TestClient(app) as api:
        sent = api.post(
            "/api/v1/findings",
            content=json.dumps(FINDINGS).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert sent.status_code in (200, 201), sent.text
        model = api.post(
            "/api/v1/frontier/models",
            json={"name": "Atlas", "description": "Frontier model with agentic coding"},
            headers=headers,
        )
        assert model.status_code == 201, model.text
        version = api.post(
            f"/api/v1/frontier/models/{model.json()['id']}/versions",
            json={"label": "2026-06", "card": MODEL_CARD},
            headers=headers,
        )
        assert version.status_code == 201, version.text
        release = (utcnow() + timedelta(days=60)).isoformat().replace("+00:00", "Z")
        opened = api.post(
            "/api/v1/frontier/engagements",
            json={"version_id": version.json()["id"], "planned_partner_release_at": release},
            headers=headers,
        )
        assert opened.status_code == 201, opened.text
    return demo
