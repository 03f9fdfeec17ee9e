"""Reusable Qt + pyqtgraph widgets. Layer: widgets; imports nothing from `workbench`."""
