"""A vulnerability is compared by the texts of the findings that joined it, not only the first;
versions and dates in a text are not the rare words that tell two bugs apart."""

from __future__ import annotations

from typing import Any

from clearinghouse.findings.dedup import (
    Candidate,
    NearRules,
    Probe,
    fixed_versions,
    score_candidate,
)
from clearinghouse.findings.intake import DedupSettings
from clearinghouse.findings.models import Vulnerability
from clearinghouse.findings.text import MAX_MEMBERS, TextModel, profile, similarity, with_member
from clearinghouse.findings.workflow import split
from clearinghouse.store import Database
from tests.findings._helpers import analyst, native, principal, send

PACKAGE = {"purl": "pkg:pypi/imagelib"}
FIRST = {
    "title": "Heap overflow in the PNG chunk parser",
    "description": "Reading a crafted PNG file overflows a heap buffer in the chunk parser of "
    "imagelib.",
    "package": PACKAGE,
}
SECOND = {
    "title": "imagelib PNG chunk parser heap overflow",
    "description": "A crafted PNG overflows a heap buffer in the chunk parser; reachable "
    "through the thumbnail service upload endpoint.",
    "package": PACKAGE,
}
THIRD = {
    "title": "Thumbnail service crash on upload",
    "description": "Uploading a malformed image to the thumbnail service upload endpoint "
    "crashes the worker.",
    "package": PACKAGE,
}


def _model() -> TextModel:
    texts = [f"{f['title']} {f['description']}" for f in (FIRST, SECOND, THIRD)]
    return TextModel.from_texts(
        [
            *texts,
            "Cross-site scripting in the admin page",
            "SQL injection in the search form",
            "Denial of service via large requests",
        ]
    )


def _score(model: TextModel, a: dict[str, Any], b: dict[str, Any]) -> float:
    return similarity(
        model.vectors(profile(a["title"], a["description"])),
        model.vectors(profile(b["title"], b["description"])),
        specificity_penalty=2.0,
    )


def test_the_texts_fit_what_the_tests_below_rely_on() -> None:
    model = _model()
    assert _score(model, FIRST, SECOND) >= 0.5  # a restatement
    assert _score(model, FIRST, THIRD) < 0.2  # nothing in common with the first report
    assert 0.2 <= _score(model, SECOND, THIRD) < 0.5  # but a fair match for the second


def test_a_later_report_matches_the_words_of_any_joined_finding(sqlite_db: Database) -> None:
    lab, other = principal(sqlite_db, "Lab"), principal(sqlite_db, "Other lab")
    model = _model()
    first = send(sqlite_db, lab, native(FIRST, SECOND), text_model=model)
    assert [o.method for o in first.accepted] == ["new", "near"]
    vulnerability = first.accepted[0].vulnerability_id
    with sqlite_db.session() as session:
        terms = session.get(Vulnerability, vulnerability).terms  # type: ignore[union-attr]
    assert [m["w"] for m in terms["m"]] == [profile(SECOND["title"], SECOND["description"])["w"]]

    later = send(sqlite_db, other, native(THIRD), text_model=model)
    assert later.accepted[0].method == "near"
    assert later.accepted[0].vulnerability_id == vulnerability

    assert "same package" in later.accepted[0].reason


def test_without_member_texts_a_vulnerability_is_its_first_report(sqlite_db: Database) -> None:
    lab = principal(sqlite_db, "Lab")
    settings = DedupSettings(member_score=None)
    report = send(sqlite_db, lab, native(FIRST, SECOND, THIRD), text_model=_model(), dedup=settings)
    assert [o.method for o in report.accepted] == ["new", "near", "new"]


def test_a_weak_join_adds_no_member_text(sqlite_db: Database) -> None:
    lab = principal(sqlite_db, "Lab")
    strict = DedupSettings(member_score=0.9)  # the second joins at about 0.78
    report = send(sqlite_db, lab, native(FIRST, SECOND, THIRD), text_model=_model(), dedup=strict)
    assert [o.method for o in report.accepted] == ["new", "near", "new"]


def test_a_split_takes_its_texts_along(sqlite_db: Database) -> None:
    lab, desk = principal(sqlite_db, "Lab"), analyst(sqlite_db)
    model = _model()
    first = send(sqlite_db, lab, native(FIRST, SECOND), text_model=model)
    vulnerability = first.accepted[0].vulnerability_id
    with sqlite_db.session() as session:
        fresh = split(
            session, desk, vulnerability, [first.accepted[1].finding_id], "a different bug"
        ).id
    with sqlite_db.session() as session:
        kept = session.get(Vulnerability, vulnerability).terms  # type: ignore[union-attr]
        moved = session.get(Vulnerability, fresh).terms  # type: ignore[union-attr]
    assert kept.get("m") == []
    assert moved["w"] == profile(SECOND["title"], SECOND["description"])["w"]
    later = send(sqlite_db, lab, native(THIRD), text_model=model)
    assert later.accepted[0].vulnerability_id == fresh


def test_member_texts_are_kept_once_and_capped() -> None:
    base = profile("Heap overflow in parser", "")
    texts = [profile(f"Report number {word}", "") for word in ("one", "two", "three", "four")]
    joined = base
    for text in [*texts, texts[0], base, profile("Report number five", "")]:
        joined = with_member(joined, text)
    assert [m["w"] for m in joined["m"]] == [t["w"] for t in texts]
    assert len(joined["m"]) == MAX_MEMBERS
    assert with_member(joined, texts[1]) is joined
    assert "m" not in base  # never changed in place


def test_versions_and_dates_are_not_rare_words() -> None:
    filler = [f"common words about an advisory number {i}" for i in range(600)]
    model = TextModel.from_texts(
        [*filler, "Path traversal in ReadMultiple fixed in 2026.04.14 and v2.3.1"]
    )
    vector = model.weighted(
        profile("Path traversal in ReadMultiple", "before v0.0.0-20260414213245 and 2026.04.14")[
            "w"
        ]
    )
    assert "readmultiple" in vector.rare
    assert not {"v0.0.0", "20260414213245", "2026.04.14"} & set(vector.rare)
    # two texts of one bug that cite different version strings are not penalised for it
    a = model.vectors(profile("Path traversal in ReadMultiple", "fixed in 2026.04.14"))
    b = model.vectors(profile("Path traversal in ReadMultiple", "before v0.0.0-20260414213245"))
    assert similarity(a, b, specificity_penalty=2.0) > 0.5


def test_an_analyst_merge_keeps_the_texts_of_both(sqlite_db: Database) -> None:
    from clearinghouse.audit import Actor
    from clearinghouse.findings.workflow import merge_into

    lab = principal(sqlite_db, "Lab")
    report = send(sqlite_db, lab, native(FIRST, THIRD), text_model=_model())
    first, third = (o.vulnerability_id for o in report.accepted)
    assert first != third
    with sqlite_db.session() as session:
        merge_into(session, Actor.cli(), third, first, method="analyst", score=1.0, reason="same")
    with sqlite_db.session() as session:
        terms = session.get(Vulnerability, first).terms  # type: ignore[union-attr]
    assert [m["w"] for m in terms["m"]] == [profile(THIRD["title"], THIRD["description"])["w"]]


def test_go_build_metadata_does_not_make_fixed_versions_differ() -> None:
    go = [
        {
            "package": {"ecosystem": "Go", "name": "github.com/goharbor/harbor"},
            "ranges": [
                {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.8.6+incompatible"}]}
            ],
        }
    ]
    assert fixed_versions(go) == {"2.8.6"}


def test_the_words_of_the_package_names_are_no_evidence_of_two_bugs() -> None:
    filler = [f"common words about an advisory number {i}" for i in range(600)]
    bitnami = {
        "title": "SQL injection in Harbor scan log API",
        "description": "SQL injection in Harbor allows priviledged users to leak the task IDs",
        "affected": [{"package": {"ecosystem": "Bitnami", "name": "harbor"}}],
    }
    go = {
        "title": "SQL injection in Harbor scan log API in github.com/goharbor/harbor",
        "description": "",
        "affected": [{"package": {"ecosystem": "Go", "name": "github.com/goharbor/harbor"}}],
    }
    model = TextModel.from_texts(
        [*filler, *(f"{r['title']} {r['description']}" for r in (bitnami, go))]
    )
    a = model.vectors(profile(bitnami["title"], bitnami["description"]))
    b = model.vectors(profile(go["title"], go["description"]))
    assert "goharbor" in b[0].rare
    probe = Probe.of(b, [], go["affected"], None, None)
    assert probe.package_terms >= {"goharbor", "harbor"}
    candidate = Candidate(
        "x_CHS-1", profile(bitnami["title"], bitnami["description"]), affected=bitnami["affected"]
    )
    scored = score_candidate(model, probe, candidate, NearRules(threshold=0.2, cwe_penalty=0.15))
    assert scored is not None
    # the unshared "goharbor" of the package path is not held against the pair
    assert scored[0] > similarity(a, b, specificity_penalty=2.0) + 0.2
    assert scored[0] >= 0.5


DIAG = {
    "title": "Out of bounds read in MatrixDiagV",
    "description": "MatrixDiagV reads out of bounds when diag_index is negative.",
    "package": {"purl": "pkg:pypi/tensorflow"},
}
BOTH = {
    "title": "Out of bounds read in MatrixDiagV and MatrixSetDiagV",
    "description": "MatrixDiagV and MatrixSetDiagV read out of bounds when diag_index or "
    "padding_value is negative.",
    "package": {"purl": "pkg:pypi/tensorflow"},
}
SET_DIAG = {
    "title": "Out of bounds read in MatrixSetDiagV",
    "description": "MatrixSetDiagV reads out of bounds when padding_value is negative.",
    "package": {"purl": "pkg:pypi/tensorflow"},
}


def _kernel_model() -> TextModel:
    filler = [f"common words about an advisory number {i}" for i in range(600)]
    return TextModel.from_texts(
        [*filler, *(f"{f['title']} {f['description']}" for f in (DIAG, BOTH, SET_DIAG))]
    )


def test_a_vulnerability_does_not_drift_to_a_bug_its_first_report_contradicts(
    sqlite_db: Database,
) -> None:
    model = _kernel_model()
    assert _score(model, DIAG, BOTH) >= 0.2  # the second report joins the first
    assert _score(model, BOTH, SET_DIAG) >= 0.2  # the third restates the second...
    assert _score(model, DIAG, SET_DIAG) < -0.5  # ...but names other things than the first
    lab = principal(sqlite_db, "Lab")
    settings = DedupSettings(member_score=0.2)
    report = send(sqlite_db, lab, native(DIAG, BOTH, SET_DIAG), text_model=model, dedup=settings)
    assert [o.method for o in report.accepted] == ["new", "near", "new"]

    vectors = model.vectors(profile(SET_DIAG["title"], SET_DIAG["description"]))
    affected = [{"package": {"ecosystem": "PyPI", "name": "tensorflow"}}]
    probe = Probe.of(vectors, [], affected, None, None)
    first = profile(DIAG["title"], DIAG["description"])
    joined = with_member(first, profile(BOTH["title"], BOTH["description"]))
    rules = NearRules(threshold=0.2, cwe_penalty=0.15)
    assert score_candidate(model, probe, Candidate("v", joined, affected=affected), rules) is None
    lenient = NearRules(threshold=0.2, cwe_penalty=0.15, first_text_veto=-9.0)
    scored = score_candidate(model, probe, Candidate("v", joined, affected=affected), lenient)
    assert scored is not None
    assert scored[0] >= 0.2
