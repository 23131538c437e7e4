"""What the reporter and the guard share about Kafka: settings, the start-up check, quiet logs."""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, Mapping, Optional

from .errors import BrokerUnreachableError, TopicMissingError

DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
BOOTSTRAP_ENV = "LOSSWATCH_BOOTSTRAP_SERVERS"
# How long construction waits for a broker to answer before it says so.
DEFAULT_CONNECT_TIMEOUT_S = 10.0

# librdkafka's own log lines (a refused connection, a broker down) go here rather than to the console:
# the user gets one sentence from us instead. Lower its level to see them.
KAFKA_LOG = logging.getLogger("losswatch.kafka")
if KAFKA_LOG.level == logging.NOTSET:
    KAFKA_LOG.setLevel(logging.CRITICAL)


def bootstrap_servers(value: Optional[str]) -> str:
    """The bootstrap servers to use: the argument, else ``$LOSSWATCH_BOOTSTRAP_SERVERS``, else 127.0.0.1:9092."""
    return value or os.environ.get(BOOTSTRAP_ENV) or DEFAULT_BOOTSTRAP_SERVERS


def client_config(servers: str, kafka: Optional[Mapping[str, Any]], **defaults: Any) -> Dict[str, Any]:
    """Our defaults, then the user's Kafka settings on top (TLS, SASL, ...), then the servers."""
    conf: Dict[str, Any] = {"logger": KAFKA_LOG}
    conf.update(defaults)
    conf.update(dict(kafka or {}))
    conf["bootstrap.servers"] = servers
    return conf


def check_topic(client: Any, servers: str, topic: str, timeout_s: float, needed_by: str) -> None:
    """Raises a one-sentence :class:`SetupError` when no broker answers or ``topic`` is missing.

    Asks for the metadata of all topics (not of ``topic`` alone, which a broker with automatic topic
    creation would create).
    """
    from confluent_kafka import KafkaException

    shown = servers.replace("{", "{{").replace("}", "}}")  # the sentence is a template for SetupError.naming
    try:
        metadata = client.list_topics(timeout=timeout_s)
    except KafkaException:
        raise BrokerUnreachableError(
            f"no Kafka broker answered at {shown} within {timeout_s:g} s: start one (./losswatch broker) "
            "or pass the right {setting}", "bootstrap_servers") from None
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise TopicMissingError(
            f"topic {topic} does not exist at {shown}: start the monitor first (./losswatch monitor creates "
            "its topics), create it, or pass the right {setting}", needed_by) from None
