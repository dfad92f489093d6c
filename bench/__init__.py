"""ClaimFrame: a benchmark for whose voice a news sentence speaks in."""

__version__ = "0.1.0"
