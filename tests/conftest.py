"""Test-suite configuration: hypothesis profiles.

``dev`` (the default) keeps the suite quick; ``ci`` (selected when ``CI`` is set, or with
``HYPOTHESIS_PROFILE=ci``) runs 500 examples per property test unless a test sets its own count.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
