"""Civility: a self-hosted comment section for news sites, with moderation built in."""

__version__ = "0.1.0"
