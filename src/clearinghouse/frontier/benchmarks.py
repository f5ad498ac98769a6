"""Cyber-capability benchmarks, recognised from an Inspect task name.

Task names are matched case-insensitively after dropping any registry prefix
(``inspect_evals/cybench`` -> ``cybench``) and any file part (``tasks.py@cybench``). The patterns
follow the task names of the benchmarks' Inspect implementations (inspect_evals) and the
benchmarks' own names, with ``_``, ``-`` or nothing between words:

==================  =====================================================================
benchmark           task names recognised
==================  =====================================================================
cybench             ``cybench``
intercode-ctf       ``gdm_intercode_ctf``, ``intercode_ctf``, ``intercode-ctf``
gdm-in-house-ctf    ``gdm_in_house_ctf``, ``in_house_ctf``
cyberseceval-2      ``cyse2_*`` (``cyse2_interpreter_abuse``...), ``cyberseceval_2``
cyberseceval-3      ``cyse3_*`` (``cyse3_visual_prompt_injection``...), ``cyberseceval_3``
cyberseceval-4      ``cyse4_*``, ``cyberseceval_4``
cvebench            ``cve_bench``, ``cvebench``, ``cve-bench``
cybergym            ``cybergym``, ``cyber_gym``
3cb                 ``threecb``, ``3cb``, ``catastrophic_cyber_capabilities``
==================  =====================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Benchmark:
    key: str
    name: str
    pattern: re.Pattern[str]


_SEP = r"[_\-]?"


def _b(key: str, name: str, pattern: str) -> Benchmark:
    return Benchmark(key, name, re.compile(rf"^(?:{pattern})(?:$|[_\-.])", re.IGNORECASE))


CYBER_BENCHMARKS: tuple[Benchmark, ...] = (
    _b("cybench", "Cybench", "cybench"),
    _b("intercode-ctf", "InterCode CTF", rf"(?:gdm{_SEP})?intercode{_SEP}ctf"),
    _b("gdm-in-house-ctf", "GDM in-house CTF", rf"(?:gdm{_SEP})?in{_SEP}house{_SEP}ctf"),
    _b("cyberseceval-2", "CyberSecEval 2", rf"cyse2|cyber{_SEP}sec{_SEP}eval{_SEP}2"),
    _b("cyberseceval-3", "CyberSecEval 3", rf"cyse3|cyber{_SEP}sec{_SEP}eval{_SEP}3"),
    _b("cyberseceval-4", "CyberSecEval 4", rf"cyse4|cyber{_SEP}sec{_SEP}eval{_SEP}4"),
    _b("cvebench", "CVE-Bench", rf"cve{_SEP}bench"),
    _b("cybergym", "CyberGym", rf"cyber{_SEP}gym"),
    _b(
        "3cb",
        "3CB (Catastrophic Cyber Capabilities Benchmark)",
        rf"threecb|3cb|catastrophic{_SEP}cyber{_SEP}capabilities",
    ),
)
BENCHMARK_KEYS = frozenset(b.key for b in CYBER_BENCHMARKS)


def task_basename(task: str) -> str:
    name = task.strip().rsplit("/", 1)[-1]
    return name.rsplit("@", 1)[-1]


def recognise_benchmark(task: str) -> str | None:
    """The cyber benchmark an Inspect task belongs to, or None."""
    name = task_basename(task)
    for benchmark in CYBER_BENCHMARKS:
        if benchmark.pattern.match(name):
            return benchmark.key
    return None
