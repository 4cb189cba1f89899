"""Where batches run: in this process, a local process pool, or a Dask cluster.

Each executor takes picklable tasks, gives handles, and reports which handles finished; the
engine never depends on the order in which they finish, so counts are identical on all three.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os


class InProcessExecutor:
    """Runs each task when submitted, in this process (kernels use every core)."""

    name = "in-process"
    limit = 1
    threads = None

    def submit(self, fn, task):
        fut = cf.Future()
        try:
            fut.set_result(fn(task))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut

    def wait_any(self, handles):
        return [h for h in handles if h.done()] or list(cf.wait(handles, return_when=cf.FIRST_COMPLETED).done)

    def result(self, handle):
        return handle.result()

    def cancel(self, handle):
        handle.cancel()

    def close(self, cancel=False):
        pass


class PoolExecutor:
    """A local pool of ``workers`` processes (spawned: safe with OpenMP); kernels single-threaded."""

    name = "process-pool"
    threads = 1

    def __init__(self, workers: int):
        self.workers = workers
        self.limit = 2 * workers
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_quiet_worker)

    def submit(self, fn, task):
        return self._pool.submit(fn, task)

    def wait_any(self, handles):
        return list(cf.wait(handles, return_when=cf.FIRST_COMPLETED).done)

    def result(self, handle):
        return handle.result()

    def cancel(self, handle):
        handle.cancel()

    def close(self, cancel=False):
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


class GpuPoolExecutor(PoolExecutor):
    """One spawned worker process per GPU: worker i sees only device i (``CUDA_VISIBLE_DEVICES``).

    For a machine with several GPUs (``simulate_ber(backend="gpu")`` picks it when CuPy sees more
    than one device). On a Dask cluster, run one worker per GPU with ``dask-cuda``
    (``LocalCUDACluster`` / ``dask cuda worker``), which sets the same variable per worker.
    """

    name = "gpu-pool"
    threads = None

    def __init__(self, devices: int):
        if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
            raise ValueError(f"devices must be an integer >= 1 (got {devices!r})")
        self.workers = devices
        self.limit = 2 * devices
        ctx = multiprocessing.get_context("spawn")
        self._pool = cf.ProcessPoolExecutor(max_workers=devices, mp_context=ctx, initializer=_gpu_worker,
                                            initargs=(ctx.Value("i", 0),))


def _gpu_worker(counter):
    """Pool initializer: take the next device number and make it the only visible one (before CuPy loads)."""
    with counter.get_lock():
        device = counter.value
        counter.value += 1
    os.environ["CUDA_VISIBLE_DEVICES"] = str(device)
    _quiet_worker()


def gpu_count() -> int:
    """CUDA devices CuPy sees (0 without CuPy or a device)."""
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def _quiet_worker():
    # Ctrl-C goes to the parent, which shuts the pool down; workers must not print tracebacks.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")


class DaskExecutor:
    """Batches as tasks on a ``dask.distributed`` cluster (``client`` or a scheduler address)."""

    name = "dask"
    threads = 1

    def __init__(self, client):
        try:
            from dask import distributed
        except ImportError:
            raise RuntimeError("Dask execution needs the 'dask' extra: pip install 'dci-dsp[dask]'") from None
        self._distributed = distributed
        self._own = not isinstance(client, distributed.Client)
        self.client = distributed.Client(client) if self._own else client
        slots = sum(self.client.nthreads().values()) or 1
        self.limit = 2 * slots

    def submit(self, fn, task):
        return self.client.submit(fn, task, pure=False)

    def wait_any(self, handles):
        return list(self._distributed.wait(handles, return_when="FIRST_COMPLETED").done)

    def result(self, handle):
        return handle.result()

    def cancel(self, handle):
        handle.cancel()

    def close(self, cancel=False):
        if self._own:
            self.client.close()
