"""Exceptions raised by verbatim.

Every error the engine reports is a :class:`VerbatimError`; its message is the one the
``verbatim`` CLI prints for the same error. Subclasses also derive from the Python built-in
that fits, so ``except ValueError`` and ``except OSError`` work as expected.
"""

from __future__ import annotations

__all__ = [
    "VerbatimError",
    "InvalidInputError",
    "TokenizerError",
    "IndexCorruptError",
    "IndexVersionError",
    "IndexIOError",
    "NotFoundError",
    "FullTextError",
    "ContaminationError",
    "BuildError",
]


class VerbatimError(Exception):
    """Base class of every error verbatim raises."""


class InvalidInputError(VerbatimError, ValueError):
    """A bad argument: empty text, a token id outside the vocabulary, an unknown method."""


class TokenizerError(VerbatimError, ValueError):
    """The text cannot be tokenized, or the tokenizer does not match the index."""


class IndexCorruptError(VerbatimError):
    """A file of the index is damaged or belongs to another build: rebuild the index."""


class IndexVersionError(VerbatimError):
    """The index was written by another version of the format."""


class IndexIOError(VerbatimError, OSError):
    """A file could not be read or written (for example, the path is not an index)."""


class NotFoundError(VerbatimError, LookupError):
    """A document that is not in the index, or was taken down."""


class FullTextError(VerbatimError):
    """The BM25 full-text index failed, or the index was built without one."""


class ContaminationError(VerbatimError):
    """A contamination check could not be set up or run (e.g. a missing side index)."""


class BuildError(VerbatimError):
    """An index build, or the assembly of a distributed build, failed."""
