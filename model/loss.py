"""Next-token cross-entropy fused with the LM head, in row chunks: no [tokens, vocab] tensor is ever kept.

The forward computes each chunk's logits in the compute dtype (bf16 under autocast), reduces them to a
logsumexp and the target's logit in fp32, and drops them; the backward recomputes the chunk's logits and
turns them into the gradient of the hidden states and the head weight. Peak extra memory is one chunk of
logits (about 2**26 elements) instead of the full [B*T, V] logits, their fp32 copy and their gradient;
the price is one more head matmul in the backward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100
CHUNK_ELEMENTS = 2**26  # logits per chunk: 256 MB in fp32


def chunk_rows(vocab: int, elements: int = CHUNK_ELEMENTS) -> int:
    """Rows per chunk so a chunk of fp32 logits stays near `elements` values."""
    return max(1, elements // max(1, vocab))


def _compute_dtype(h: torch.Tensor) -> torch.dtype:
    if torch.is_autocast_enabled(h.device.type):
        return torch.get_autocast_dtype(h.device.type)
    return h.dtype


class LinearCrossEntropy(torch.autograd.Function):
    """Per-token CE of (h @ weight.T) against target, fp32 [N]; 0 where target is IGNORE_INDEX."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, target: torch.Tensor, rows: int) -> torch.Tensor:  # noqa: ANN001
        valid = target != IGNORE_INDEX
        safe = target.clamp(min=0)
        lses, picked = [], []
        for start in range(0, h.shape[0], rows):
            logits = (h[start : start + rows] @ weight.t()).float()
            lses.append(torch.logsumexp(logits, dim=-1))
            picked.append(logits.gather(1, safe[start : start + rows, None]).squeeze(1))
        lse = torch.cat(lses)
        ctx.rows = rows
        ctx.save_for_backward(h, weight, safe, valid, lse)
        return (lse - torch.cat(picked)) * valid

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None, None]:  # noqa: ANN001
        h, weight, safe, valid, lse = ctx.saved_tensors
        rows = ctx.rows
        scale = grad.float() * valid
        grad_h, grad_w = [], torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
        for start in range(0, h.shape[0], rows):
            chunk = h[start : start + rows]
            probs = ((chunk @ weight.t()).float() - lse[start : start + rows, None]).exp_()  # softmax
            probs.scatter_add_(1, safe[start : start + rows, None], -torch.ones_like(probs[:, :1]))
            dlogits = probs.mul_(scale[start : start + rows, None]).to(h.dtype)
            grad_h.append(dlogits @ weight)
            grad_w = grad_w + (dlogits.t() @ chunk).float()
        return torch.cat(grad_h), grad_w.to(weight.dtype), None, None


def token_losses(h: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor, shift: int,
                 elements: int = CHUNK_ELEMENTS) -> torch.Tensor:
    """CE of the head's prediction at [:, i] against labels[:, i + shift], fp32 [B, T]; 0 where nothing is scored."""
    target = F.pad(labels[:, shift:], (0, shift), value=IGNORE_INDEX)
    dtype = _compute_dtype(h)
    flat = LinearCrossEntropy.apply(h.flatten(0, 1).to(dtype), weight.to(dtype), target.flatten(), chunk_rows(weight.shape[0], elements))
    return flat.view(target.shape)


def mean_loss(per_token: torch.Tensor, labels: torch.Tensor, shift: int) -> torch.Tensor:
    """The mean over scored targets (0 when nothing is left to predict); no host sync."""
    return per_token.sum() / (labels[:, shift:] != IGNORE_INDEX).sum().clamp(min=1)
