"""Languages submissions are written in: one module per language, found by its name
(see `base.py` for what a language declares)."""

from .base import Language, SelfTest, image_packages, language_for_file, languages, source_stem

__all__ = ["Language", "SelfTest", "image_packages", "language_for_file", "languages", "source_stem"]
