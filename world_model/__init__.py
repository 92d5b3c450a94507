"""World model: causal graphs per domain that sample consistent records, check them and render them."""

from world_model.core import Constraint, Document, Domain, TextBuilder, Variable, Violation, copy_record, field_value
from world_model.registry import domain, domains, register
from world_model.seeding import derive_seed, make_rng

__all__ = [
    "Constraint",
    "Document",
    "Domain",
    "TextBuilder",
    "Variable",
    "Violation",
    "copy_record",
    "derive_seed",
    "domain",
    "domains",
    "field_value",
    "make_rng",
    "register",
]
