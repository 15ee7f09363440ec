"""Functions generated from source text, with the text registered in :mod:`linecache`.

Tracebacks and debuggers then show the generated lines themselves, as attrs does for the
methods it writes, instead of ``<string>``.
"""

from __future__ import annotations

import itertools
import linecache
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["generate"]

_COUNTER = itertools.count()
_LOCK = threading.Lock()


def generate(
    name: str, lines: Sequence[str], namespace: dict[str, Any], *, what: str
) -> Callable[..., Any]:
    """The function *name* defined by *lines*, run in *namespace*.

    *what* names what the function is generated for (e.g. a class); it appears in the file
    name that tracebacks show, ``<iso10002 generated {name} for {what} #n>``.
    """
    source = "\n".join(lines) + "\n"
    with _LOCK:
        filename = f"<iso10002 generated {name} for {what} #{next(_COUNTER)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - source from field names
    function: Callable[..., Any] = namespace[name]
    return function
