"""The log records of task workers, logged by the runner that started them (one stream).

``omics run`` runs tasks side by side in worker processes. Were each worker to write its
log lines to the terminal itself, they would land in the middle of the runner's progress
bar; relayed, the runner logs them through its own handlers (which clear the bar and draw
it again below the line) and before its line saying that the task finished.

The workers send each record through a pipe as they log it (:class:`RelayHandler`); the
runner reads the pipe between its waits for finished tasks (:meth:`LogRelay.drain`). A
worker has sent every record of a task before it hands back the task's result, so the
runner, draining the pipe once it has a result, has every line of that task.
"""

from __future__ import annotations

import logging
import logging.handlers
from multiprocessing.context import BaseContext
from multiprocessing.queues import SimpleQueue

from ._logging import LOGGER_NAME


class RelayHandler(logging.handlers.QueueHandler):
    """Send each record to the runner through ``queue`` (in a worker process)."""

    def enqueue(self, record: logging.LogRecord) -> None:
        """Put ``record`` (its message filled in, see :meth:`prepare`) in the queue."""
        self.queue.put(record)


def relay_to(queue: SimpleQueue) -> None:
    """Send the package's log records to the runner through ``queue`` (call in a worker).

    The package logger's handlers (inherited from the runner when the worker was forked)
    are replaced, and its records no longer go to the loggers above it here: the runner
    hands each one to the logger that made it, so its handlers and those above show it
    once, as they would show a line the runner logged.

    Parameters
    ----------
    queue
        :attr:`LogRelay.queue` of the runner.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.addHandler(RelayHandler(queue))
    logger.propagate = False


class LogRelay:
    """Where the runner's workers send their log records, and how the runner logs them.

    Parameters
    ----------
    context
        The multiprocessing context the workers are started with (None: the default).
    """

    def __init__(self, context: BaseContext | None) -> None:
        import multiprocessing

        self.queue: SimpleQueue = (context or multiprocessing.get_context()).SimpleQueue()

    def drain(self) -> None:
        """Log here every record the workers have sent so far, in the order they sent them."""
        while not self.queue.empty():
            record = self.queue.get()
            logging.getLogger(record.name).handle(record)

    def close(self) -> None:
        """Log what is left and close the pipe (once the workers have stopped)."""
        self.drain()
        self.queue.close()
