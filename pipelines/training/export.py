"""export/: the trained model in the transformers layout, with its tokenizer, published whole."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from torch import nn

from model import CausalLM, ModelConfig
from model.export import save_pretrained
from pipelines.training.parallelism import Runtime


def export(model: nn.Module, model_cfg: ModelConfig, tok: Any, out: Path, rt: Runtime) -> Path | None:
    """Write export/: transformers-loadable model (DeepseekV3 layout) and the tokenizer; rank 0 writes."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not rt.main:
        return None
    cpu_model = CausalLM(model_cfg)
    cpu_model.load_state_dict(state)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(cpu_model, tmp)
    tok.save_pretrained(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
