#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST with PyTorch and publish one Losswatch step event per step.

Reads the same IDX files as the Java trainer (Debian's dataset-fashion-mnist) and writes each step
to Kafka with confluent_kafka, keyed by the run id, in the schema of the README's "Attach any
trainer" section. Runs with Debian's python3-torch and python3-confluent-kafka:

    /usr/bin/python3 train_fmnist.py --run-id torch-adam --optimizer adam --lr 0.001
    /usr/bin/python3 train_fmnist.py --run-id torch-adam-lr1 --optimizer adam --lr 1.0   # blows up
    /usr/bin/python3 train_fmnist.py --run-id torch-sgd-lr20 --optimizer sgd --lr 20     # NaN in a few steps
"""
import argparse
import datetime
import gzip
import json
import math
import os
import signal
import struct
import sys
import time

import torch
from torch import nn

try:
    from confluent_kafka import KafkaException, Producer
except ImportError:  # pragma: no cover - said in one sentence below
    Producer = None

NUM_CLASSES = 10
NON_FINITE_PATIENCE = 5


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run-id", required=True, help="run id on every event: 1-128 of [A-Za-z0-9._:/-]")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam", help="adam, or plain sgd (no momentum)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (adam 1.0 or sgd 20 diverge)")
    p.add_argument("--steps", type=int, default=300, help="training steps (minibatches)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="directory with the IDX files")
    p.add_argument("--bootstrap-servers", default=os.environ.get("LOSSWATCH_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    p.add_argument("--topic", default="training.metrics")
    p.add_argument("--kafka", action="append", default=[], metavar="KEY=VALUE",
                   help="any librdkafka setting, repeatable (security.protocol=SSL, ...)")
    p.add_argument("--print-every", type=int, default=10)
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


def norm(tensors):
    return math.sqrt(sum(float(t.detach().double().pow(2).sum()) for t in tensors))


def make_producer(args):
    if Producer is None:
        sys.exit("confluent_kafka is missing: apt-get install python3-confluent-kafka (and run /usr/bin/python3)")
    conf = {"bootstrap.servers": args.bootstrap_servers, "enable.idempotence": True, "acks": "all",
            "linger.ms": 5, "client.id": "losswatch-pytorch-" + args.run_id[:40]}
    for kv in args.kafka:
        key, sep, value = kv.partition("=")
        if not sep:
            sys.exit(f"--kafka takes KEY=VALUE, got '{kv}'")
        conf[key] = value
    producer = Producer(conf)
    try:  # fail in one sentence when the broker cannot be reached, not after the whole run
        metadata = producer.list_topics(args.topic, timeout=10)
    except KafkaException:
        sys.exit(f"Cannot reach Kafka at {args.bootstrap_servers} within 10 s: start a broker or pass --bootstrap-servers.")
    topic = metadata.topics.get(args.topic)
    if topic is None or topic.error is not None:
        sys.exit(f"Topic {args.topic} does not exist at {args.bootstrap_servers}: start the monitor first "
                 "(it creates its topics), create the topic, or pass --topic.")
    return producer


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    try:
        x, y = load_training_set(args.data, min(60000, max(args.batch_size, args.steps * args.batch_size)))
    except (OSError, ValueError) as e:
        sys.exit(str(e))
    producer = make_producer(args)
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(err)

    model = SmallCnn()
    loss_fn = nn.CrossEntropyLoss()  # mean over the batch, unclipped: what most PyTorch code uses
    params = list(model.parameters())
    optimizer = (torch.optim.Adam(params, lr=args.lr) if args.optimizer == "adam"
                 else torch.optim.SGD(params, lr=args.lr))
    labels = {"model": "torch-small-cnn", "optimizer": args.optimizer, "lr": repr(args.lr),
              "num_classes": str(NUM_CLASSES), "framework": "pytorch"}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))

    n = x.shape[0]
    batches = n // args.batch_size
    generator = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(n, generator=generator)
    non_finite = 0
    reason = "completed"
    print(f"{args.run_id}: training a small CNN, {args.optimizer} lr={args.lr}, {args.steps} steps of "
          f"{args.batch_size}, publishing to {args.topic} at {args.bootstrap_servers}", flush=True)
    step = 0
    for step in range(args.steps):
        if stop:
            reason = "stopped on request"
            break
        epoch, b = divmod(step, batches)
        if b == 0 and step > 0:
            order = torch.randperm(n, generator=generator)
        idx = order[b * args.batch_size:(b + 1) * args.batch_size]
        before = [p.detach().clone() for p in params]
        optimizer.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        grad_norm = norm(p.grad for p in params if p.grad is not None)
        optimizer.step()
        param_norm = norm(params)
        update = norm(p.detach() - q for p, q in zip(params, before))
        value = float(loss)
        event = {"schema": 1, "run_id": args.run_id, "step": step,
                 "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "loss": value, "grad_norm": grad_norm, "learning_rate": args.lr, "param_norm": param_norm,
                 "update_ratio": update / param_norm if param_norm > 0 else None, "epoch": epoch, "labels": labels}
        producer.produce(args.topic, key=args.run_id, value=json.dumps(event), on_delivery=delivered)
        producer.poll(0)
        if step % args.print_every == 0:
            print(f"step {step} loss {value:.4g} grad_norm {grad_norm:.4g}", flush=True)
        non_finite = 0 if math.isfinite(value) else non_finite + 1
        if non_finite >= NON_FINITE_PATIENCE:
            reason = f"non-finite loss for {NON_FINITE_PATIENCE} steps in a row"
            step += 1
            break
    else:
        step = args.steps
    left = producer.flush(10)
    print(f"{args.run_id}: {reason} after {step} steps; events failed {len(failures) + left}", flush=True)
    return 0 if not failures and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
