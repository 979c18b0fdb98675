"""Background tasks of matching: thin wrappers over services."""

from django_tasks import task

from tandem.matching import services


@task()
def execute_match_run(run_id: int) -> None:
    services.match_run_execute(run_id=run_id)


@task()
def sweep_match_requests(request_ids: list[int] | None = None) -> dict[str, int]:
    """The reminder and expiry job. Sending a request queues it, with `run_after`, for the
    moments that request is due (self_match.py); without ids it sweeps every open request."""
    from tandem.matching.self_match import match_requests_sweep

    result = match_requests_sweep(request_ids=request_ids)
    return {"reminded": result.reminded, "expired": result.expired}
