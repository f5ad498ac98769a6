"""Read-side queries over the knowledge base: stats, lookup by id or alias, search."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import distinct, func, or_, select
from sqlalchemy.engine import make_url

from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryAlias,
    AffectedPackage,
    FeedState,
    KevEntry,
)
from clearinghouse.ecosystems import base_ecosystem, name_key
from clearinghouse.formats.osv import format_timestamp
from clearinghouse.store import Database


def knowledge_base_stats(db: Database) -> dict[str, Any]:
    with db.session() as s:
        per_ecosystem = s.execute(
            select(
                AffectedPackage.ecosystem_base,
                func.count(distinct(AffectedPackage.advisory_id)),
                func.count(distinct(AffectedPackage.name_key)),
            ).group_by(AffectedPackage.ecosystem_base)
        ).all()
        withdrawn = dict(
            s.execute(
                select(AffectedPackage.ecosystem_base, func.count(distinct(Advisory.id)))
                .join(Advisory, Advisory.id == AffectedPackage.advisory_id)
                .where(Advisory.withdrawn.is_not(None))
                .group_by(AffectedPackage.ecosystem_base)
            ).all()
        )
        kev_state = s.get(FeedState, "kev")
        feeds = [
            {
                "name": f.name,
                "location": f.location,
                "fetched_at": format_timestamp(f.fetched_at),
                "version": f.version,
            }
            for f in s.scalars(select(FeedState).order_by(FeedState.name))
        ]
        return {
            "database": make_url(db.url).render_as_string(hide_password=True),
            "totals": {
                "advisories": s.scalar(select(func.count()).select_from(Advisory)) or 0,
                "withdrawn": s.scalar(
                    select(func.count())
                    .select_from(Advisory)
                    .where(Advisory.withdrawn.is_not(None))
                )
                or 0,
                "aliases": s.scalar(select(func.count()).select_from(AdvisoryAlias)) or 0,
                "affected_entries": s.scalar(select(func.count()).select_from(AffectedPackage))
                or 0,
            },
            "ecosystems": {
                name: {"advisories": n, "packages": packages, "withdrawn": withdrawn.get(name, 0)}
                for name, n, packages in sorted(per_ecosystem)
            },
            "kev": {
                "entries": s.scalar(select(func.count()).select_from(KevEntry)) or 0,
                "version": kev_state.version if kev_state else None,
            },
            "feeds": feeds,
        }


def ids_for(db: Database, identifier: str) -> list[str]:
    """Advisory ids that are ``identifier`` or list it as an alias (either direction)."""
    with db.session() as s:
        ids: list[str] = []
        if s.get(Advisory, identifier) is not None:
            ids.append(identifier)
        for advisory_id in s.scalars(
            select(AdvisoryAlias.advisory_id)
            .where(AdvisoryAlias.alias == identifier)
            .order_by(AdvisoryAlias.advisory_id)
        ):
            if advisory_id not in ids:
                ids.append(advisory_id)
        return ids


def records_for(db: Database, identifier: str) -> list[dict[str, Any]]:
    ids = ids_for(db, identifier)
    with db.session() as s:
        rows = s.scalars(select(Advisory.record).where(Advisory.id.in_(ids))).all()
    return sorted((orjson.loads(r) for r in rows), key=lambda r: str(r["id"]))


def search_advisories(
    db: Database, term: str, *, ecosystem: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Advisories whose id or alias starts with ``term``, or that affect package ``term``."""
    pattern = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.session() as s:
        by_package = select(AffectedPackage.advisory_id).where(
            AffectedPackage.name_key == name_key(ecosystem or "", term)
            if ecosystem
            else or_(AffectedPackage.name_key == term, AffectedPackage.name_key == term.lower())
        )
        if ecosystem:
            by_package = by_package.where(
                AffectedPackage.ecosystem_base == base_ecosystem(ecosystem)
            )
        by_alias = select(AdvisoryAlias.advisory_id).where(
            AdvisoryAlias.alias.like(pattern, escape="\\")
        )
        query = (
            select(Advisory)
            .where(
                or_(
                    Advisory.id.like(pattern, escape="\\"),
                    Advisory.id.in_(by_alias),
                    Advisory.id.in_(by_package),
                )
            )
            .order_by(Advisory.modified.desc())
            .limit(limit)
        )
        advisories = s.scalars(query).all()
        ids = [a.id for a in advisories]
        aliases: dict[str, list[str]] = {}
        for advisory_id, alias in s.execute(
            select(AdvisoryAlias.advisory_id, AdvisoryAlias.alias).where(
                AdvisoryAlias.advisory_id.in_(ids)
            )
        ):
            aliases.setdefault(advisory_id, []).append(alias)
        packages: dict[str, list[str]] = {}
        for advisory_id, eco, name in s.execute(
            select(AffectedPackage.advisory_id, AffectedPackage.ecosystem, AffectedPackage.name)
            .where(AffectedPackage.advisory_id.in_(ids))
            .order_by(AffectedPackage.ordinal)
        ):
            label = f"{eco}/{name}"
            if label not in packages.setdefault(advisory_id, []):
                packages[advisory_id].append(label)
        return [
            {
                "id": a.id,
                "aliases": sorted(aliases.get(a.id, [])),
                "packages": packages.get(a.id, []),
                "severity": a.severity_rating,
                "score": a.severity_score,
                "summary": a.summary,
                "modified": format_timestamp(a.modified),
                "withdrawn": format_timestamp(a.withdrawn) if a.withdrawn else None,
            }
            for a in advisories
        ]
