"""Suite-wide test settings: fast hashing is not used; personas hash once (tandem.core.testing)."""

import pytest


@pytest.fixture(autouse=True)
def _tandem_test_settings(settings: pytest.FixtureRequest) -> None:
    # Tasks run inline in tests unless a test starts a real worker itself; emails stay in memory.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    # Parsed run snapshots are kept per process by run id and creation time; tests roll their
    # runs back, and SQLite then hands the same ids out again (frozen clocks, the same times).
    from tandem.matching.services import forget_run_snapshots

    forget_run_snapshots()
