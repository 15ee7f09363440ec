"""Sphinx configuration: MyST Markdown pages, the furo theme, API pages from docstrings."""

from __future__ import annotations

import iso10002

project = "iso10002"
author = "iso10002 contributors"
copyright = "2026, iso10002 contributors"
release = iso10002.__version__
version = release

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "performance-*.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"iso10002 {release}"
