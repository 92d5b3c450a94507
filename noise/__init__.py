"""Noise: labelled typo, logical and adversarial edits, and the curriculum that doses them."""

from noise.adversarial import AdversarialConfig
from noise.corrupt import NoiseConfig, corrupt
from noise.curriculum import Curriculum, FamilySchedule, choose_families
from noise.edits import FAMILIES, Edit, Noised, apply, undo, validate
from noise.logical import LogicalConfig
from noise.typo import TypoConfig

__all__ = [
    "FAMILIES",
    "AdversarialConfig",
    "Curriculum",
    "Edit",
    "FamilySchedule",
    "LogicalConfig",
    "NoiseConfig",
    "Noised",
    "TypoConfig",
    "apply",
    "choose_families",
    "corrupt",
    "undo",
    "validate",
]
