"""The service's background threads: the job runner, the anchoring worker, the attendance
pass and the points settler, each a loop.

A :class:`Loop` calls one round of work (:meth:`api.service.jobs.JobRunner.run_once`,
:meth:`api.service.worker.Anchorer.run_once`) again and again, backing off after an
error; :class:`Background` starts and stops the loops the service's settings call for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ledger import ChainError
from ledger.errors import InputError

from . import attendance
from .context import Service
from .jobs import JobRunner
from .thresholds import Settler
from .worker import Anchorer

# the loops' messages keep the worker's logger name
log = logging.getLogger("credbank.worker")

MAX_BACKOFF_S = 5.0


class Loop:
    """A daemon thread calling ``step`` every ``poll`` seconds (at once again while it
    finds work). An exception backs off exponentially up to MAX_BACKOFF_S and is logged
    once per distinct message; the loop itself never dies of one."""

    def __init__(self, name: str, step: Callable[[], bool], poll: float) -> None:
        self.name = name
        self._step = step
        self._poll = poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._changed = threading.Condition()
        self._rounds = 0  # rounds completed
        self._last_idle = -1  # the last round that found nothing to do
        self.failures = 0
        self.last_error: str | None = None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop after its current round and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> None:
        """Block until a round that started after this call found nothing to do."""
        with self._changed:
            # the round running now may have started before the call: wait for the next
            target = self._rounds + 2
            if not self._changed.wait_for(lambda: self._last_idle >= target, timeout):
                raise TimeoutError(f"{self.name} still busy after {timeout:g} s "
                                   f"(last error: {self.last_error})")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._step()
            except Exception as exc:  # the loop must survive any one round
                self.failures += 1
                message = f"{type(exc).__name__}: {exc}"
                if message != self.last_error:
                    log.warning("%s: %s; retrying", self.name, message,
                                exc_info=not isinstance(exc, ChainError))
                self.last_error = message
                self._round_done(busy=True)
                self._stop.wait(min(self._poll * 2 ** min(self.failures, 10), MAX_BACKOFF_S))
                continue
            if self.failures:
                log.info("%s: working again", self.name)
            self.failures = 0
            self.last_error = None
            self._round_done(busy)
            if not busy:
                self._stop.wait(self._poll)

    def _round_done(self, busy: bool) -> None:
        with self._changed:
            self._rounds += 1
            if not busy:
                self._last_idle = self._rounds
            self._changed.notify_all()


def job_loop(svc: Service) -> Loop:
    runner = JobRunner(svc)
    return Loop("jobs", runner.run_once, svc.settings.worker_poll_seconds)


def anchoring_loop(svc: Service, anchorer: Anchorer | None = None) -> Loop:
    worker = anchorer or Anchorer(svc)
    return Loop("anchoring", lambda: bool(worker.run_once()), svc.settings.worker_poll_seconds)


def points_loop(svc: Service) -> Loop:
    """Credit new credentials, reverse revoked ones' entries, issue thresholds' awards."""
    settler = Settler(svc)
    return Loop("points", lambda: bool(settler.run_once()), svc.settings.worker_poll_seconds)


def attendance_loop(svc: Service) -> Loop:
    """Closes and anchors finished venue-days (api.service.attendance.run_once)."""
    return Loop("attendance", lambda: attendance.run_once(svc),
                svc.settings.attendance_poll_seconds)


@dataclass
class Background:
    """The service's background threads: the job runner (signing needs no chain) and the
    anchoring worker and the attendance pass (only with a chain configured; the attendance
    pass only with ``attendance_anchoring`` and the governor key), the points settler. All
    only if
    ``run_worker``."""

    anchoring: Loop | None
    jobs: Loop | None
    attendance: Loop | None = None
    points: Loop | None = None

    @classmethod
    def for_service(cls, svc: Service) -> Background:
        if not svc.settings.run_worker:
            return cls(None, None)
        try:
            chain = svc.chain_config()
        except InputError as exc:  # a broken chain.json must not keep the API down
            log.warning("cannot read the chain configuration (%s): credentials stay "
                        "pending", exc)
            chain = None
        else:
            if chain is None:
                log.warning("no chain configured (DATA_DIR/chain.json, or rpc_url and "
                            "registry): credentials stay pending")
        # the pass publishes with the governor key: a service without one leaves venue-days
        # to whoever governs
        attending = (chain is not None and svc.settings.attendance_anchoring
                     and svc.governor_key is not None)
        return cls(anchoring_loop(svc) if chain is not None else None, job_loop(svc),
                   attendance_loop(svc) if attending else None, points_loop(svc))

    def start(self) -> None:
        for loop in (self.jobs, self.anchoring, self.attendance, self.points):
            if loop is not None:
                loop.start()

    def stop(self) -> None:
        for loop in (self.jobs, self.anchoring, self.attendance, self.points):
            if loop is not None:
                loop.stop()
