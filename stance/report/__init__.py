"""Reports (Markdown, JSON, CSV and a self-contained HTML page) rebuilt from the store. Never imports torch."""

from stance.report.writers import DEFAULT_OUT, load_aggregate, summary_line, write_reports

__all__ = ["DEFAULT_OUT", "load_aggregate", "summary_line", "write_reports"]
