"""Settings for the whole suite."""

from hypothesis import HealthCheck, settings

# Real headless Chromium for the page tests (fixtures `browser` and `page`).
pytest_plugins = ["tests.browser"]

# A loaded machine makes examples slower, never wrong: no health check or deadline measured in wall-clock time.
settings.register_profile("hotline", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hotline")
