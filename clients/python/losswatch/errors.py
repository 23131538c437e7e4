"""Errors a user can cause and fix: each message is one sentence that says what to do."""


class SetupError(RuntimeError):
    """Kafka is not ready for this client: raised at construction, never from the training loop."""


class BrokerUnreachableError(SetupError):
    """No Kafka broker answered at the bootstrap servers within the timeout."""


class TopicMissingError(SetupError):
    """The broker answered, but the topic the client needs does not exist."""
