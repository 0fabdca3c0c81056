"""The scheduler's jobs, as app/jobs.py names them for the services that wake them."""

from __future__ import annotations

from app import jobs
from app.webhooks import service as webhooks


def test_the_job_webhooks_wake_is_one_the_scheduler_runs() -> None:
    # app.jobs names it itself (so a worker starts without the webhooks' service): same name
    assert webhooks.DELIVERY_JOB == jobs.DELIVERY_JOB
    assert jobs.JOBS[webhooks.DELIVERY_JOB] is jobs.deliver_webhooks
