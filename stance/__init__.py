"""stance: track what each actor says about each issue in news, and how it changes."""

__version__ = "0.1.0"
