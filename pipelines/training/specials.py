"""The special tokens of the example layout and their ids: the one place loading and the tokenizer agree on."""

from __future__ import annotations

from typing import Any

BOS, SEP, EOS, PAD = "<|doc|>", "<|sep|>", "<|end|>", "<|pad|>"
SPECIAL_TOKENS = (BOS, SEP, EOS, PAD)  # ids 0..3, in this order


def special_ids(tok: Any) -> dict[str, int]:
    """The ids the data format needs; fails loudly on a tokenizer that lacks them."""
    ids = {name: tok.convert_tokens_to_ids(t) for name, t in (("bos", BOS), ("sep", SEP), ("eos", EOS), ("pad", PAD))}
    missing = [n for n, i in ids.items() if i is None or i == tok.unk_token_id]
    if missing:
        raise ValueError(f"tokenizer lacks special tokens {missing}; train it with `python -m pipelines.tokenizer`")
    return ids


def wrap(tok: Any) -> Any:
    """A `tokenizers.Tokenizer` as the transformers fast tokenizer every job loads, with our specials named."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[SEP],
        model_max_length=1 << 20,  # packing, not the tokenizer, decides sequence length
        clean_up_tokenization_spaces=False,
    )
