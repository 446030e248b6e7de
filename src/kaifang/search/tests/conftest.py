import pytest


@pytest.fixture(autouse=True)
def _own_index(settings, tmp_path):
    """Every test gets its own KAIFANG_HOME, so no test sees another's index."""
    from kaifang.search.backends import reset_backends

    settings.KAIFANG_HOME = tmp_path
    reset_backends()
    yield
    reset_backends()
