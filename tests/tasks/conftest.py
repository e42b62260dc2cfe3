from tests.webhooks.conftest import (  # noqa: F401 - the same site, receiver and settings
    _fresh_cache,
    admin,
    make_reader,
    quick_retries,
    receiver,
    site,
    story,
)
