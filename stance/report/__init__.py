"""Reports (Markdown, JSON, CSV and HTML) rebuilt from the store, one speaker at a time. Never imports torch."""

from stance.report.writers import (DEFAULT_OUT, ReportSummary, load_aggregate, spooled_store, write_reports,
                                   write_store_reports)

__all__ = ["DEFAULT_OUT", "ReportSummary", "load_aggregate", "spooled_store", "write_reports", "write_store_reports"]
