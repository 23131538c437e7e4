"""A small real PyTorch run for the integration tests: the example's CNN on Fashion-MNIST."""
from __future__ import annotations

import gzip
import math
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from torch import nn

import losswatch
import losswatch.torch

DATA_DIR = "/usr/share/datasets/fashion-mnist"
BATCH = 32


def _idx(path: str) -> torch.Tensor:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def dataset(n: int = 12_800) -> Tuple[torch.Tensor, torch.Tensor]:
    """n Fashion-MNIST training images in [0, 1] and their labels; synthetic ones if the files are missing."""
    images = os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz")
    labels = os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz")
    if os.path.exists(images) and os.path.exists(labels):
        return _idx(images)[:n].float().div_(255.0).unsqueeze(1), _idx(labels)[:n].long()
    g = torch.Generator().manual_seed(7)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.rand(n, 1, 28, 28, generator=g) * 0.5
    x[torch.arange(n), 0, y * 2 + 4, 4:24] += 0.5  # one bright row per class: learnable
    return x, y


def small_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))


def batches(x: torch.Tensor, y: torch.Tensor, seed: int = 42) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(x.shape[0], generator=g)
        for b in range(x.shape[0] // BATCH):
            idx = order[b * BATCH:(b + 1) * BATCH]
            yield x[idx], y[idx]


@dataclass
class Run:
    """What a run did, step by step."""

    losses: Dict[int, float] = field(default_factory=dict)
    step_seconds: List[float] = field(default_factory=list)
    actions: List[losswatch.Action] = field(default_factory=list)
    skipped: int = 0
    stopped: bool = False
    recovery_failed: bool = False
    reporter: Optional[losswatch.Reporter] = None

    def loss_after(self, step: int) -> List[float]:
        return [v for s, v in sorted(self.losses.items()) if s > step]


def train(run_id: str, servers: str, *, lr: float, steps: int, action: Optional[str] = None,
          checkpoint_every: int = 5, data=None, seed: int = 42, between_steps=None) -> Run:
    """Trains the small CNN with Adam for ``steps`` steps, reporting every step; with ``action``, guarded."""
    torch.manual_seed(seed)
    x, y = data if data is not None else dataset()
    model = small_cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    run = Run()
    reporter = losswatch.Reporter(run_id, bootstrap_servers=servers, labels={"model": "torch-small-cnn"},
                                  connect_timeout=5)
    run.reporter = reporter
    watcher = losswatch.torch.watch(model, optimizer, reporter)
    guard = None
    if action is not None:
        guard = losswatch.Guard(run_id, bootstrap_servers=servers, model=model, optimizer=optimizer,
                                action=action, checkpoint_every=checkpoint_every, connect_timeout=5)
    loss_fn = nn.CrossEntropyLoss()
    data_iter = batches(x, y, seed)
    try:
        for step in range(steps):
            started = time.perf_counter()
            xb, yb = next(data_iter)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            value = loss.item()
            watcher.step(step, value)
            run.losses[step] = value
            if guard is not None:
                act = guard.after_step(step)
                if act is not None:
                    run.actions.append(act)
                    for _ in range(act.skip_batches):
                        next(data_iter)
                    run.skipped += act.skip_batches
                if guard.stopped:
                    break
            run.step_seconds.append(time.perf_counter() - started)
            if between_steps is not None:
                between_steps(step)
            if not math.isfinite(value) and guard is None:
                break
    finally:
        if guard is not None:
            run.stopped, run.recovery_failed = guard.stopped, guard.recovery_failed
            guard.close()
        reporter.close(timeout=30)
        watcher.close()
    return run
