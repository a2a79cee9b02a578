"""Exports for the tools analysts already use: DNA statements, GraphML networks, CSV edge lists."""

from stance.export.networks import EXPORT_FORMATS, export_network

__all__ = ["EXPORT_FORMATS", "export_network"]
