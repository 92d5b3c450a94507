"""The one Arrow schema every shard is written with (the shard contract in DESIGN.md), never inferred."""

from __future__ import annotations

import pyarrow as pa

# Bump when a column is added, removed or retyped; readers check it in the manifest and the shard footer.
SCHEMA_VERSION = 2  # 2: the `spans` column (field-value spans of clean_text)

EDIT = pa.struct(
    [
        pa.field("family", pa.string(), nullable=False),
        pa.field("op", pa.string(), nullable=False),
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("original", pa.string(), nullable=False),
        pa.field("replacement", pa.string(), nullable=False),
        pa.field("constraint", pa.string()),  # logical edits only
    ]
)

SPAN = pa.struct(
    [
        pa.field("key", pa.string(), nullable=False),  # the field path, `path#2` for its second mention
        pa.field("start", pa.int32(), nullable=False),  # code points of clean_text, end exclusive
        pa.field("end", pa.int32(), nullable=False),
    ]
)

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("domain", pa.string(), nullable=False),
        pa.field("shard", pa.int32(), nullable=False),
        pa.field("progress", pa.float32(), nullable=False),
        pa.field("noise_level", pa.float32(), nullable=False),
        pa.field("record", pa.string(), nullable=False),
        pa.field("clean_text", pa.string(), nullable=False),
        pa.field("noisy_text", pa.string(), nullable=False),
        # Explicit element types: an all-empty column must stay list<struct>, never list<null>.
        pa.field("edits", pa.list_(pa.field("element", EDIT, nullable=False)), nullable=False),
        pa.field("violations", pa.list_(pa.field("element", pa.string(), nullable=False)), nullable=False),
        pa.field("spans", pa.list_(pa.field("element", SPAN, nullable=False)), nullable=False),
    ]
)

COLUMNS = tuple(SCHEMA.names)

# Footer key holding the shard's own description (config hash, index, counts), so a shard is self-describing.
METADATA_KEY = b"curriculum_forge"


def same_columns(schema: pa.Schema) -> bool:
    """Whether a file's schema is the contract's (names, types, nullability; metadata ignored)."""
    return schema.remove_metadata().equals(SCHEMA)
