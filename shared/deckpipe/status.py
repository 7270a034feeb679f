"""The public view of a job, as the status endpoint returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .errors import plain_message
from .jobs import DONE, Job
from .runtime import Runtime
from .upload import clean_filename


def describe(rt: Runtime, job: Job) -> dict[str, Any]:
    done = job.state == DONE
    return {
        "job_id": job.job_id,
        "state": job.state,
        "filename": clean_filename(job.filename),  # again: jobs stored before the cleaning
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "attempts": job.attempts,
        "error": None if job.error is None else {
            "code": job.error.code, "message": plain_message(job.error.code, job.error.message)
        },
        "result_url": rt.settings.result_url_for(job.job_id) if done else None,
        "result": {
            "pages": job.pages,
            "bytes": job.result_bytes,
            "duration_seconds": job.duration_seconds,
            "warnings": list(job.warnings),
            "report": dict(job.report),
        }
        if done
        else None,
    }


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
