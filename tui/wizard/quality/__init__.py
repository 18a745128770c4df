"""The Data step's quality view: an audit of the wizard's data, browsable, with keep/drop decisions and
"write curated dataset" (which points the config at the new file)."""

from ftui.tui.wizard.quality.screen import QualityScreen

__all__ = ["QualityScreen"]
