"""Losswatch's Python client: report a training run's steps to Kafka, and act on its alerts.

- :class:`Reporter` sends one step event per training step to ``training.metrics``;
- :func:`losswatch.torch.watch` adds what PyTorch knows (gradient, parameter and update norms,
  learning rate) to each step;
- :class:`Guard` follows the monitor's alerts on ``training.alerts`` and stops the run, or rolls
  it back to a checkpoint from before the divergence with a lower learning rate.

``import losswatch`` does not import torch; ``losswatch.torch`` does, on first use.
"""
from typing import Any

from .errors import BrokerUnreachableError, SetupError, TopicMissingError
from .events import step_event
from .guard import Action, Guard
from .reporter import Reporter

__version__ = "0.1.0"
__all__ = ["Action", "BrokerUnreachableError", "Guard", "Reporter", "SetupError", "TopicMissingError",
           "step_event"]


def __getattr__(name: str) -> Any:
    if name == "torch":  # losswatch.torch.watch(...) after a plain `import losswatch`
        import importlib

        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
