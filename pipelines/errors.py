"""The failures a job expects, by exit code: jobs raise these, pipelines.cli turns each into one stderr line."""

from __future__ import annotations


class JobError(Exception):
    """An expected failure; its message is one line naming the field or path and the fix."""

    exit_code = 1


class CheckFailed(JobError):
    """A check the job exists to run found a problem (verify), or a worker died (re-running keeps finished work)."""

    exit_code = 1


class InputError(JobError, ValueError):
    """A bad config value, a missing or unreadable input, or an unreachable place: exit 2."""

    exit_code = 2


class Refused(JobError):
    """The job would overwrite or resume work made with other settings: exit 3."""

    exit_code = 3
