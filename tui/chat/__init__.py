"""The chat screen: talk to a trained run with its template, optionally beside the base model."""

from ftui.tui.chat.screen import ChatScreen

__all__ = ["ChatScreen"]
