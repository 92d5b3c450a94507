"""The dataset card: huggingface_hub metadata that matches the Parquet files, and both load_dataset forms."""

from __future__ import annotations

from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from pipelines.dataset import card
from pipelines.dataset.manifest import Manifest
from pipelines.dataset.schema import SCHEMA


@pytest.fixture(scope="module")
def corpus(train_corpus) -> Path:
    """The session's generated corpus (shards, manifest, card, and a tokenizer/ folder beside them)."""
    return Path(train_corpus)


def test_dataset_info_matches_the_parquet_files(corpus):
    info = DatasetCard.load(corpus / "README.md").data.dataset_info
    shards = sorted((corpus / "shards").glob("*.parquet"))
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in shards)
    size = sum(p.stat().st_size for p in shards)
    assert len(shards) == 4 and rows == 64
    assert info["splits"] == [{"name": "train", "num_bytes": size, "num_examples": rows}]
    assert info["download_size"] == info["dataset_size"] == size
    features = datasets.Features._from_yaml_list(info["features"])
    assert features == datasets.Features.from_arrow_schema(pq.read_schema(shards[0]))
    assert list(features) == SCHEMA.names
    assert (features["shard"].dtype, features["progress"].dtype, features["edits"].feature["start"].dtype) == (
        "int32", "float32", "int32")
    assert DatasetCard.load(corpus / "README.md").data.size_categories == ["n<1K"]


def test_both_load_dataset_forms_read_exactly_the_shards(corpus, tmp_path):
    assert (corpus / "tokenizer").is_dir() and (corpus / "manifest.json").is_file()  # neither may be read as data
    table = pq.read_table(corpus / "shards")
    by_folder = datasets.load_dataset(str(corpus), cache_dir=str(tmp_path / "a"))
    by_builder = datasets.load_dataset("parquet", data_dir=str(corpus), cache_dir=str(tmp_path / "b"))
    for ds in (by_folder, by_builder):
        assert list(ds) == ["train"] and ds["train"].num_rows == table.num_rows
        assert sorted(ds["train"]["id"]) == sorted(table.column("id").to_pylist())
        assert ds["train"].features == card.features()


def test_card_is_a_function_of_the_manifest(corpus):
    manifest = Manifest.model_validate_json((corpus / "manifest.json").read_bytes())
    assert card.render(manifest) == (corpus / "README.md").read_text()
    bigger = manifest.model_copy(update={"rows": 12_345})
    data = DatasetCard(card.render(bigger)).data
    assert data.size_categories == ["10K<n<100K"] and data.dataset_info["splits"][0]["num_examples"] == 12_345


def test_other_split_names_get_a_data_files_form(corpus):
    manifest = Manifest.model_validate_json((corpus / "manifest.json").read_bytes())
    held_out = manifest.model_copy(update={"config": manifest.config | {"split": "heldout"}})
    text = card.render(held_out)
    data = DatasetCard(text).data
    assert data.configs[0]["data_files"] == [{"split": "heldout", "path": "shards/heldout-*.parquet"}]
    assert data.dataset_info["splits"][0]["name"] == "heldout"
    assert 'data_files={"heldout": ' in text and 'data_dir="path/to/this/folder", split="heldout"' not in text


@pytest.mark.parametrize("rows, label", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (10**6, "1M<n<10M"),
                                         (10**12 - 1, "100B<n<1T"), (10**12, "n>1T")])
def test_size_category(rows, label):
    assert card.size_category(rows) == label
