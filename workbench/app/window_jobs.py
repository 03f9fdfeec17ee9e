"""The main window's workers: one job per kind (load, track, index, chain) with its progress and a
Cancel button in the status bar. Layer: app (Qt).

:class:`WindowJobsMixin` is one part of :class:`workbench.app.main_window.MainWindow`. Starting a job
of a kind already running cancels the older one; a failure goes to the one error sink
(``state.post_error``).
"""

from __future__ import annotations

from typing import Any, Callable

from workbench.app.jobs import Job, run_in_thread


class WindowJobsMixin:
    """``_start`` a worker per kind; the status bar shows its progress while any runs."""

    _jobs: dict[str, Job]

    def _start(self, key: str, fn: Callable, *args: Any, title: str, on_done: Callable) -> Job:
        old = self._jobs.get(key)
        if old is not None:
            old.cancel()
        job = run_in_thread(fn, *args, on_done=on_done, on_error=lambda m, t=title: self._on_job_failed(t, m),
                            title=title)
        self._jobs[key] = job
        job.progress.connect(self._on_job_progress)
        job.ended.connect(lambda k=key, j=job: self._on_job_ended(k, j))
        self._update_progress(title)
        return job

    def _on_job_failed(self, title: str, message: str) -> None:
        self.state.post_error(title.replace("Opening", "Could not open"), message.split("\n\n")[0])

    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        if text:
            self.progress.setFormat(text if total <= 0 else f"{text} %p%")
            self.status_label.setText(text)

    def _on_job_ended(self, key: str, job: Job) -> None:
        if self._jobs.get(key) is job:
            del self._jobs[key]
        self._update_progress()

    def _update_progress(self, title: str = "") -> None:
        busy = bool(self._jobs)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy and title:
            self.progress.setRange(0, 0)
            self.progress.setFormat(title)
            self.status_label.setText(title + "…")

    @property
    def busy(self) -> bool:
        """Whether a worker is running."""
        return bool(self._jobs)

    def cancel_jobs(self) -> None:
        """Cancel every running worker."""
        for job in list(self._jobs.values()):
            job.cancel()
        self.state.post_status("Cancelled")
