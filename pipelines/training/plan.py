"""The length check: how many steps a run takes, refusing one that misses or repeats part of the curriculum."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.training.config import TrainerConfig
from pipelines.training.loading import DataError, one_pass_steps


@dataclass(frozen=True)
class Plan:
    steps: int
    tokens_per_step: int
    corpus_tokens: int
    one_pass: int

    @property
    def planned_tokens(self) -> int:
        return self.steps * self.tokens_per_step


def plan_run(corpus_tokens: int, t: TrainerConfig, data: str) -> Plan:
    """Steps of the run; refuses one that reads much less or more than one pass of the corpus (unless cycling)."""
    per_step = t.batch_size * t.seq_len
    one_pass = one_pass_steps(corpus_tokens, t.seq_len, t.batch_size)
    if one_pass == 0 and not t.cycle:
        raise DataError(f"{data} holds {corpus_tokens:,} tokens, less than one step of {t.batch_size} x {t.seq_len}; "
                        "generate more rows or lower trainer.batch_size / trainer.seq_len")
    steps = one_pass if t.steps == "auto" else t.steps
    ratio = steps / one_pass if one_pass else math.inf
    hint = (f"one pass over {data} is {one_pass} steps of {t.batch_size} x {t.seq_len} tokens ({corpus_tokens:,} tokens); "
            f"set trainer.steps={one_pass} (or auto), change the corpus size, batch or seq_len")
    if ratio > 1 + t.length_tolerance and not t.cycle:
        raise DataError(f"trainer.steps={steps} is longer than the corpus plans ({ratio:.2f} passes): {hint}, "
                        "or pass trainer.cycle=true to loop over it (each pass then repeats the curriculum)")
    if ratio < 1 - t.length_tolerance and not t.partial:
        reached = ratio % 1 if t.cycle and ratio > 1 else ratio
        raise DataError(f"trainer.steps={steps} is shorter than the corpus plans: it would stop at curriculum progress "
                        f"~{reached:.2f} and miss the rest of the curriculum (the noise ramp comes last); {hint}; "
                        "trainer.partial=true runs it anyway (smoke tests, benchmarks)")
    return Plan(steps, per_step, corpus_tokens, one_pass)
