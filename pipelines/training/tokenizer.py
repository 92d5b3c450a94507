"""Byte-level BPE trained on the generated corpus, saved as a transformers fast tokenizer.

Writes DATA/tokenizer/ (default) with tokenizer.json + tokenizer_config.json, which
`transformers.AutoTokenizer.from_pretrained` loads, and token_counts.json (tokens per shard in
the trainer's example format) so the trainer can check a run's length against the corpus cheaply.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from pipelines.dataset.config import RayConfig
from pipelines.dataset.storage import Folder, join, local_copy, normalize, staged
from pipelines.progress import progress
from pipelines.training.byte_tokenizer import byte_tokenizer
from pipelines.training.loading import Corpus, count_tokens, read_rows
from pipelines.training.specials import BOS, EOS, PAD, SEP, SPECIAL_TOKENS, special_ids, wrap

__all__ = ["BOS", "EOS", "PAD", "SEP", "SPECIAL_TOKENS", "TokenizerConfig", "build", "build_byte", "load_tokenizer", "special_ids",
           "train_tokenizer"]


class TokenizerConfig(BaseModel, extra="forbid"):
    """The tokenizer job: which corpus, how big a vocabulary, how many rows to learn it from."""

    data: str = Field(min_length=1)  # a folder written by `python -m pipelines.generate`
    out: str | None = None  # default: DATA/tokenizer
    vocab_size: int = Field(8192, ge=260, le=1 << 20)  # >= the 256 bytes and the 4 special tokens
    sample_rows: int = Field(20000, ge=1)
    kind: Literal["bpe", "byte"] = "bpe"  # byte: the 256 bytes + specials, nothing learnt (vocab_size unused)
    tokens: bool = True  # then tokenize the corpus once, on Ray: DATA/tokens/<tokenizer>/ (the trainer reads these)
    ray: RayConfig = Field(default_factory=RayConfig)  # where the token-file tasks run


def _sample_texts(data_dir: str | Path, sample_rows: int) -> Iterator[str]:
    """Clean and noisy text of up to sample_rows rows, spread evenly over the shards (noise lives late)."""
    corpus = Corpus.open(data_dir)
    per_shard = max(1, sample_rows // max(1, len(corpus.shards)))
    for shard in progress(range(len(corpus.shards)), desc="tokenizer: shards sampled", unit="shard"):
        for row in read_rows(corpus, shard, columns=("clean_text", "noisy_text"), limit=per_shard):
            yield row["clean_text"]
            if row["noisy_text"] != row["clean_text"]:
                yield row["noisy_text"]


def train_tokenizer(texts: Iterator[str], vocab_size: int = 8192) -> PreTrainedTokenizerFast:
    """Train a GPT-2-style byte-level BPE (no unknown tokens: every byte is in the alphabet)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return wrap(tok)


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a saved tokenizer the way users will: through AutoTokenizer (a URI is downloaded first)."""
    if not Folder(normalize(path)).is_file("tokenizer.json"):
        raise FileNotFoundError(f"no tokenizer at {path}; run `python -m pipelines.tokenizer data=DATA_DIR` first")
    with local_copy(path) as local:
        return AutoTokenizer.from_pretrained(str(local))


def build(data_dir: str | Path, out: str | Path | None = None, vocab_size: int = 8192, sample_rows: int = 20000,
          kind: Literal["bpe", "byte"] = "bpe") -> str:
    """Train (or, for bytes, just make), save, and count the corpus tokens; returns the tokenizer folder."""
    out = normalize(out) if out else join(data_dir, "tokenizer")
    _refuse_foreign(out)
    if kind == "byte":
        tok = byte_tokenizer()
    else:
        texts = list(_sample_texts(data_dir, sample_rows))
        with progress(total=1, desc=f"tokenizer: BPE trained on {len(texts):,} texts", unit="vocab") as bar:
            tok = train_tokenizer(iter(texts), vocab_size)
            bar.update(1)
    _save(tok, out)
    count_tokens(data_dir, load_tokenizer(out), cache_dir=out)
    return out


def build_byte(data_dir: str | Path | None, out: str | Path) -> str:
    """The byte tokenizer saved to `out`, with the corpus's token counts there when a corpus is given."""
    if data_dir is not None:
        return build(data_dir, out, kind="byte")
    out = normalize(out)
    _save(byte_tokenizer(), out)
    return out


def _save(tok: PreTrainedTokenizerFast, out: str) -> None:
    """Publish the folder whole: renamed into place locally; on object storage tokenizer.json (what readers test for) goes last."""
    _refuse_foreign(out)  # before the work, so a refused run costs nothing
    with staged(out, last=("tokenizer.json",)) as tmp:
        tok.save_pretrained(str(tmp))
        _refuse_foreign(out)  # again: something may have been put there while the tokenizer trained


# What this job writes into its out folder (save_pretrained's files and the token counts); nothing else is ours.
OURS = frozenset({"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                  "vocab.json", "merges.txt", "chat_template.jinja", "token_counts.json"})


def _refuse_foreign(out: str | Path) -> None:
    """Refuse (exit 3) an out folder (local or a URI) holding anything this job did not write: replacing it would delete it."""
    from pipelines.errors import Refused

    folder = Folder(normalize(out))
    if folder.is_file(""):
        raise Refused(f"out={out}: a file, not a folder; pick a new or empty folder")
    foreign = sorted(n for n in folder.listdir("") + folder.subfolders() if n not in OURS)
    if foreign:
        raise Refused(f"out={out}: holds files the tokenizer job did not write ({', '.join(foreign[:5])}"
                      f"{', ...' if len(foreign) > 5 else ''}); pick a new or empty folder")
