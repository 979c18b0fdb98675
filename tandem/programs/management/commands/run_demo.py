import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the demo: the development server and a task worker, stopped together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        # Both processes read SITE_URL from PORT (config/settings.py): the worker's emails link
        # to the port the server listens on, even when --port differs from $PORT.
        env = {**os.environ, "PORT": str(options["port"])}
        worker = subprocess.Popen(  # noqa: S603
            [*manage, "db_worker", "--interval", "0.5"], env=env
        )
        try:
            subprocess.run(  # noqa: S603
                [*manage, "runserver", "--noreload", f"127.0.0.1:{options['port']}"],
                check=False,
                env=env,
            )
        except KeyboardInterrupt:
            pass
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
