"""Connector errors.

ConnectorError
  + ParseError     a file cannot be read (not XML, no datasets, bad archive)
  + ImportFailed   an import was refused (too many unlinked exchanges); carries the report
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.import_report import ImportReport

__all__ = ["ConnectorError", "ImportFailed", "ParseError"]


class ConnectorError(Exception):
    """Root of all connector errors."""


class ParseError(ConnectorError):
    """A source file could not be parsed."""


class ImportFailed(ConnectorError):
    """An import was refused; nothing was written. ``report`` says why."""

    def __init__(self, message: str, *, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report
