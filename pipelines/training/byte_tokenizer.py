"""A byte-level tokenizer: the 256 bytes plus the data format's specials, as an ordinary transformers fast tokenizer.

A GPT-2-style byte-level BPE with the 256 byte symbols and no merges, so one token is one UTF-8 byte
(bits per token are bits per byte) and the trainer, the evaluator and the export load it through
`AutoTokenizer` like the trained BPE: nothing downstream knows the difference.

    python -m pipelines.tokenizer data=DATA kind=byte
"""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from pipelines.training.specials import SPECIAL_TOKENS, wrap

BYTE_VOCAB = len(SPECIAL_TOKENS) + 256  # specials at ids 0..3, then bytes 0..255 in order


def byte_tokenizer() -> PreTrainedTokenizerFast:
    """The specials at ids 0..3 and byte b at id 4 + b; every text encodes to one token per UTF-8 byte."""
    alphabet = _byte_symbols()
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    vocab.update({alphabet[b]: len(SPECIAL_TOKENS) + b for b in range(256)})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(SPECIAL_TOKENS))
    return wrap(tok)


def _byte_symbols() -> list[str]:
    """GPT-2's printable stand-in for each byte value (the ByteLevel pre-tokenizer's alphabet), by byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    symbols = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + extra)
            extra += 1
    return [symbols[b] for b in range(256)]
