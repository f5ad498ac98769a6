"""Write real Inspect AI eval logs offline with ``mockllm/model`` (run in a subprocess).

Usage: python -m tests.frontier.make_logs OUT_DIR. Token counting is patched: offline, Inspect's
default counter would try to download a tiktoken file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

if TYPE_CHECKING:
    from inspect_ai import Task

MOCK_OUTPUT = "Default output from mockllm"


async def _count_text_tokens(self: object, text: str) -> int:
    return len(text.split())


def _task(name: str, hits: int, misses: int) -> Task:
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate

    samples = [Sample(input=f"challenge {i}", target="Default output") for i in range(hits)]
    samples += [Sample(input=f"hard {i}", target="flag{never}") for i in range(misses)]
    return Task(name=name, dataset=samples, solver=generate(), scorer=includes())


def main(out: Path) -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelAPI

    plan = {
        "cybench": (3, 1),
        "gdm_intercode_ctf": (1, 3),
        "mmlu_pro": (2, 2),
    }
    with mock.patch.object(ModelAPI, "count_text_tokens", _count_text_tokens):
        for name, (hits, misses) in plan.items():
            for log_format in ("eval", "json"):
                logs = inspect_eval(
                    _task(name, hits, misses),
                    model="mockllm/model",
                    log_dir=str(out / log_format),
                    log_format=log_format,
                    display="none",
                )
                location = Path(str(logs[0].location))
                location.rename(out / f"{name}.{log_format}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
