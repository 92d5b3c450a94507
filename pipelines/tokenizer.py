"""`python -m pipelines.tokenizer data=DATA_DIR [vocab_size=8192] [sample_rows=20000] [out=DIR] [kind=bpe|byte] [tokens=true] [ray.num_cpus=N]`

Trains a byte-level BPE on the corpus and writes DATA_DIR/tokenizer/ (or out=; local or a URI such as s3://): tokenizer.json and
tokenizer_config.json, which `transformers.AutoTokenizer.from_pretrained` loads, and token_counts.json,
so the trainer checks a run's length against the corpus cheaply. Then (tokens=true) it tokenizes the
corpus once, one Ray task per shard, into DATA_DIR/tokens/<tokenizer fingerprint>/ (a token file per
shard and tokens.json), which every training rank reads its share of. `kind=byte` learns nothing: one token per
UTF-8 byte plus the specials (pipelines/training/byte_tokenizer.py), for byte-level models such as `micro`. `python -m pipelines.train` runs this
itself when the corpus has no tokenizer yet.
"""

from __future__ import annotations

import json

from pipelines import cli
from pipelines.dataset.storage import Folder
from pipelines.training.token_files import tokenize_on_ray
from pipelines.training.tokenizer import TokenizerConfig, build, load_tokenizer


def tokenizer(cfg: TokenizerConfig) -> None:
    """Train and save the tokenizer, count the corpus in the trainer's format, say where both are."""
    cli.require_folder(cfg.data, hint="make the corpus with `python -m pipelines.generate out_dir=DIR`")
    out = build(cfg.data, cfg.out, cfg.vocab_size, cfg.sample_rows, cfg.kind)
    counts = json.loads(Folder(out).read_text("token_counts.json"))
    print(f"tokenizer: {out} ({len(load_tokenizer(out))} tokens); corpus: {counts['total']:,} tokens in the trainer's format")
    if cfg.tokens:
        tokenize_on_ray(cfg.data, out, cfg.ray)


def main() -> None:
    cli.main(cli.Job("tokenizer", TokenizerConfig, tokenizer, __doc__))


if __name__ == "__main__":
    main()
