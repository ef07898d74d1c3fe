"""Casework services; being split into one module per subject (the next commit)."""

from assistance.services.applications import *  # noqa: F403
