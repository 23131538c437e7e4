"""Errors a user can cause and fix: each message is one sentence that says what to do."""


class SetupError(RuntimeError):
    """Kafka is not ready for this client: raised at construction, never from the training loop.

    The sentence names the argument to fix (``bootstrap_servers``, ``topic``, ...); a command-line
    program can name its own flag instead with :meth:`naming`.
    """

    def __init__(self, template: str, setting: str) -> None:
        self.template = template
        #: the argument the sentence asks to fix
        self.setting = setting
        super().__init__(template.format(setting=setting))

    def naming(self, setting: str) -> str:
        """The same sentence naming ``setting`` (e.g. ``--bootstrap-servers``) as the thing to fix."""
        return self.template.format(setting=setting)


class BrokerUnreachableError(SetupError):
    """No Kafka broker answered at the bootstrap servers within the timeout."""


class TopicMissingError(SetupError):
    """The broker answered, but the topic the client needs does not exist."""
