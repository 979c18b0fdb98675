"""Background tasks of matching: thin wrappers over services."""

from django_tasks import task

from tandem.matching import services


@task()
def execute_match_run(run_id: int) -> None:
    services.match_run_execute(run_id=run_id)


@task()
def sweep_match_requests() -> None:
    """The scheduled job as a task, for deployments that enqueue it from a scheduler."""
    from tandem.matching.self_match import match_requests_sweep

    match_requests_sweep()
