"""Background tasks of matching: thin wrappers over services."""

from django_tasks import task

from tandem.matching import services


@task()
def execute_match_run(run_id: int) -> None:
    services.match_run_execute(run_id=run_id)
