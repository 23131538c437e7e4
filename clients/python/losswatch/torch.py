"""PyTorch: the numbers of a training step, measured after ``optimizer.step()`` and reported.

``watch(model, optimizer, reporter).step(step, loss)`` adds to every step event the gradient norm, one
gradient norm per top-level child module, the learning rate, the optimizer's name, its momentum (or
beta1) and beta2, and to every ``param_every``-th event (and to any whose loss or gradient is not
finite) the parameter norm and the update ratio. The gradient norms are one pass over the gradients;
the parameter norm is a second full pass, which on every step would cost about as much again
(bench/overhead.py), for a figure that moves slowly. The update ratio needs the parameters from before the step: before each
step it measures, the watcher copies them (inside ``optimizer.step``, which it wraps) into buffers it
allocates once, so the ratio stays exact when a guard restores a checkpoint between steps.
"""
from __future__ import annotations

import math
import types
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch

from .reporter import Reporter

# Layers reported at most in layer_grad_norms: the rest of the model is still in grad_norm.
MAX_LAYERS = 64
# A parameter tensor of at least 4x this many elements has its update measured on a fixed strided
# sample of this many: copying and subtracting a whole large layer cost more than 1% of a LeNet step
# (bench/overhead.py), a sample of 4096 about 0.05% with the norm within a few percent.
DEFAULT_UPDATE_SAMPLE = 4096
# param_norm and update_ratio are measured on one reported step in this many (the first included).
# Each costs a pass over the parameters that the gradient norm, needed on every step, does not share;
# on every step they doubled the watcher's time (bench/overhead.py --param-every 1 10: 1.29% against
# 0.60% of a LeNet step, 5.95% against 3.00% of the example's small CNN's).
DEFAULT_PARAM_EVERY = 10


def _norms(tensors: Sequence[torch.Tensor]) -> List[float]:
    """The L2 norm of each tensor, as floats, with one synchronisation on a GPU."""
    if not tensors:
        return []
    norms = list(torch._foreach_norm(tensors)) if hasattr(torch, "_foreach_norm") else [t.norm() for t in tensors]
    if norms[0].device.type == "cpu":
        # no device to wait for: reading each one is cheaper than stacking them (eight norms right
        # after a small CNN's step: about 17 us against 37)
        return [t.item() for t in norms]
    return torch.stack(norms).tolist()


def first_moment(optimizer: torch.optim.Optimizer) -> Optional[float]:
    """The decay of the optimizer's first moment: SGD's or RMSprop's ``momentum`` when it has one, else an
    Adam-like optimizer's beta1; None for none. Read at each step: a one-cycle schedule moves it."""
    if not optimizer.param_groups:
        return None
    group = optimizer.param_groups[0]
    m = group.get("momentum")
    if m is None and isinstance(group.get("betas"), (tuple, list)) and group["betas"]:
        m = group["betas"][0]
    if isinstance(m, bool) or not isinstance(m, (int, float)) or m == 0:
        return None
    return float(m)


def second_moment(optimizer: torch.optim.Optimizer) -> Optional[float]:
    """The second of the optimizer's ``betas``: Adam's and its kin's second-moment decay (Lion's second
    momentum); None for an optimizer without betas."""
    if not optimizer.param_groups:
        return None
    betas = optimizer.param_groups[0].get("betas")
    if not isinstance(betas, (tuple, list)) or len(betas) < 2:
        return None
    b = betas[1]
    if isinstance(b, bool) or not isinstance(b, (int, float)):
        return None
    return float(b)


def optimizer_name(optimizer: torch.optim.Optimizer) -> str:
    """The optimizer's class name, lower case; SGD with momentum is ``momentum`` (``nesterov`` with
    Nesterov's), as Losswatch's diagnosis reads ``sgd`` as plain SGD, whose oscillation momentum cures."""
    name = type(optimizer).__name__.lower()
    group = optimizer.param_groups[0] if optimizer.param_groups else {}
    if name == "sgd" and group.get("momentum", 0):
        return "nesterov" if group.get("nesterov") else "momentum"
    return name


class Watcher:
    """Measures each training step of ``model`` and reports it through ``reporter``; see :func:`watch`."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, reporter: Reporter,
                 update_sample: Optional[int] = DEFAULT_UPDATE_SAMPLE,
                 param_every: int = DEFAULT_PARAM_EVERY) -> None:
        if isinstance(param_every, bool) or not isinstance(param_every, int) or param_every < 1:
            raise ValueError(f"param_every must be an integer >= 1 (1 measures every step), got {param_every!r}")
        self.model = model
        self.optimizer = optimizer
        self.reporter = reporter
        self.param_every = param_every
        self.labels = {"optimizer": optimizer_name(optimizer)}
        # the momentum (or beta1) and beta2 the step labels below were made for
        self._moments: Tuple[Optional[float], Optional[float]] = (None, None)
        self._step_labels: Dict[str, str] = self.labels  # self.labels and those two, remade when one moves
        self._params: List[torch.nn.Parameter] = [p for p in model.parameters() if p.requires_grad]
        index = {id(p): i for i, p in enumerate(self._params)}
        # one block per top-level child module; parameters held by the model itself each count as one
        layers: Dict[str, List[int]] = {}
        for name, child in model.named_children():
            ids = [index[id(p)] for p in child.parameters() if id(p) in index]
            if ids:
                layers[name] = ids
        for name, p in model.named_parameters(recurse=False):
            if id(p) in index:
                layers[name] = [index[id(p)]]
        self._layers: List[Tuple[str, List[int]]] = list(layers.items())[:MAX_LAYERS]
        # what the update is measured on: the whole tensor, or a fixed strided sample of a large one
        generator = torch.Generator().manual_seed(0x1055)
        self._samples: List[Tuple[int, int, int]] = []  # (offset, stride, count) per parameter; stride 0: all
        for p in self._params:
            n = p.numel()
            if update_sample and n >= 4 * update_sample and p.is_contiguous():
                stride = n // update_sample
                offset = int(torch.randint(stride, (1,), generator=generator))
                self._samples.append((offset, stride, update_sample))
            else:
                self._samples.append((0, 0, n))
        self._scales = [p.numel() / count if stride else 1.0
                        for p, (_, stride, count) in zip(self._params, self._samples)]
        self._before = [torch.empty(count, dtype=p.dtype, device=p.device)
                        for p, (_, _, count) in zip(self._params, self._samples)]
        self._sources: List[torch.Tensor] = []
        self._source_pointers: List[int] = []
        self._until_params = 0  # reports to go before the next one that measures the parameters
        self._stepped = False  # the optimizer stepped since the last report
        self._copied = False  # ... and the parameters were copied before it did
        self._original_step = optimizer.step
        self._had_own_step = "step" in vars(optimizer)
        self._installed = types.MethodType(self._wrapped_step(), optimizer)
        optimizer.step = self._installed

    def _update_sources(self) -> List[torch.Tensor]:
        """The parameters, or their samples, as flat views; rebuilt when a parameter's storage moved."""
        pointers = [p.data_ptr() for p in self._params]
        if pointers != self._source_pointers:
            views = []
            for p, (offset, stride, count) in zip(self._params, self._samples):
                flat = p.detach().reshape(-1)
                views.append(flat if stride == 0 else
                             flat.as_strided((count,), (stride,), flat.storage_offset() + offset))
            self._sources, self._source_pointers = views, pointers
        return self._sources

    def _wrapped_step(self) -> Any:
        original = self._original_step
        watcher = self

        def step(_optimizer: Any, *args: Any, **kwargs: Any) -> Any:
            if watcher._until_params == 0:  # the coming report measures the update
                with torch.no_grad():
                    for b, v in zip(watcher._before, watcher._update_sources()):
                        b.copy_(v)
                watcher._copied = True
            watcher._stepped = True
            return original(*args, **kwargs)

        # an LR scheduler created after us must not wrap the step a second time (it checks this flag)
        step._with_counter = getattr(original, "_with_counter", False)  # type: ignore[attr-defined]
        return step

    def measure(self, loss: Optional[float] = None) -> Dict[str, Any]:
        """The numbers of the step just taken, as :meth:`step` reports them.

        ``grad_norm``, ``layer_grad_norms`` (when gradients exist) and ``learning_rate`` every time;
        ``param_norm`` and ``update_ratio`` every ``param_every``-th call, and ``param_norm`` also when
        ``loss`` or the gradient is not finite. Each call counts as one reported step.
        """
        params = self._params
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            with_grad: Optional[List[int]] = [i for i, g in enumerate(grads) if g is not None]
            present = [grads[i] for i in with_grad]  # type: ignore[union-attr]
        else:
            with_grad, present = None, grads
        on_schedule = self._until_params == 0
        with_params = on_schedule or (loss is not None and not math.isfinite(loss))
        with_update = with_params and self._copied
        if with_params:
            with torch.no_grad():
                tensors = present + params  # type: ignore[operator]
                if with_update:
                    if hasattr(torch, "_foreach_sub_"):
                        torch._foreach_sub_(self._before, self._update_sources())
                    else:
                        for b, v in zip(self._before, self._update_sources()):
                            b.sub_(v)
                    tensors += self._before
                values = _norms(tensors)
        else:
            # gradients record no history (unless backward was asked for a graph of them, which the
            # norms would then only extend): no need for no_grad, about 10 us right after a step
            values = _norms(present)  # type: ignore[arg-type]
        n_grads = len(present)
        fields: Dict[str, Any] = {}
        if n_grads:
            squares = [v * v for v in values[:n_grads]]
            grad_norm = math.sqrt(sum(squares))
            fields["grad_norm"] = grad_norm
            if with_grad is None:
                fields["layer_grad_norms"] = {name: math.sqrt(sum(squares[i] for i in ids))
                                              for name, ids in self._layers}
            else:
                square = dict(zip(with_grad, squares))
                fields["layer_grad_norms"] = {
                    name: math.sqrt(sum(square.get(i, 0.0) for i in ids)) for name, ids in self._layers
                    if any(i in square for i in ids)}
            if not with_params and not math.isfinite(grad_norm):
                # the step applied a broken gradient: whether the weights survived is news now
                with torch.no_grad():
                    values += _norms(params)
                with_params = True
        if with_params:
            n_params = len(params)
            param_norm = math.sqrt(sum(v * v for v in values[n_grads:n_grads + n_params]))
            fields["param_norm"] = param_norm
            if with_update:
                # a sample's sum of squares, scaled up to the whole tensor
                update = math.sqrt(sum(v * v * scale for v, scale in zip(values[n_grads + n_params:], self._scales)))
                fields["update_ratio"] = update / param_norm if param_norm > 0 else (0.0 if update == 0 else math.inf)
            elif on_schedule and not self._stepped:
                fields["update_ratio"] = 0.0  # no optimizer step since the last report (e.g. a skipped AMP step)
        self._stepped = self._copied = False
        self._until_params = self.param_every - 1 if on_schedule else self._until_params - 1
        fields["learning_rate"] = float(self.optimizer.param_groups[0]["lr"])
        return fields

    def step(self, step: int, loss: float, val_loss: Optional[float] = None, *, epoch: Optional[int] = None,
             labels: Optional[Mapping[str, Any]] = None) -> bool:
        """Reports ``step``: call it right after ``optimizer.step()``, with the batch's mean loss.

        Args:
            step: the step number, only ever increasing (do not reset it after a rollback).
            loss: the loss of this step (``loss.item()``), NaN allowed.
            val_loss: the validation loss, on steps where validation ran.
            epoch: the epoch, if the loop counts them.
            labels: labels added to this event (the optimizer's name, its momentum or beta1 as
                ``momentum`` and the second of its betas as ``beta2`` are added to every event).

        Returns:
            True when the event was queued for Kafka. Never raises a Kafka error.
        """
        fields = self.measure(loss)
        moments = (first_moment(self.optimizer), second_moment(self.optimizer))
        if moments != self._moments:
            self._moments = moments
            self._step_labels = dict(self.labels)
            for key, value in zip(("momentum", "beta2"), moments):
                if value is not None:
                    self._step_labels[key] = f"{value:.6g}"
        merged = {**self._step_labels, **labels} if labels else self._step_labels
        return self.reporter.report(step, loss, val_loss=val_loss, epoch=epoch, labels=merged, **fields)

    def close(self) -> None:
        """Gives the optimizer its own ``step`` back."""
        if vars(self.optimizer).get("step") is self._installed:  # not wrapped again since
            if self._had_own_step:
                self.optimizer.step = self._original_step
            else:
                del self.optimizer.step

    def __enter__(self) -> "Watcher":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def watch(model: torch.nn.Module, optimizer: torch.optim.Optimizer, reporter: Reporter,
          update_sample: Optional[int] = DEFAULT_UPDATE_SAMPLE, param_every: int = DEFAULT_PARAM_EVERY) -> Watcher:
    """Measures every step of ``model`` trained by ``optimizer`` and reports it through ``reporter``.

    Call ``watcher.step(step, loss.item())`` right after ``optimizer.step()``. Every event then carries:

    - ``grad_norm``: L2 norm of the ``.grad`` tensors as backward left them, i.e. of the mean
      minibatch gradient for a mean-reduced loss (after any clipping the loop did);
    - ``layer_grad_norms``: the same per top-level child module (``model.named_children()``), at
      most 64; parameters the model holds itself count one each;
    - ``learning_rate``: ``optimizer.param_groups[0]["lr"]``, so schedulers are followed;
    - label ``optimizer``: the optimizer's class name in lower case (``adam``, ``sgd``).

    Every ``param_every``-th event (the first, the 11th, the 21st... by default) also carries:

    - ``param_norm``: L2 norm of all trainable parameters after the step;
    - ``update_ratio``: norm of this step's parameter change divided by ``param_norm`` (0.0 when
      the optimizer did not step since the last event); tensors of at least ``4 * update_sample``
      elements are measured on a fixed strided sample of ``update_sample`` of them (``None``: all).

    The other events leave both out rather than repeat an old figure. An event whose loss or
    gradient norm is not finite carries ``param_norm`` as well, measured then: broken weights are
    news the monitor acts on at once. ``param_every=1`` measures both on every step.
    """
    return Watcher(model, optimizer, reporter, update_sample, param_every)
