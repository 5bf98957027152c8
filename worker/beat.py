"""The scheduler inside ``parindex worker --beat``: state kept in memory, and a watchdog
that ends the worker when beat dies, so a supervisor restarts both.

Celery's default scheduler keeps a shelve file; on a full or read-only volume it fails,
beat dies, and the worker goes on without ticks. Our scheduled tasks are asked once per
period with a dedupe key (``worker.schedules``), so a restart that forgets when each
entry last ran costs at most a repeated ask, which is a no-op.
"""

from __future__ import annotations

import logging
import os
import threading

from celery import bootsteps
from celery.beat import Scheduler
from celery.worker import state

log = logging.getLogger(__name__)

#: Exit status of a worker whose beat died (EX_SOFTWARE): "restart me".
BEAT_DIED_EXIT = 70
#: How often the watchdog looks at beat.
WATCH_SECONDS = 1.0
#: How long a warm shutdown may take before the watchdog ends the process itself.
SHUTDOWN_GRACE_SECONDS = 30.0


#: Set in the worker's main process when beat died (``parindex worker`` then exits with
#: ``BEAT_DIED_EXIT``: Celery's own exit status of a warm shutdown is 0).
died = threading.Event()


class MemoryScheduler(Scheduler):
    """Celery's base scheduler: the schedule lives in memory, nothing is written to disk."""


class BeatWatchdog(bootsteps.StartStopStep):
    """Watches the embedded beat of a worker; when it is gone, the worker stops with
    ``BEAT_DIED_EXIT`` (warm shutdown first, then at once after the grace period)."""

    label = "Beat watchdog"
    conditional = True
    requires = ("celery.worker.components:Beat",)

    def __init__(self, w, beat=False, **kwargs) -> None:
        self.enabled = bool(beat)
        self.stopping = threading.Event()
        super().__init__(w, beat=beat, **kwargs)

    def start(self, w) -> None:
        beat = w.beat
        if beat is None:
            return
        log.info("beat watchdog: watching beat (pid %s)", getattr(beat, "pid", None))
        thread = threading.Thread(target=self.watch, args=(beat,), name="beat-watchdog")
        thread.daemon = True
        thread.start()

    def watch(self, beat) -> None:
        while not self.stopping.wait(WATCH_SECONDS):
            if not beat.is_alive():
                log.critical(
                    "beat has stopped: the worker exits with status %s to be restarted",
                    BEAT_DIED_EXIT,
                )
                died.set()
                state.should_stop = BEAT_DIED_EXIT
                if not self.stopping.wait(SHUTDOWN_GRACE_SECONDS):
                    os._exit(BEAT_DIED_EXIT)
                return

    def stop(self, w) -> None:
        self.stopping.set()
