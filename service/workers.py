"""The Celery application. Tasks carry ids only; job state lives in PostgreSQL.

Late acknowledgement and one message prefetched at a time, so a worker that
dies mid-task leaves its message to the broker; independently of the broker,
the job reaper (:mod:`service.jobs.reaper`) re-sends any job whose lease ran
out, and the claim in :mod:`service.jobs.store` lets only one attempt finish.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import setup_logging

from service.config import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings`` (the embedded file broker when no URL is set)."""
    app = Celery("tanji", broker=settings.broker_url(), include=["service.jobs.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue="tanji",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_serializer="json",
        accept_content=["json"],
    )
    if settings.celery_broker_url is None:
        folder = settings.broker_dir
        folder.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder), "data_folder_out": str(folder),
            "control_folder": str(folder / "control"), "store_processed": False,
        }
    elif settings.celery_broker_url.startswith(("redis://", "rediss://")):
        app.conf.broker_transport_options = {"visibility_timeout": 3600}
    return app


@setup_logging.connect
def _json_logs(**_: object) -> None:
    """Workers log JSON lines like the API (Celery would otherwise set its own format)."""
    from service.logging import configure

    configure()


app = make_celery(get_settings())
