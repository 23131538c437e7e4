"""Follows one run's alerts on the alerts topic, from its end, on a background thread."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any, Callable, Dict, Mapping, Optional

from . import _kafka

log = logging.getLogger("losswatch")

# How long one poll of the background thread waits: also how long close() may wait for it.
POLL_INTERVAL_S = 0.2


class AlertFollower:
    """Reads ``alerts_topic`` with ``isolation.level=read_committed`` and hands each alert of ``run_id``
    (a dict, as the monitor wrote it) to ``on_alert`` on its own daemon thread.

    It starts at the end of every partition as they are at construction, so it sees only alerts
    raised from then on, and commits nothing. Construction checks that a broker answers and that
    the topic exists, and raises :class:`~losswatch.errors.SetupError` with one sentence when not.
    """

    def __init__(self, run_id: str, on_alert: Callable[[Dict[str, Any]], None], bootstrap_servers: str,
                 alerts_topic: str = "training.alerts", kafka: Optional[Mapping[str, Any]] = None,
                 connect_timeout: float = _kafka.DEFAULT_CONNECT_TIMEOUT_S) -> None:
        from confluent_kafka import Consumer, TopicPartition

        self.run_id = run_id
        self._key = run_id.encode("utf-8")
        self._on_alert = on_alert
        conf = _kafka.client_config(
            bootstrap_servers, kafka,
            **{"group.id": f"losswatch-guard-{uuid.uuid4()}",  # never joins or commits: partitions are assigned
               "enable.auto.commit": False, "isolation.level": "read_committed",
               "auto.offset.reset": "latest", "client.id": "losswatch-py-guard-" + run_id[:40]})
        self._consumer = Consumer(conf)
        try:
            _kafka.check_topic(self._consumer, bootstrap_servers, alerts_topic, connect_timeout, "alerts_topic")
            topic = self._consumer.list_topics(alerts_topic, timeout=connect_timeout).topics[alerts_topic]
            partitions = topic.partitions
            assignment = []
            for p in sorted(partitions):
                _low, high = self._consumer.get_watermark_offsets(TopicPartition(alerts_topic, p),
                                                                  timeout=connect_timeout, cached=False)
                assignment.append(TopicPartition(alerts_topic, p, high))
            self._consumer.assign(assignment)
        except BaseException:
            self._consumer.close()
            raise
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"losswatch-alerts-{run_id[:40]}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._consumer.poll(POLL_INTERVAL_S)
            except Exception as e:  # a closed or failed consumer: nothing more to follow
                log.warning("losswatch: stopped following alerts of run %s: %s", self.run_id, e)
                return
            if msg is None or msg.error() is not None or msg.key() != self._key:
                continue
            try:
                alert = json.loads(msg.value())
            except (ValueError, TypeError):
                log.warning("losswatch: an alert record of run %s is not JSON; skipped", self.run_id)
                continue
            if isinstance(alert, dict) and alert.get("run_id", self.run_id) == self.run_id:
                self._on_alert(alert)

    def close(self) -> None:
        """Stops the thread and closes the consumer."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=10 * POLL_INTERVAL_S + 5)
        self._consumer.close()
