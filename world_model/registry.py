"""Name -> Domain lookup; a new field of knowledge is one module that calls `register`."""

from __future__ import annotations

import importlib

from world_model.core import Domain

# Modules imported on first lookup; each registers its domain. A plug-in calls register() itself.
BUILTIN_MODULES = ("world_model.financial", "world_model.legal", "world_model.medical")

_registry: dict[str, Domain] = {}
_loaded = False


def register(domain_cls: type[Domain]) -> type[Domain]:
    """Class decorator (or plain call) that makes a Domain subclass reachable by its name."""
    instance = domain_cls()
    existing = _registry.get(instance.name)
    if existing is not None and type(existing) is not domain_cls:
        raise ValueError(f"domain {instance.name!r} is already registered by {type(existing).__qualname__}")
    _registry[instance.name] = instance
    return domain_cls


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        _loaded = True


def domains() -> list[str]:
    _load_builtins()
    return sorted(_registry)


def domain(name: str) -> Domain:
    _load_builtins()
    try:
        return _registry[name]
    except KeyError:
        raise ValueError(f"unknown domain {name!r}; known domains: {', '.join(sorted(_registry))}") from None
