"""CISA Known Exploited Vulnerabilities catalog (JSON feed or its CSV twin).

Pure core: bytes in, a validated :class:`KevCatalog` out; any defect is an InputError naming
the entry index and field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from clearinghouse.formats.errors import InputError
from clearinghouse.formats.safety import decode_text, loads_json

__all__ = ["KevCatalog", "KevRecord", "parse_kev"]

_CVE = re.compile(r"^CVE-\d{4}-\d{4,19}$")
_REQUIRED = (
    "cveID",
    "vendorProject",
    "product",
    "vulnerabilityName",
    "dateAdded",
    "shortDescription",
    "requiredAction",
    "dueDate",
    "knownRansomwareCampaignUse",
)


@dataclass(frozen=True, slots=True)
class KevRecord:
    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: date
    short_description: str
    required_action: str
    due_date: date | None
    known_ransomware_campaign_use: str
    notes: str
    cwes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KevCatalog:
    version: str | None
    released: str | None
    records: tuple[KevRecord, ...]


def _date(
    source: str, index: int, field: str, value: Any, *, optional: bool = False
) -> date | None:
    if optional and (value is None or value == ""):
        return None
    if not isinstance(value, str):
        raise InputError(source, f"vulnerabilities[{index}].{field} is not a string")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            source, f"vulnerabilities[{index}].{field} is not a YYYY-MM-DD date: {value!r}"
        ) from None


def _record(source: str, index: int, item: Any) -> KevRecord:
    if not isinstance(item, dict):
        raise InputError(source, f"vulnerabilities[{index}] is not an object")
    for key in _REQUIRED:
        if key not in item:
            raise InputError(source, f"vulnerabilities[{index}] lacks {key!r}")
        if key != "dueDate" and not isinstance(item[key], str):
            raise InputError(source, f"vulnerabilities[{index}].{key} is not a string")
    cve = item["cveID"].strip()
    if not _CVE.match(cve):
        raise InputError(source, f"vulnerabilities[{index}].cveID is not a CVE id: {cve!r}")
    cwes = item.get("cwes") or []
    if isinstance(cwes, str):
        cwes = [c.strip() for c in cwes.split(",") if c.strip()]
    if not isinstance(cwes, list) or not all(isinstance(c, str) for c in cwes):
        raise InputError(source, f"vulnerabilities[{index}].cwes is not a list of strings")
    added = _date(source, index, "dateAdded", item["dateAdded"])
    assert added is not None
    return KevRecord(
        cve_id=cve,
        vendor_project=item["vendorProject"],
        product=item["product"],
        vulnerability_name=item["vulnerabilityName"],
        date_added=added,
        short_description=item["shortDescription"],
        required_action=item["requiredAction"],
        due_date=_date(source, index, "dueDate", item["dueDate"], optional=True),
        known_ransomware_campaign_use=item["knownRansomwareCampaignUse"],
        notes=item.get("notes") or "",
        cwes=tuple(cwes),
    )


def parse_kev(source: str, data: bytes) -> KevCatalog:
    """Parse the KEV JSON feed, or the CSV export when the bytes are not JSON."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        document = loads_json(source, data)
        if not isinstance(document, dict) or not isinstance(document.get("vulnerabilities"), list):
            raise InputError(source, "is not a KEV catalog: no 'vulnerabilities' list")
        items = document["vulnerabilities"]
        version = document.get("catalogVersion")
        released = document.get("dateReleased")
    else:
        text = decode_text(source, data)
        reader = csv.DictReader(io.StringIO(text))
        missing = [k for k in _REQUIRED if k not in (reader.fieldnames or [])]
        if missing:
            raise InputError(source, f"is not a KEV catalog CSV: missing columns {missing}")
        items = list(reader)
        version = released = None
    records = tuple(_record(source, i, item) for i, item in enumerate(items))
    return KevCatalog(
        version if isinstance(version, str) else None,
        released if isinstance(released, str) else None,
        records,
    )
