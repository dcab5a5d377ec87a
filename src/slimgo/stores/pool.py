"""Thread pools for transfers that an interrupt leaves at once, instead of waiting for a request that stalls."""

from __future__ import annotations

__all__ = ["transfer_pool"]

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def transfer_pool(jobs: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``jobs`` workers, shut down as ``with ThreadPoolExecutor`` does, except on Ctrl-C.

    On a KeyboardInterrupt the queued work is cancelled and the running work is not waited for: a worker may sit
    in a read from a registry that answers nothing, and the interrupted process must clean up and exit now
    (slimgo.cli.main exits without joining such threads).
    """
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        yield pool
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
