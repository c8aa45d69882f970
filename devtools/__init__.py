"""Development tooling, not the product: a local Asterisk for development and tests (``provision`` and its
``asterisk_*`` parts), SIPp callers and agent phones (``sipp``), and the live-test harness (``harness``).
The live driver (``adapters.asterisk``) never imports it; ``hotline asterisk``, the live tests and the
benchmarks do.
"""
