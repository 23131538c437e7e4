#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST with PyTorch, report every step to Losswatch, and act on its alerts.

Reads the same IDX files as the Java trainer (Debian's dataset-fashion-mnist) and reports each step
through the `losswatch` Python package (clients/python: a Reporter and losswatch.torch.watch); with
--on-alert, a losswatch.Guard follows the monitor's alerts and stops the run, rolls it back, or rolls it
back and skips batches. Runs with Debian's python3-torch and python3-confluent-kafka:

    /usr/bin/python3 train_fmnist.py --run-id torch-adam --optimizer adam --lr 0.001
    /usr/bin/python3 train_fmnist.py --run-id torch-adam-lr1 --optimizer adam --lr 1.0   # blows up
    /usr/bin/python3 train_fmnist.py --run-id torch-adam-lr1-rb --lr 1.0 --on-alert rollback
"""
import argparse
import gzip
import math
import os
import signal
import struct
import sys

import torch
from torch import nn

try:
    import losswatch
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
    import losswatch
import losswatch.torch

PROG = os.path.basename(__file__)
NUM_CLASSES = 10
NON_FINITE_PATIENCE = 5
# How long a run whose loss has gone non-finite waits for the monitor's verdict before it gives up.
ALERT_WAIT_S = 30


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run-id", required=True, help="run id on every event: 1-128 of [A-Za-z0-9._:/-]")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="adam, or plain sgd (no momentum)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (adam 1.0 or sgd 20 diverge)")
    p.add_argument("--steps", type=int, default=300, help="training steps (minibatches trained)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="directory with the IDX files")
    p.add_argument("--bootstrap-servers", default=os.environ.get("LOSSWATCH_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    p.add_argument("--topic", default="training.metrics")
    p.add_argument("--kafka", action="append", default=[], metavar="KEY=VALUE",
                   help="any librdkafka setting, repeatable (security.protocol=SSL, ...)")
    p.add_argument("--print-every", type=int, default=10)
    p.add_argument("--on-alert", choices=["ignore", "stop", "rollback", "skip"], default="ignore",
                   help="what a critical alert of this run does: nothing, stop with the last good weights, "
                        "roll back with a 10x lower learning rate, or that and skip the batches that led there")
    p.add_argument("--checkpoint-every", type=int, default=10, help="steps between in-memory checkpoints")
    p.add_argument("--checkpoint-path", help="where --on-alert stop saves the good weights (torch.save)")
    p.add_argument("--alerts-topic", default="training.alerts")
    p.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to wait for the broker at start")
    return p.parse_args(argv)


def read_idx(path):
    """An IDX file (gzipped or not) as a uint8 tensor of its shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}(.gz) in {data_dir}: apt-get install dataset-fashion-mnist, or pass --data")


def load_training_set(data_dir, limit):
    images = read_idx(find(data_dir, "train-images-idx3-ubyte"))[:limit]
    labels = read_idx(find(data_dir, "train-labels-idx1-ubyte"))[:limit]
    return images.float().div_(255.0).unsqueeze(1), labels.long()


class SmallCnn(nn.Module):
    """LeNet-like, smaller: conv 5x5x8, pool, conv 5x5x16, pool, dense 64 ReLU, 10 logits."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, NUM_CLASSES))

    def forward(self, x):
        return self.classifier(self.features(x))


def kafka_settings(pairs):
    settings = {}
    for kv in pairs:
        key, sep, value = kv.partition("=")
        if not sep:
            raise ValueError(f"--kafka takes KEY=VALUE, got '{kv}'")
        settings[key] = value
    return settings


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        kafka = kafka_settings(args.kafka)
        x, y = load_training_set(args.data, min(60000, max(args.batch_size, args.steps * args.batch_size)))
    except (OSError, ValueError) as e:
        sys.exit(f"{PROG}: {e}")

    model = SmallCnn()
    loss_fn = nn.CrossEntropyLoss()  # mean over the batch, unclipped: what most PyTorch code uses
    params = list(model.parameters())
    optimizer = (torch.optim.Adam(params, lr=args.lr) if args.optimizer == "adam"
                 else torch.optim.SGD(params, lr=args.lr))
    labels = {"model": "torch-small-cnn", "lr": repr(args.lr), "num_classes": str(NUM_CLASSES), "framework": "pytorch"}
    guard = None
    try:
        reporter = losswatch.Reporter(args.run_id, bootstrap_servers=args.bootstrap_servers, topic=args.topic,
                                      labels=labels, kafka=kafka, connect_timeout=args.connect_timeout)
        if args.on_alert != "ignore":
            guard = losswatch.Guard(args.run_id, bootstrap_servers=args.bootstrap_servers, model=model,
                                    optimizer=optimizer, action=args.on_alert, checkpoint_every=args.checkpoint_every,
                                    checkpoint_path=args.checkpoint_path, alerts_topic=args.alerts_topic, kafka=kafka,
                                    connect_timeout=args.connect_timeout)
    except losswatch.SetupError as e:
        flag = {"bootstrap_servers": "--bootstrap-servers", "topic": "--topic", "alerts_topic": "--alerts-topic"}
        sys.exit(f"{PROG}: {e.naming(flag.get(e.setting, e.setting))}")
    watcher = losswatch.torch.watch(model, optimizer, reporter)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    n = x.shape[0]
    batches = n // args.batch_size
    generator = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(n, generator=generator)
    drawn = 0  # batches drawn from the data, trained or skipped; the step counts only trained ones
    non_finite = 0
    reason = "completed"
    print(f"{args.run_id}: training a small CNN, {args.optimizer} lr={args.lr}, {args.steps} steps of "
          f"{args.batch_size}, reporting to {args.topic} at {args.bootstrap_servers}"
          + (f", on alert: {args.on_alert}" if guard else ""), flush=True)
    step = 0
    while step < args.steps:
        if stop:
            reason = "stopped on request"
            break
        epoch, b = divmod(drawn, batches)
        if b == 0 and drawn > 0:
            order = torch.randperm(n, generator=generator)
        idx = order[b * args.batch_size:(b + 1) * args.batch_size]
        drawn += 1
        optimizer.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        value = loss.item()
        watcher.step(step, value, epoch=epoch)
        if step % args.print_every == 0:
            print(f"step {step} loss {value:.4g} lr {optimizer.param_groups[0]['lr']:.3g}", flush=True)
        non_finite = 0 if math.isfinite(value) else non_finite + 1
        # a run whose loss stays NaN waits for the monitor's verdict rather than give up
        wait = ALERT_WAIT_S if guard is not None and non_finite >= NON_FINITE_PATIENCE else 0
        act = guard.after_step(step, wait=wait) if guard is not None else None
        step += 1
        if act is not None:  # the guard has logged what it did, in one line
            drawn += act.skip_batches
            if act.kind != "stop":
                non_finite = 0
        if guard is not None and guard.stopped:
            reason = guard.reason
            break
        if non_finite >= NON_FINITE_PATIENCE:
            reason = f"non-finite loss for {NON_FINITE_PATIENCE} steps in a row"
            break
    if guard is not None:
        if reason == "completed" and guard.rollbacks:
            reason = f"recovered after {guard.rollbacks} rollback{'s' if guard.rollbacks > 1 else ''}"
        guard.close()
    watcher.close()
    reporter.close(timeout=10)
    failed = reporter.dropped + reporter.invalid
    print(f"{args.run_id}: {reason} after {step} steps; events failed {failed}", flush=True)
    if guard is not None and guard.recovery_failed:
        return 4
    if guard is not None and guard.stopped:
        return 3
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
