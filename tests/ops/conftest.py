"""The reader fixtures of tests/comments (site "news", a story, readers with tokens)."""

from __future__ import annotations

import tests.comments.conftest as reader_fixtures

_clear_cache = reader_fixtures._clear_cache
make_reader = reader_fixtures.make_reader
reader = reader_fixtures.reader
site = reader_fixtures.site
story = reader_fixtures.story
