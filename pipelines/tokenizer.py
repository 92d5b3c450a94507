"""Byte-level BPE trained on the generated corpus, saved as a transformers fast tokenizer.

    python -m pipelines.tokenizer data=OUT_DIR [vocab_size=8192] [sample_rows=20000] [out=DIR]
    python -m pipelines.tokenizer data=OUT_DIR kind=byte     # 256 bytes + specials (pipelines/training/byte_tokenizer.py)

Writes OUT_DIR/tokenizer/ (default) with tokenizer.json + tokenizer_config.json, which
`transformers.AutoTokenizer.from_pretrained` loads, and token_counts.json (tokens per shard in
the trainer's example format) so the trainer can check a run's length against the corpus cheaply.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

BOS, SEP, EOS, PAD = "<|doc|>", "<|sep|>", "<|end|>", "<|pad|>"
SPECIAL_TOKENS = (BOS, SEP, EOS, PAD)  # ids 0..3, in this order


def _sample_texts(data_dir: Path, sample_rows: int) -> Iterator[str]:
    """Clean and noisy text of up to sample_rows rows, spread evenly over the shards (noise lives late)."""
    from pipelines.training.loading import Corpus, read_rows

    corpus = Corpus.open(data_dir)
    per_shard = max(1, sample_rows // max(1, len(corpus.shards)))
    for shard in range(len(corpus.shards)):
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
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[SEP],
        model_max_length=1 << 20,  # packing, not the tokenizer, decides sequence length
        clean_up_tokenization_spaces=False,
    )


def special_ids(tok: PreTrainedTokenizerFast) -> dict[str, int]:
    """The ids the data format needs; fails loudly on a tokenizer that lacks them."""
    ids = {name: tok.convert_tokens_to_ids(t) for name, t in (("bos", BOS), ("sep", SEP), ("eos", EOS), ("pad", PAD))}
    missing = [n for n, i in ids.items() if i is None or i == tok.unk_token_id]
    if missing:
        raise ValueError(f"tokenizer lacks special tokens {missing}; train it with `python -m pipelines.tokenizer`")
    return ids


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a saved tokenizer the way users will: through AutoTokenizer."""
    path = Path(path)
    if not (path / "tokenizer.json").is_file():
        raise FileNotFoundError(f"no tokenizer at {path}; run `python -m pipelines.tokenizer data=DATA_DIR` first")
    return AutoTokenizer.from_pretrained(str(path))


def build(data_dir: str | Path, out: str | Path | None = None, vocab_size: int = 8192, sample_rows: int = 20000) -> Path:
    """Train, save, and count the corpus tokens; returns the tokenizer folder."""
    from pipelines.training.loading import count_tokens

    data_dir = Path(data_dir)
    out = Path(out) if out else data_dir / "tokenizer"
    tok = train_tokenizer(_sample_texts(data_dir, sample_rows), vocab_size)
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(str(tmp))
    _publish(tmp, out)
    count_tokens(data_dir, load_tokenizer(out), cache_dir=out)
    return out


def _publish(tmp: Path, out: Path) -> None:
    """Rename the finished folder into place, replacing an older tokenizer only once the new one is whole."""
    import shutil

    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.replace(old)
    tmp.replace(out)
    shutil.rmtree(old, ignore_errors=True)


def _parse(argv: list[str]) -> dict[str, str]:
    """key=value arguments, Hydra-style, without pulling Hydra in for four keys."""
    known = {"data", "out", "vocab_size", "sample_rows", "kind"}
    args = {}
    for a in argv:
        key, eq, value = a.partition("=")
        if not eq or key not in known:
            raise SystemExit(f"usage: python -m pipelines.tokenizer data=DIR [out=DIR] [vocab_size=N] [sample_rows=N]; bad argument {a!r}")
        args[key] = value
    if "data" not in args:
        raise SystemExit("usage: python -m pipelines.tokenizer data=DIR [out=DIR] [vocab_size=N] [sample_rows=N]")
    return args


def main(argv: list[str] | None = None) -> None:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.get("kind", "bpe") not in ("bpe", "byte"):
        raise SystemExit(f"kind: expected bpe or byte, got {args['kind']!r}")
    if args.get("kind") == "byte":
        from pipelines.training.byte_tokenizer import build_byte

        out = build_byte(args["data"], args.get("out") or Path(args["data"]) / "tokenizer")
    else:
        out = build(args["data"], args.get("out"), int(args.get("vocab_size", 8192)), int(args.get("sample_rows", 20000)))
    tok = load_tokenizer(out)
    counts = json.loads((out / "token_counts.json").read_text())
    print(f"tokenizer: {out} ({len(tok)} tokens); corpus: {counts['total']:,} tokens in the trainer's format")


if __name__ == "__main__":
    main()
