"""ModelConfig: the architecture, named as transformers' DeepseekV3Config, plus our training knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class ModelConfig(BaseModel):
    """Validated hyperparameters; field names match DeepseekV3Config so config.json maps one to one."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Sizes.
    vocab_size: int = Field(32000, gt=0)
    hidden_size: int = Field(512, gt=0)
    intermediate_size: int = Field(1408, gt=0, description="width of the dense (first_k_dense_replace) MLPs")
    moe_intermediate_size: int = Field(256, gt=0, description="width of one routed or shared expert")
    num_hidden_layers: int = Field(8, gt=0)
    num_attention_heads: int = Field(8, gt=0)
    num_key_value_heads: int | None = Field(None, description="MLA expands K/V per head; must equal the heads")
    max_position_embeddings: int = Field(4096, gt=0)

    # Multi-head latent attention.
    q_lora_rank: int | None = Field(None, gt=0, description="None: full-rank query projection")
    kv_lora_rank: int = Field(128, gt=0)
    qk_nope_head_dim: int = Field(64, gt=0)
    qk_rope_head_dim: int = Field(32, gt=0)
    v_head_dim: int = Field(64, gt=0)
    rope_theta: float = Field(10000.0, gt=0)
    rope_interleave: bool = True

    # Mixture of experts.
    n_routed_experts: int = Field(16, gt=0)
    n_shared_experts: int = Field(1, ge=0)
    num_experts_per_tok: int = Field(2, gt=0)
    n_group: int = Field(1, gt=0)
    topk_group: int = Field(1, gt=0)
    first_k_dense_replace: int = Field(1, ge=0)
    norm_topk_prob: bool = True
    routed_scaling_factor: float = Field(1.0, gt=0)

    # Numerics and tokens.
    hidden_act: Literal["silu"] = "silu"
    rms_norm_eps: float = Field(1e-6, gt=0)
    initializer_range: float = Field(0.006, gt=0, description="init std (DeepSeek-V3: 0.006)")
    tie_word_embeddings: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None

    # Ours: multi-token prediction and expert balancing.
    num_nextn_predict_layers: int = Field(1, ge=0, description="MTP depth D")
    mtp_loss_weight: float = Field(0.3, ge=0, description="lambda on the mean MTP loss")
    bias_update_rate: float = Field(0.001, ge=0, description="gamma of the aux-loss-free bias step")
    seq_aux_loss_alpha: float = Field(1e-4, ge=0, description="sequence-wise balance loss weight; 0 turns it off")

    # Ours: adaptive precision routing (model/apr.py), off by default; transformers cannot run it.
    apr_enabled: bool = False
    apr_estimator_layer: int = Field(2, ge=1, description="the estimator reads the hidden state after this many blocks")
    apr_estimator_hidden: int = Field(64, gt=0, description="width of the estimator's MLP")
    apr_fraction: float = Field(0.125, ge=0, le=1, description="capacity: round(fraction x tokens) refined per batch")
    apr_threshold: float | None = Field(None, ge=0, description="also require predicted entropy >= this (nats)")
    apr_num_blocks: int = Field(1, ge=1, description="refinement blocks run on the routed tokens")
    apr_intermediate_size: int = Field(256, gt=0, description="SwiGLU width of a refinement block")
    apr_dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    apr_loss_weight: float = Field(0.1, ge=0, description="weight of the estimator's entropy regression loss")

    @field_validator("num_key_value_heads")
    @classmethod
    def _kv_heads_match(cls, v: int | None, info: ValidationInfo) -> int | None:
        heads = info.data.get("num_attention_heads")
        if v is not None and heads is not None and v != heads:
            raise ValueError(f"must equal num_attention_heads ({heads}) for MLA, got {v}")
        return v

    @field_validator("qk_rope_head_dim")
    @classmethod
    def _rope_even(cls, v: int) -> int:
        if v % 2:
            raise ValueError(f"must be even (rotary pairs), got {v}")
        return v

    @field_validator("num_experts_per_tok")
    @classmethod
    def _topk_fits(cls, v: int, info: ValidationInfo) -> int:
        experts = info.data.get("n_routed_experts")
        if experts is not None and v > experts:
            raise ValueError(f"num_experts_per_tok ({v}) > n_routed_experts ({experts})")
        return v

    @field_validator("n_group")
    @classmethod
    def _groups_divide(cls, v: int, info: ValidationInfo) -> int:
        experts = info.data.get("n_routed_experts")
        if experts is None:
            return v
        if experts % v:
            raise ValueError(f"n_routed_experts ({experts}) is not divisible by n_group ({v})")
        if v > 1 and experts // v < 2:
            raise ValueError(f"n_group ({v}) leaves fewer than 2 experts per group (groups score by their top 2)")
        return v

    @field_validator("topk_group")
    @classmethod
    def _topk_group_fits(cls, v: int, info: ValidationInfo) -> int:
        groups, experts, k = (info.data.get(f) for f in ("n_group", "n_routed_experts", "num_experts_per_tok"))
        if groups is None:
            return v
        if v > groups:
            raise ValueError(f"topk_group ({v}) > n_group ({groups})")
        if experts is not None and k is not None and k > v * (experts // groups):
            raise ValueError(f"topk_group ({v}) keeps {v * (experts // groups)} experts, fewer than num_experts_per_tok ({k})")
        return v

    @field_validator("first_k_dense_replace", "apr_estimator_layer")
    @classmethod
    def _within_layers(cls, v: int, info: ValidationInfo) -> int:
        layers = info.data.get("num_hidden_layers")
        if layers is not None and v > layers:
            raise ValueError(f"{info.field_name} ({v}) > num_hidden_layers ({layers})")
        return v

    # ---- presets -------------------------------------------------------------------------------

    @classmethod
    def preset(cls, name: str, **overrides: object) -> ModelConfig:
        """A named preset from model/presets.py (conf/model/<name>.yaml is generated from it for Hydra)."""
        from model.presets import preset_fields

        return cls(**{**preset_fields(name), **overrides})

    @staticmethod
    def presets() -> list[str]:
        """Names of the shipped presets."""
        from model.presets import PRESETS

        return sorted(PRESETS)

    # ---- derived sizes -------------------------------------------------------------------------

    @property
    def qk_head_dim(self) -> int:
        """Per-head query/key width: the no-position part plus the rotary part."""
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def num_moe_layers(self) -> int:
        """MoE layers of the main stack (the MTP blocks add num_nextn_predict_layers more)."""
        return self.num_hidden_layers - self.first_k_dense_replace

    def attention_params(self) -> int:
        """Parameters of one MLA block (projections and its two inner norms)."""
        h, heads = self.hidden_size, self.num_attention_heads
        if self.q_lora_rank is None:
            q = h * heads * self.qk_head_dim
        else:
            q = h * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * heads * self.qk_head_dim
        kv = h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
        kv += self.kv_lora_rank * heads * (self.qk_nope_head_dim + self.v_head_dim)
        return q + kv + heads * self.v_head_dim * h

    def _block_params(self, moe: bool) -> tuple[int, int]:
        """(total, activated) parameters of one decoder block."""
        h = self.hidden_size
        fixed = self.attention_params() + 2 * h
        if not moe:
            dense = fixed + 3 * h * self.intermediate_size
            return dense, dense
        expert = 3 * h * self.moe_intermediate_size
        fixed += self.n_shared_experts * expert + self.n_routed_experts * h  # shared experts + router
        return fixed + self.n_routed_experts * expert, fixed + self.num_experts_per_tok * expert

    def num_params(self) -> dict[str, int]:
        """Parameter counts: main model total and activated per token (DeepSeek's convention), and MTP extra."""
        h, v = self.hidden_size, self.vocab_size
        dense_t, dense_a = self._block_params(moe=False)
        moe_t, moe_a = self._block_params(moe=True)
        k_dense, k_moe = self.first_k_dense_replace, self.num_moe_layers
        embed = v * h * (1 if self.tie_word_embeddings else 2) + h  # embedding, head, final norm
        total = embed + k_dense * dense_t + k_moe * moe_t
        activated = embed + k_dense * dense_a + k_moe * moe_a
        mtp = self.num_nextn_predict_layers * (moe_t + 3 * h + 2 * h * h)  # block, enorm/hnorm/norm, eh_proj
        return {"total": total, "activated": activated, "mtp": mtp}

    def flops_per_token(self, seq_len: int, *, include_mtp: bool = True, causal: bool = False) -> float:
        """Training FLOPs (forward+backward) per token, for MFU: 6 x activated matmul params + attention.

        Counts every matmul a token passes through (router, experts it is sent to, shared experts,
        the LM head once per prediction depth); the embedding lookup is free. Attention scores and
        the weighted sum add 6 * heads * seq_len * (qk_head_dim + v_head_dim) per layer, without the
        causal halving (PaLM / torchtitan convention); `causal=True` halves it, as a causal kernel skips the
        masked half (what the trainer's MFU uses).
        """
        h, v = self.hidden_size, self.vocab_size
        norms = lambda n: n * h  # noqa: E731 - norm weights are not matmul parameters
        _, dense_a = self._block_params(moe=False)
        _, moe_a = self._block_params(moe=True)
        inner_norms = (self.q_lora_rank or 0) + self.kv_lora_rank
        block_dense = dense_a - norms(2) - inner_norms
        block_moe = moe_a - norms(2) - inner_norms
        matmul = self.first_k_dense_replace * block_dense + self.num_moe_layers * block_moe + h * v
        layers = self.num_hidden_layers
        if include_mtp:
            depth = self.num_nextn_predict_layers
            matmul += depth * (block_moe + 2 * h * h + h * v)
            layers += depth
        attention = 6 * self.num_attention_heads * seq_len * (self.qk_head_dim + self.v_head_dim) * layers
        if causal:
            attention /= 2
        return 6.0 * matmul + attention
