"""The HTML report of a results store (``orgsim report``)."""

from orgsim.report.html import Report, write_report

__all__ = ["Report", "write_report"]
