"""Casework views; being split into one module per subject (the next commit)."""

from assistance.views.applications import *  # noqa: F403
