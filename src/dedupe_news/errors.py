"""Exceptions raised by dedupe_news.

Every error the library raises on purpose derives from :class:`DedupeNewsError`, so callers can
catch them all with one clause. Input and configuration errors also derive from ``ValueError``
so generic code that expects it keeps working.
"""

from __future__ import annotations


class DedupeNewsError(Exception):
    """Base class of every error raised by dedupe_news."""


class InputError(DedupeNewsError, ValueError):
    """An article, file or argument is not acceptable input.

    The message names the article (id or position), file and line where possible, the bad value
    and what is allowed.
    """


class ConfigError(DedupeNewsError, ValueError):
    """A configuration parameter is out of range or of the wrong type."""
