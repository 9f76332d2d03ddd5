"""The RQ worker class Youka runs: `rq worker -w jobs.worker.AppWorker ...`.

RQ's default worker forks a fresh process per job, so a job would build the Flask app
anew every time. This worker builds the app once, when it starts, and runs jobs in its
own process, each inside a fresh context of that app (RQ's SimpleWorker; job timeouts still apply).
"""
from rq.worker import SimpleWorker

from jobs import worker_app


class AppWorker(SimpleWorker):
    def execute_job(self, job, queue):
        # A fresh app context per job: its database session ends with the job.
        with worker_app().app_context():
            return super().execute_job(job, queue)
