import pytest
from django.db import connection

# On PostgreSQL every search test also runs against the PostgreSQL backend.
BACKENDS = ["embedded", "postgres"] if connection.vendor == "postgresql" else ["embedded"]


@pytest.fixture(autouse=True, params=BACKENDS)
def search_backend(request, settings, tmp_path):
    """Every test gets its own KAIFANG_HOME, so no test sees another's index."""
    from kaifang.search.backends import reset_backends

    settings.KAIFANG_HOME = tmp_path
    settings.KAIFANG_SEARCH_BACKEND = request.param
    reset_backends()
    yield request.param
    reset_backends()
