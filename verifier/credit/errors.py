"""Errors of the credit bank's domain core (docs/creditbank.md).

A malformed framework, catalogue of standards, rule set or credit figure is a
`CreditDataError`, one line, in the verifier's error family. Adding figures of different
units or sectors is a bug in the caller, not bad input: it raises `UnitMismatch` or
`SectorMismatch` (both `TypeError`, as adding a number to a string is).
"""

from __future__ import annotations

from ..errors import CredentialFormatError


class CreditDataError(CredentialFormatError):
    """A credit-bank document or value is malformed (the message names the member)."""


class UnknownLevel(CreditDataError):
    """A level code that the qualification framework does not define."""


class UnitMismatch(TypeError):
    """Figures in different units were added; they never are."""


class SectorMismatch(TypeError):
    """Figures of different sectors were added as one figure (total them with Totals)."""
