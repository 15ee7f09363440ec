"""The Jinja2 environments of the report package: HTML autoescaped, Markdown escaped by
``finalize`` so every printed value is safe in a table cell and as inline text."""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!])")


def md_escape(value: Any) -> Any:
    """*value* as Markdown text: special characters escaped, newlines as spaces."""
    if value is None:
        return ""
    if isinstance(value, jinja2.runtime.Undefined):
        return value
    text = str(value).replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


@functools.cache
def html_environment() -> jinja2.Environment:
    """The HTML templates' environment (autoescape on, undefined names refused)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("iso10002.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def markdown_environment() -> jinja2.Environment:
    """The Markdown templates' environment: every printed value goes through
    :func:`md_escape`."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("iso10002.report", "templates"),
        autoescape=False,  # noqa: S701 - Markdown output; values are escaped by finalize
        finalize=md_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(template: str, **context: Any) -> str:
    """The HTML template *template* rendered with *context*."""
    return html_environment().get_template(template).render(**context)


def render_markdown(template: str, **context: Any) -> str:
    """The Markdown template *template* rendered with *context*."""
    return markdown_environment().get_template(template).render(**context)
