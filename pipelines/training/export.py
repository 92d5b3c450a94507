"""export/: the trained model in the transformers layout, with its tokenizer, published whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from model import CausalLM, ModelConfig
from model.export import CardInfo, save_pretrained
from pipelines.dataset.storage import normalize, staged
from pipelines.training.parallelism import Runtime


def export(model: nn.Module, model_cfg: ModelConfig, tok: Any, out: str | Path, rt: Runtime,
           card: CardInfo | None = None) -> str | None:
    """Write export/ (local or object storage): transformers-loadable model and the tokenizer; rank 0 writes.

    Published whole: renamed into place locally; uploaded with config.json (what loaders test for) last.
    """
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not rt.main:
        return None
    cpu_model = CausalLM(model_cfg)
    cpu_model.load_state_dict(state)
    out = normalize(out)
    with staged(out, last=("config.json",)) as tmp:
        save_pretrained(cpu_model, tmp, card)
        tok.save_pretrained(str(tmp))
    return out


def card_info(cfg: Any, corpus: Any, plan: Any, record: dict[str, Any], step: int, tokens: int) -> CardInfo:
    """What the model card says the model was trained on, under which curriculum, to which losses."""
    m = corpus.manifest
    return CardInfo(
        trained_on={"data": cfg.data, "manifest": m.config_hash, "rows": m.rows, "tokens": plan.corpus_tokens,
                    "domains": m.totals("domains")},
        curriculum={k: m.config.get(k) for k in ("curriculum", "noise_level")},
        metrics={k: record.get(k) for k in ("loss", "lm_loss", "denoise_loss")} | {"steps": step, "tokens": tokens},
    )
