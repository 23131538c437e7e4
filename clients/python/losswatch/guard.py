"""Acts on the monitor's critical alerts for a run: stop, roll back, or roll back and skip data."""
from __future__ import annotations

import collections
import copy
import logging
import queue
from dataclasses import dataclass, field
from typing import Any, Deque, Dict, List, Optional

from . import _kafka
from .events import check_run_id
from .reporter import Reporter, open_reporter

log = logging.getLogger("losswatch")

ACTIONS = ("stop", "rollback", "skip")
DEFAULT_CHECKPOINT_EVERY = 50
DEFAULT_MAX_CHECKPOINTS = 4
DEFAULT_MAX_ROLLBACKS = 3


@dataclass(frozen=True)
class Checkpoint:
    """The model and optimizer state that step ``step`` starts from (taken after step ``step - 1``)."""

    step: int
    model_state: Dict[str, Any] = field(repr=False)
    optimizer_state: Optional[Dict[str, Any]] = field(repr=False)


@dataclass(frozen=True)
class Action:
    """What :meth:`Guard.after_step` just did.

    Attributes:
        kind: ``"stop"``, ``"rollback"`` or ``"skip"``.
        alert: the alert acted on, as the monitor wrote it.
        step: the step after which the action was applied.
        checkpoint_step: the step the restored weights start from; ``None`` when there was no
            checkpoint from before the alert's onset (then the weights were left as they were).
        skip_batches: for ``skip``, how many batches the loop should drop now: those from the
            checkpoint through the step that raised the alert. 0 otherwise.
        learning_rate: the learning rate of the first parameter group after the action.
        message: one sentence saying what was done and why.
    """

    kind: str
    alert: Dict[str, Any]
    step: int
    checkpoint_step: Optional[int]
    skip_batches: int = 0
    learning_rate: Optional[float] = None
    message: str = ""


class Guard:
    """Follows the monitor's alerts for ``run_id`` and, on a firing critical one, acts on the model.

    Call :meth:`after_step` after every training step; it keeps an in-memory ring of checkpoints
    (copies of ``model.state_dict()`` and ``optimizer.state_dict()`` every ``checkpoint_every`` steps,
    on the device they live on) and applies ``action`` when an alert has arrived:

    - ``"rollback"``: restores the newest checkpoint from strictly before the alert's ``onset_step``,
      multiplies the learning rate of every parameter group (and the scheduler's ``base_lrs``) by
      ``lr_factor``, and goes on; the step numbers keep increasing.
    - ``"skip"``: the same, and ``Action.skip_batches`` tells the loop how many batches to drop (PaLM
      restarted about 100 steps before a spike and skipped 200-500 batches).
    - ``"stop"``: restores that checkpoint (the good weights, not the ruined ones), writes it to
      ``checkpoint_path`` if given, and sets :attr:`stopped`.

    After ``max_rollbacks`` rollbacks, or when no checkpoint predates the onset, it stops instead and
    sets :attr:`recovery_failed`. An alert whose onset lies before the last rollback describes the
    abandoned trajectory and is not acted on. Only alerts with ``status == "firing"`` and
    ``severity == "critical"`` act; the same ``alert_id`` acts once.

    After a rollback or a skip, the next reported step carries ``resumed_from`` (and
    ``skipped_batches``): the guard marks it on ``reporter``, or, when none is given, on the open
    :class:`~losswatch.Reporter` of the same run id in this process.

    Args:
        run_id: the run whose alerts to follow.
        bootstrap_servers: Kafka brokers; default ``$LOSSWATCH_BOOTSTRAP_SERVERS`` or ``127.0.0.1:9092``.
        model: the ``torch.nn.Module`` trained.
        optimizer: its optimizer; its state is checkpointed and restored with the model's.
        action: ``"stop"``, ``"rollback"`` or ``"skip"``.
        checkpoint_every: steps between checkpoints.
        max_checkpoints: checkpoints kept besides the first (taken at construction, always kept).
            Memory: (model + optimizer state) x (max_checkpoints + 1).
        max_rollbacks: rollbacks (and skips) allowed before the guard stops the run as unrecoverable.
        lr_factor: what a rollback multiplies the learning rate by.
        scheduler: an LR scheduler whose ``base_lrs`` a rollback lowers too.
        checkpoint_path: where ``stop`` writes the restored checkpoint with ``torch.save``.
        reporter: the reporter to mark the resume on (default: the open one of ``run_id``).
        alerts_topic: the topic the monitor writes alerts to.
        kafka: any librdkafka consumer setting, applied over ours.
        start_step: the step the loop is about to run (the first checkpoint's step).
        connect_timeout: seconds to wait for a broker at construction.
        follow: False reads no Kafka at all; alerts then come only through :meth:`offer`.
    """

    def __init__(
        self,
        run_id: str,
        bootstrap_servers: Optional[str] = None,
        *,
        model: Any,
        optimizer: Any = None,
        action: str = "stop",
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        max_checkpoints: int = DEFAULT_MAX_CHECKPOINTS,
        max_rollbacks: int = DEFAULT_MAX_ROLLBACKS,
        lr_factor: float = 0.1,
        scheduler: Any = None,
        checkpoint_path: Optional[str] = None,
        reporter: Optional[Reporter] = None,
        alerts_topic: str = "training.alerts",
        kafka: Optional[Dict[str, Any]] = None,
        start_step: int = 0,
        connect_timeout: float = _kafka.DEFAULT_CONNECT_TIMEOUT_S,
        follow: bool = True,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
        if checkpoint_every < 1 or max_checkpoints < 1 or max_rollbacks < 0:
            raise ValueError("checkpoint_every and max_checkpoints must be >= 1 and max_rollbacks >= 0")
        if not 0 < lr_factor <= 1:
            raise ValueError(f"lr_factor must be in (0, 1], got {lr_factor}")
        self.run_id = check_run_id(run_id)
        self.model = model
        self.optimizer = optimizer
        self.action = action
        self.checkpoint_every = checkpoint_every
        self.max_checkpoints = max_checkpoints
        self.max_rollbacks = max_rollbacks
        self.lr_factor = lr_factor
        self.scheduler = scheduler
        self.checkpoint_path = checkpoint_path
        self.reporter = reporter
        self.start_step = start_step
        #: True once the guard has stopped the run (action stop, budget spent, no checkpoint)
        self.stopped = False
        #: True when the guard stopped because recovery did not work (budget spent, no checkpoint)
        self.recovery_failed = False
        #: why the run was stopped, one sentence
        self.reason: Optional[str] = None
        #: rollbacks and skips applied so far
        self.rollbacks = 0
        #: every action applied, oldest first
        self.actions: List[Action] = []
        self._ring: Deque[Checkpoint] = collections.deque()
        self._alerts: "queue.Queue[Dict[str, Any]]" = queue.Queue()
        self._seen_ids: set = set()
        self._resumed_at = -1  # alerts with an onset before this step belong to a trajectory rolled back
        self._first: Optional[Checkpoint] = self._snapshot(start_step)
        self._follower = None
        if follow:
            from .follower import AlertFollower

            self._follower = AlertFollower(run_id, self.offer, _kafka.bootstrap_servers(bootstrap_servers),
                                           alerts_topic, kafka, connect_timeout)

    @property
    def checkpoint_steps(self) -> List[int]:
        """The steps of the checkpoints held, oldest first."""
        return [c.step for c in self._checkpoints()]

    def offer(self, alert: Dict[str, Any]) -> None:
        """Hands the guard an alert (the follower thread does this); it is acted on in :meth:`after_step`."""
        self._alerts.put(alert)

    def after_step(self, step: int, wait: float = 0.0) -> Optional[Action]:
        """Call after each training step: acts on alerts that have arrived, else maybe checkpoints.

        Args:
            step: the step just trained; it only ever increases, rollbacks included.
            wait: seconds to wait for an alert when none has arrived yet (e.g. once the loss is NaN).

        Returns:
            The :class:`Action` just applied, or ``None``.
        """
        if self.stopped:
            return None
        acted: Optional[Action] = None
        try:
            alert = self._alerts.get(timeout=wait) if wait > 0 else self._alerts.get_nowait()
            while True:
                if acted is None and self._acts_on(alert):
                    acted = self._apply(alert, step)
                alert = self._alerts.get_nowait()
        except queue.Empty:
            pass
        if acted is None and (step + 1 - self.start_step) % self.checkpoint_every == 0:
            self.checkpoint(step + 1)
        return acted

    def checkpoint(self, step: int) -> bool:
        """Copies the model and optimizer state as the checkpoint step ``step`` starts from.

        Returns False, keeping nothing, when a parameter is not finite: nothing worth going back to.
        """
        snap = self._snapshot(step)
        if snap is None:
            return False
        self._ring.append(snap)
        while len(self._ring) > self.max_checkpoints:
            self._ring.popleft()
        return True

    def save(self, path: str) -> None:
        """Writes the model's and optimizer's current state with ``torch.save`` (after a stop: the restored one).

        The file holds a dict: ``model`` and ``optimizer`` (state dicts), ``run_id``, and the
        ``checkpoint_step`` and ``alert`` of the last action, if any.
        """
        last = self.actions[-1] if self.actions else None
        self._save(path, None if last is None else last.checkpoint_step, None if last is None else last.alert)

    def _save(self, path: str, checkpoint_step: Optional[int], alert: Optional[Dict[str, Any]]) -> None:
        import torch

        torch.save({"run_id": self.run_id, "model": self.model.state_dict(),
                    "optimizer": None if self.optimizer is None else self.optimizer.state_dict(),
                    "checkpoint_step": checkpoint_step, "alert": alert}, path)

    def close(self) -> None:
        """Stops following alerts."""
        if self._follower is not None:
            self._follower.close()
            self._follower = None

    def __enter__(self) -> "Guard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- decisions ---------------------------------------------------------------------------

    def _acts_on(self, alert: Dict[str, Any]) -> bool:
        if alert.get("status") != "firing" or alert.get("severity") != "critical":
            return False
        if alert.get("run_id", self.run_id) != self.run_id:
            return False
        alert_id = alert.get("alert_id")
        if alert_id is not None and alert_id in self._seen_ids:
            return False
        if _onset(alert) < self._resumed_at:
            log.info("losswatch: alert %s of run %s has its onset before the last rollback: not acted on",
                     alert_id, self.run_id)
            return False
        if alert_id is not None:
            self._seen_ids.add(alert_id)
        return True

    def _apply(self, alert: Dict[str, Any], step: int) -> Action:
        onset = _onset(alert)
        target = self._newest_before(onset)
        what = f"{alert.get('type', 'alert')} (onset step {onset}, raised at step {alert.get('step', '?')})"
        if self.action == "stop":
            return self._stop(alert, step, target, f"stopped on {what}", failed=False)
        if target is None:
            return self._stop(alert, step, None, f"stopped on {what}: no checkpoint from before step {onset} "
                                                 f"to roll back to", failed=True)
        if self.rollbacks >= self.max_rollbacks:
            return self._stop(alert, step, target, f"stopped on {what}: {self.rollbacks} rollbacks did not "
                                                   f"cure the run", failed=True)
        lr_before = self._lr()
        self._restore(target)
        self._lower_learning_rate()
        # the checkpoints after the target belong to the abandoned trajectory
        while self._ring and self._ring[-1].step > target.step:
            self._ring.pop()
        self.rollbacks += 1
        self._resumed_at = step + 1
        skip = max(0, int(alert.get("step", step)) - target.step + 1) if self.action == "skip" else 0
        reporter = self.reporter if self.reporter is not None else open_reporter(self.run_id)
        if reporter is not None:
            reporter.note_resume(target.step, skip if self.action == "skip" else None)
        lr_after = self._lr()
        message = (f"{what}: rolled back to the checkpoint of step {target.step}, learning rate "
                   f"{lr_before:g} -> {lr_after:g}" if lr_before is not None else
                   f"{what}: rolled back to the checkpoint of step {target.step}")
        if skip:
            message += f", skipping {skip} batches"
        act = Action(self.action, alert, step, target.step, skip, lr_after, message)
        self.actions.append(act)
        log.warning("losswatch: run %s: %s", self.run_id, message)
        return act

    def _stop(self, alert: Dict[str, Any], step: int, target: Optional[Checkpoint], message: str,
              failed: bool) -> Action:
        if target is not None:
            self._restore(target)
            message += f"; the model holds the checkpoint of step {target.step}"
            if self.checkpoint_path is not None:
                self._save(self.checkpoint_path, target.step, alert)
                message += f", saved to {self.checkpoint_path}"
        else:
            message += "; the model keeps its last weights"
            if self.checkpoint_path is not None:
                message += f" (not saved to {self.checkpoint_path}: they are the diverged ones)"
        self.stopped = True
        self.recovery_failed = failed
        self.reason = message
        act = Action("stop", alert, step, None if target is None else target.step, 0, self._lr(), message)
        self.actions.append(act)
        log.warning("losswatch: run %s: %s", self.run_id, message)
        return act

    # -- state -------------------------------------------------------------------------------

    def _checkpoints(self) -> List[Checkpoint]:
        return ([self._first] if self._first is not None else []) + list(self._ring)

    def _newest_before(self, onset: int) -> Optional[Checkpoint]:
        for c in reversed(self._checkpoints()):
            if c.step < onset:
                return c
        return None

    def _snapshot(self, step: int) -> Optional[Checkpoint]:
        for p in self.model.parameters():
            if not bool(p.detach().isfinite().all()):
                return None
        model_state = {k: (v.detach().clone() if hasattr(v, "detach") else copy.deepcopy(v))
                       for k, v in self.model.state_dict().items()}
        optimizer_state = None if self.optimizer is None else copy.deepcopy(self.optimizer.state_dict())
        return Checkpoint(step, model_state, optimizer_state)

    def _restore(self, c: Checkpoint) -> None:
        self.model.load_state_dict(c.model_state)
        if self.optimizer is not None and c.optimizer_state is not None:
            lrs = [(g.get("lr"), g.get("initial_lr")) for g in self.optimizer.param_groups]
            # the optimizer may keep references into what it loads: give it its own copy
            self.optimizer.load_state_dict(copy.deepcopy(c.optimizer_state))
            # the learning rate stays the one in force (a rollback then lowers it), not the checkpoint's
            for g, (lr, initial) in zip(self.optimizer.param_groups, lrs):
                if lr is not None:
                    g["lr"] = lr
                if initial is not None:
                    g["initial_lr"] = initial

    def _lower_learning_rate(self) -> None:
        if self.optimizer is None:
            return
        for g in self.optimizer.param_groups:
            g["lr"] = g["lr"] * self.lr_factor
            if "initial_lr" in g:
                g["initial_lr"] = g["initial_lr"] * self.lr_factor
        if self.scheduler is not None and hasattr(self.scheduler, "base_lrs"):
            self.scheduler.base_lrs = [lr * self.lr_factor for lr in self.scheduler.base_lrs]
        if self.scheduler is not None and hasattr(self.scheduler, "_last_lr"):
            self.scheduler._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _lr(self) -> Optional[float]:
        if self.optimizer is None or not self.optimizer.param_groups:
            return None
        return float(self.optimizer.param_groups[0]["lr"])


def _onset(alert: Dict[str, Any]) -> int:
    onset = alert.get("onset_step", alert.get("step", 0))
    try:
        return int(onset)
    except (TypeError, ValueError):
        return 0
