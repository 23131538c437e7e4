"""Publishes a run's step events to Kafka without ever holding up the training loop."""
from __future__ import annotations

import atexit
import collections
import datetime as _dt
import logging
import threading
import time as _time
import weakref
from typing import Any, Deque, Dict, Mapping, Optional, Tuple

from . import _kafka
from .events import check_run_id, encode, step_event

log = logging.getLogger("losswatch")

# Steps queued at most (here, and again in the producer); beyond that a step is dropped and counted.
# About 0.5 KB each: a broker away for 25 minutes of 30 ms steps.
DEFAULT_MAX_QUEUED = 50_000
# How often the sending thread picks up queued steps. The training thread only appends and never wakes
# it: building, encoding and producing a step on the training thread cost 130-190 us after a LeNet step
# (cold caches, two busy cores), the append under 10 us.
SEND_INTERVAL_S = 0.02
# The producer waits this long to batch steps; with SEND_INTERVAL_S, a step is on the wire within ~40 ms.
LINGER_MS = 20

# The open reporter of each run id in this process, so that a Guard can mark its resume on it.
_OPEN: "weakref.WeakValueDictionary[str, Reporter]" = weakref.WeakValueDictionary()


# What a reporter left open at interpreter exit waits for its last steps.
EXIT_TIMEOUT_S = 5.0


@atexit.register
def _close_open_reporters() -> None:
    for reporter in list(_OPEN.values()):
        reporter.close(timeout=EXIT_TIMEOUT_S)


def open_reporter(run_id: str) -> Optional["Reporter"]:
    """The open :class:`Reporter` of ``run_id`` in this process, if there is one."""
    return _OPEN.get(run_id)


class Reporter:
    """Sends one step event per training step to ``training.metrics``, keyed by run id.

    ``report`` only appends the step to a bounded in-memory queue and returns; a background thread
    builds the event, encodes it and hands it to an idempotent Kafka producer, which sends it. So the
    training loop never waits for Kafka and never sees a Kafka error: a step that finds the queue
    full (a broker gone for long) or that the broker never took is counted in :attr:`dropped`, one
    whose fields do not validate in :attr:`invalid`, and each kind of trouble is logged once to the
    ``losswatch`` logger. A broker that goes away and comes back within ``message.timeout.ms``
    (librdkafka's default, 5 minutes) gets every step, in order, once.

    Construction checks, with a short timeout, that a broker answers and that the topic exists,
    and raises :class:`~losswatch.errors.SetupError` with one sentence when not.

    Close it (or use ``with``) so that the last steps are sent; one still open when the interpreter
    exits is closed then, waiting up to 5 s.

    Args:
        run_id: 1-128 characters of ``[A-Za-z0-9._:/-]``, the key of every event.
        bootstrap_servers: Kafka brokers, ``host:port[,host:port]``; default
            ``$LOSSWATCH_BOOTSTRAP_SERVERS`` or ``127.0.0.1:9092``.
        topic: the metrics topic the monitor reads.
        labels: labels sent on every event (model, optimizer, ...); ``report(labels=...)`` adds to them.
        kafka: any librdkafka producer setting, applied over ours (``security.protocol``, ...).
        max_queued: steps waiting for the broker at most; more are dropped and counted.
        connect_timeout: seconds to wait for a broker at construction; ``None`` skips the check.
    """

    def __init__(
        self,
        run_id: str,
        bootstrap_servers: Optional[str] = None,
        topic: str = "training.metrics",
        labels: Optional[Mapping[str, Any]] = None,
        kafka: Optional[Mapping[str, Any]] = None,
        *,
        max_queued: int = DEFAULT_MAX_QUEUED,
        connect_timeout: Optional[float] = _kafka.DEFAULT_CONNECT_TIMEOUT_S,
    ) -> None:
        from confluent_kafka import Producer

        self.run_id = check_run_id(run_id)
        self.topic = topic
        self.bootstrap_servers = _kafka.bootstrap_servers(bootstrap_servers)
        self.labels: Dict[str, str] = {str(k): str(v) for k, v in (labels or {}).items()}
        self.max_queued = max_queued
        #: steps handed to the producer
        self.queued = 0
        #: steps the broker acknowledged
        self.sent = 0
        #: steps lost: the queue was full, the broker never took them, or still queued at close
        self.dropped = 0
        #: steps not sent because a field did not validate (see the ``losswatch`` log)
        self.invalid = 0
        self._pending_resume: Optional[Tuple[int, Optional[int]]] = None
        self._steps: Deque[Tuple[Any, ...]] = collections.deque()
        self._warned: set = set()
        self._broker_down = False
        self._closed = False
        conf = _kafka.client_config(
            self.bootstrap_servers, kafka,
            **{"client.id": "losswatch-py-" + run_id[:40], "enable.idempotence": True, "acks": "all",
               "linger.ms": LINGER_MS, "partitioner": "murmur2_random",  # the Java clients' partition for a key
               "queue.buffering.max.messages": max_queued, "error_cb": self._on_error})
        self._producer = Producer(conf)
        if connect_timeout is not None:
            _kafka.check_topic(self._producer, self.bootstrap_servers, topic, connect_timeout, "topic")
        self._key = run_id.encode("utf-8")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._cycle_done = threading.Condition()
        self._cycles = 0
        self._sender = threading.Thread(target=self._send_loop, name=f"losswatch-report-{run_id[:40]}", daemon=True)
        self._sender.start()
        _OPEN[run_id] = self

    @property
    def pending(self) -> int:
        """Steps not yet acknowledged by the broker: queued here or in the producer."""
        return len(self._steps) + len(self._producer)

    def note_resume(self, from_step: int, skipped_batches: Optional[int] = None) -> None:
        """Marks the next reported step as the first after resuming from ``from_step``'s checkpoint.

        The next :meth:`report` then carries ``resumed_from`` (and ``skipped_batches`` when given);
        a :class:`~losswatch.Guard` calls this itself after a rollback or a skip.
        """
        self._pending_resume = (int(from_step), None if skipped_batches is None else int(skipped_batches))

    def report(
        self,
        step: int,
        loss: float,
        *,
        grad_norm: Optional[float] = None,
        layer_grad_norms: Optional[Mapping[str, float]] = None,
        learning_rate: Optional[float] = None,
        param_norm: Optional[float] = None,
        update_ratio: Optional[float] = None,
        val_loss: Optional[float] = None,
        epoch: Optional[int] = None,
        resumed_from: Optional[int] = None,
        skipped_batches: Optional[int] = None,
        labels: Optional[Mapping[str, Any]] = None,
        time: Optional[str] = None,
    ) -> bool:
        """Queues the step event of ``step`` and returns at once: True when queued, False when dropped.

        The fields are those of :func:`losswatch.events.step_event`; the event is built and
        validated on the sending thread (a field that does not validate is counted in
        :attr:`invalid`). A learning rate below zero is sent as it is, and logged once: it is
        always a bug. Never blocks, never raises.
        """
        if self._closed:
            self._warn_once("closed", "report() after close(): the step is not sent")
            self._count("dropped")
            return False
        if len(self._steps) >= self.max_queued:
            self._count("dropped")
            self._warn_once("full", f"the queue of steps for Kafka at {self.bootstrap_servers} is full: "
                                    "steps are dropped (counted in Reporter.dropped) until the broker takes them")
            return False
        resume = self._pending_resume
        if resume is not None and resumed_from is None:
            resumed_from = resume[0]
            skipped_batches = resume[1] if skipped_batches is None else skipped_batches
        self._pending_resume = None
        if isinstance(learning_rate, (int, float)) and not isinstance(learning_rate, bool) and learning_rate < 0:
            self._warn_once("negative-lr", f"run {self.run_id}: learning_rate {learning_rate:g} at step {step} is "
                                           "below zero: every step climbs the loss (a schedule run past its end?)")
        fields = {"grad_norm": grad_norm, "layer_grad_norms": layer_grad_norms, "learning_rate": learning_rate,
                  "param_norm": param_norm, "update_ratio": update_ratio, "val_loss": val_loss, "epoch": epoch,
                  "resumed_from": resumed_from, "skipped_batches": skipped_batches,
                  "labels": {**self.labels, **labels} if labels else self.labels}
        self._steps.append((step, loss, time if time is not None else _time.time(), fields))
        return True

    def flush(self, timeout: float = 10.0) -> int:
        """Waits up to ``timeout`` seconds for queued steps to be sent; returns how many are left."""
        deadline = _time.monotonic() + timeout
        self._hand_over(timeout)
        return self._producer.flush(max(0.0, deadline - _time.monotonic())) + len(self._steps)

    def close(self, timeout: float = 10.0) -> None:
        """Sends what is queued (waiting up to ``timeout`` seconds), then counts what is left as dropped."""
        if self._closed:
            return
        self._closed = True
        deadline = _time.monotonic() + timeout
        self._stop.set()
        self._wake.set()
        self._sender.join(timeout=max(1.0, timeout))  # it hands every queued step to the producer first
        left = self._producer.flush(max(0.0, deadline - _time.monotonic())) + len(self._steps)
        self._steps.clear()
        if left:
            self._count("dropped", left)
            log.warning("losswatch: run %s: %d %s not sent to Kafka at %s within %g s", self.run_id, left,
                        "step" if left == 1 else "steps", self.bootstrap_servers, timeout)
        if _OPEN.get(self.run_id) is self:
            del _OPEN[self.run_id]

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _hand_over(self, timeout: float) -> None:
        """Waits until the sending thread has handed every step queued so far to the producer."""
        with self._cycle_done:
            target = self._cycles + 2  # the cycle under way may have started before the last append
            self._wake.set()
            self._cycle_done.wait_for(lambda: self._cycles >= target or not self._sender.is_alive(), timeout)

    def _send_loop(self) -> None:
        while True:
            self._wake.wait(SEND_INTERVAL_S)
            self._wake.clear()
            # read before draining: close() sets it after the last report(), so a drain that follows
            # seeing it set takes every step (read after, a step appended mid-drain would be left behind)
            stopping = self._stop.is_set()
            while self._steps:
                self._send(*self._steps.popleft())
            self._producer.poll(0)
            with self._cycle_done:
                self._cycles += 1
                self._cycle_done.notify_all()
            if stopping:
                return

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:  # the training thread, the sending thread and flush() all count
            setattr(self, name, getattr(self, name) + n)

    def _send(self, step: Any, loss: Any, when: Any, fields: Dict[str, Any]) -> None:
        try:
            stamp = when if isinstance(when, str) else _rfc3339(when)
            value = encode(step_event(self.run_id, step, loss, time=stamp, **fields))
        except ValueError as e:
            self._count("invalid")
            self._warn_once("invalid:" + str(e), f"step {step!r} is not sent: {e}")
            return
        try:
            self._producer.produce(self.topic, key=self._key, value=value, on_delivery=self._on_delivery)
            self._count("queued")
        except BufferError:
            self._count("dropped")
            self._warn_once("full", f"the queue of steps for Kafka at {self.bootstrap_servers} is full: "
                                    "steps are dropped (counted in Reporter.dropped) until the broker takes them")
        except Exception as e:  # a fatal producer error: counted, never raised into the training loop
            self._count("dropped")
            self._warn_once("produce:" + type(e).__name__, f"steps are not sent to Kafka: {e}")

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is None:
            self._count("sent")
            if self._broker_down:
                self._broker_down = False
                log.warning("losswatch: Kafka at %s answers again; queued steps are being sent", self.bootstrap_servers)
        else:
            self._count("dropped")
            self._warn_once("delivery:" + err.name(), f"a step was not delivered to Kafka: {err.str()}")

    def _on_error(self, err: Any) -> None:
        from confluent_kafka import KafkaError

        if err.code() == KafkaError._ALL_BROKERS_DOWN and not self._broker_down:
            self._broker_down = True
            log.warning("losswatch: Kafka at %s stopped answering; training goes on and steps are queued "
                        "(up to %d) until it returns", self.bootstrap_servers, self.max_queued)

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("losswatch: %s", message)


def _rfc3339(epoch_seconds: float) -> str:
    t = _dt.datetime.fromtimestamp(epoch_seconds, _dt.timezone.utc)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
