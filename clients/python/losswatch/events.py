"""The step event of schema 1, as the monitor reads it from ``training.metrics``.

One function builds and validates an event; one encodes it. Non-finite numbers are written as the
bare tokens ``NaN``, ``Infinity`` and ``-Infinity`` (what :func:`json.dumps` writes), which the monitor
accepts: a NaN loss is what divergence looks like and must reach it.
"""
from __future__ import annotations

import datetime as _dt
import json
import numbers
import re
from typing import Any, Dict, Mapping, Optional

SCHEMA_VERSION = 1
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9._:/-]{1,128}")
_RUN_ID_RULE = "1-128 characters of [A-Za-z0-9._:/-]"


def check_run_id(run_id: str) -> str:
    """Returns ``run_id`` when it is a valid run id, else raises :class:`ValueError` saying why."""
    if not isinstance(run_id, str) or RUN_ID_PATTERN.fullmatch(run_id) is None:
        raise ValueError(f"run id {run_id!r} is not valid: use {_RUN_ID_RULE}")
    return run_id


def _integer(name: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _number(name: str, value: Any) -> float:
    """A float from a Python number, a numpy scalar or a 0-d tensor; NaN and infinities pass."""
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def utc_now() -> str:
    """The current time in RFC 3339 with milliseconds, e.g. ``2026-11-27T05:00:00.123Z``."""
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step_event(
    run_id: str,
    step: int,
    loss: float,
    *,
    time: Optional[str] = None,
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
) -> Dict[str, Any]:
    """Builds one step event (schema 1) and validates it.

    Args:
        run_id: 1-128 characters of ``[A-Za-z0-9._:/-]``.
        step: the step (iteration) number, an integer >= 0; it only ever goes up within a run.
        loss: the training loss of this step; NaN and infinities are allowed.
        time: RFC 3339 time of the step; ``None`` stamps the current UTC time.
        grad_norm: L2 norm of the mean (not summed) minibatch gradient.
        layer_grad_norms: gradient norm per layer (a few named blocks, not one per tensor).
        learning_rate: the learning rate in force for this step.
        param_norm: L2 norm of all parameters.
        update_ratio: norm of this step's parameter change divided by the parameter norm.
        val_loss: validation loss, only on steps where validation ran.
        epoch: epoch number, an integer >= 0.
        resumed_from: the step whose checkpoint the run has just resumed from; sent on the first
            step after a rollback, and it cannot be after ``step``.
        skipped_batches: how many batches the run dropped on resuming (the skip recovery).
        labels: bounded free-form labels (model, optimizer, ...); values are sent as strings.

    Returns:
        The event as a dict, without the optional fields that were ``None``.

    Raises:
        ValueError: with one sentence saying which field is wrong and why.
    """
    event: Dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "run_id": check_run_id(run_id),
        "step": _integer("step", step),
        "time": time if time is not None else utc_now(),
        "loss": _number("loss", loss),
    }
    for name, value in (("grad_norm", grad_norm), ("learning_rate", learning_rate),
                        ("param_norm", param_norm), ("update_ratio", update_ratio), ("val_loss", val_loss)):
        if value is not None:
            event[name] = _number(name, value)
    if layer_grad_norms:
        event["layer_grad_norms"] = {str(k): _number(f"layer_grad_norms[{k!r}]", v)
                                     for k, v in layer_grad_norms.items()}
    if epoch is not None:
        event["epoch"] = _integer("epoch", epoch)
    if resumed_from is not None:
        event["resumed_from"] = _integer("resumed_from", resumed_from)
        if event["resumed_from"] > event["step"]:
            raise ValueError(f"resumed_from {resumed_from} is after step {step}: a run resumes from an earlier step")
    if skipped_batches is not None:
        event["skipped_batches"] = _integer("skipped_batches", skipped_batches)
    if labels:
        event["labels"] = {str(k): str(v) for k, v in labels.items()}
    return event


def encode(event: Mapping[str, Any]) -> bytes:
    """The event as compact UTF-8 JSON; non-finite numbers become bare ``NaN``/``Infinity`` tokens."""
    return json.dumps(event, separators=(",", ":"), allow_nan=True).encode("utf-8")
