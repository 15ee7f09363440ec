"""The bundled taxonomies, with stable codes: categories, root causes, remedies and outcomes.

The data lives in ``iso10002/taxonomy/data/*.json``. Codes are never renamed or reused: a code
that is no longer wanted is retired (``active`` false) with a ``replaced_by`` code. Extend a
default with :meth:`~iso10002.taxonomy.Taxonomy.extend`, or replace it with your own taxonomy.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final

from iso10002.errors import TaxonomyError

from .codes import Taxonomy

__all__ = ["DEFAULT_TAXONOMY_NAMES", "default_taxonomies", "default_taxonomy"]

DEFAULT_TAXONOMY_NAMES: Final = ("categories", "outcomes", "remedies", "root_causes")
"""The names of the bundled taxonomies."""


@cache
def default_taxonomy(name: str) -> Taxonomy:
    """The bundled taxonomy *name* (one of :data:`DEFAULT_TAXONOMY_NAMES`), loaded once."""
    if name not in DEFAULT_TAXONOMY_NAMES:
        accepted = ", ".join(DEFAULT_TAXONOMY_NAMES)
        raise TaxonomyError(
            [("name", f"no bundled taxonomy of that name; accepted: {accepted}")],
            what="default taxonomy",
        )
    text = resources.files(__package__).joinpath("data").joinpath(f"{name}.json").read_bytes()
    return Taxonomy.from_json(text)


def default_taxonomies() -> Mapping[str, Taxonomy]:
    """Every bundled taxonomy by name."""
    return {name: default_taxonomy(name) for name in DEFAULT_TAXONOMY_NAMES}
