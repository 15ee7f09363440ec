"""Test-suite configuration: hypothesis profiles.

``dev`` (the default) keeps the suite quick; ``ci`` (selected when ``CI`` is set, or with
``HYPOTHESIS_PROFILE=ci``) runs 200 examples per property test unless a test sets its own count
(an oracle that must see more says so, e.g. 500 for the breach oracle); ``quick`` (10) is what the
Pythons other than the main one run in ``make test``, where the point is that every test runs
on that Python, not how far each property is searched.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=10, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
