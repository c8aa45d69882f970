"""Settings for the whole suite."""

from hypothesis import HealthCheck, settings

# A loaded machine makes examples slower, never wrong: no health check or deadline measured in wall-clock time.
settings.register_profile("hotline", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hotline")
