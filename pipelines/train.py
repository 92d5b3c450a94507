"""`python -m pipelines.train data=DATA_DIR [model=tiny] [trainer=cpu|gpu] [trainer.KEY=VALUE ...] [out_dir=DIR]`

Curriculum pretraining: the corpus's shards in curriculum order -> MoE + MTP model -> checkpoints,
metrics.jsonl, TensorBoard and a transformers-loadable export/ in out_dir (default: one folder per
set of overrides under runs/train, so `-m trainer.lr=1e-3,2e-3` gives two runs).

    torchrun --nproc-per-node 8 -m pipelines.train data=... model=1b trainer=gpu trainer.parallel=fsdp

A corpus without DATA/tokenizer gets one first (the tokenizer job, in process). A run whose token
budget does not match one pass over the corpus is refused before it starts (trainer.cycle=true loops
over a corpus that is too small instead). trainer.resume=auto continues the newest checkpoint in
out_dir, and refuses (exit 3) one made with other model, optimisation or data settings, naming them.
"""

from __future__ import annotations

import torch.distributed as dist

from pipelines import cli
from pipelines.training.config import TrainConfig, TrainerConfig
from pipelines.training.loop import run

__all__ = ["TrainConfig", "TrainerConfig", "main", "run"]


def train(cfg: TrainConfig) -> None:
    """Train, then leave the process group (torchrun) however the run ended."""
    try:
        run(cfg)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def main() -> None:
    cli.main(cli.Job("train", TrainConfig, train, __doc__, groups=("model", "trainer")))


if __name__ == "__main__":
    main()
