#!/usr/bin/python3
"""What losswatch.torch.watch costs a training step: the same loop with and without it, side by side.

Two copies of one CNN (same initial weights, same batches) train in alternating blocks of steps,
one plain and one watched (its Reporter sending to a real broker, or, with --no-broker, queueing for
one that never answers). Prints the median step time of each, their ratio, and the time spent in
the watcher itself (the step's measurements and report, plus the parameter copy before the step).

    OMP_NUM_THREADS=1 /usr/bin/python3 clients/python/bench/overhead.py --bootstrap-servers 127.0.0.1:9092
"""
import argparse
import gzip
import os
import platform
import statistics
import struct
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import losswatch  # noqa: E402
import losswatch.torch  # noqa: E402


def lenet() -> nn.Module:
    """LeNet as in DL4J's example and the Java trainer: conv 5x5x20, pool, conv 5x5x50, pool, dense 500, 10."""
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(50 * 4 * 4, 500), nn.ReLU(), nn.Linear(500, 10))


def small_cnn() -> nn.Module:
    """The PyTorch example's CNN: conv 5x5x8, pool, conv 5x5x16, pool, dense 64, 10."""
    return nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))


MODELS = {"lenet": lenet, "small": small_cnn}


def images(data_dir: str, n: int):
    """n Fashion-MNIST training images and labels, or random ones when the files are not there."""
    path = os.path.join(data_dir, "train-images-idx3-ubyte.gz")
    labels_path = os.path.join(data_dir, "train-labels-idx1-ubyte.gz")
    if not (os.path.exists(path) and os.path.exists(labels_path)):
        g = torch.Generator().manual_seed(1)
        return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)
    with gzip.open(path, "rb") as f:
        raw = f.read()
    x = torch.frombuffer(bytearray(raw[16:16 + n * 784]), dtype=torch.uint8).reshape(n, 1, 28, 28)
    with gzip.open(labels_path, "rb") as f:
        y = torch.frombuffer(bytearray(f.read()[8:8 + n]), dtype=torch.uint8)
    assert struct.unpack(">I", raw[:4])[0] == 2051
    return x.float().div_(255.0), y.long()


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="lenet")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--blocks", type=int, default=20, help="blocks of each kind, alternating")
    p.add_argument("--block-steps", type=int, default=25)
    p.add_argument("--warmup", type=int, default=20, help="steps of each before timing")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--bootstrap-servers", default=os.environ.get("LOSSWATCH_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    p.add_argument("--no-broker", action="store_true", help="queue for a broker that never answers")
    args = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.manual_seed(0)

    steps = args.warmup + args.blocks * args.block_steps
    x, y = images(args.data, min(60000, steps * args.batch_size))
    n_batches = x.shape[0] // args.batch_size
    plain, watched = MODELS[args.model](), MODELS[args.model]()
    watched.load_state_dict(plain.state_dict())
    opt_plain = torch.optim.Adam(plain.parameters(), lr=1e-3)
    opt_watched = torch.optim.Adam(watched.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    if args.no_broker:
        reporter = losswatch.Reporter("bench-overhead", bootstrap_servers="127.0.0.1:9", connect_timeout=None,
                                      max_queued=1_000_000)
    else:
        try:
            reporter = losswatch.Reporter("bench-overhead", bootstrap_servers=args.bootstrap_servers)
        except losswatch.SetupError as e:
            sys.exit(f"overhead: {e} (or pass --no-broker)")
    watcher = losswatch.torch.watch(watched, opt_watched, reporter)

    times = {"plain": [], "watched": []}
    block_medians = {"plain": [], "watched": []}
    in_watcher = []
    step = {"plain": 0, "watched": 0}

    def run(kind, count, timed):
        model, opt = (plain, opt_plain) if kind == "plain" else (watched, opt_watched)
        for _ in range(count):
            b = step[kind] % n_batches
            xb, yb = x[b * args.batch_size:(b + 1) * args.batch_size], y[b * args.batch_size:(b + 1) * args.batch_size]
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            value = loss.item()
            if kind == "watched":
                t1 = time.perf_counter()
                watcher.step(step[kind], value)
                if timed:
                    in_watcher.append(time.perf_counter() - t1)
            if timed:
                times[kind].append(time.perf_counter() - t0)
            step[kind] += 1

    run("plain", args.warmup, False)
    run("watched", args.warmup, False)
    for block in range(args.blocks):
        for kind in (("plain", "watched") if block % 2 == 0 else ("watched", "plain")):
            run(kind, args.block_steps, True)
            block_medians[kind].append(statistics.median(times[kind][-args.block_steps:]))

    # the copy of the parameters (or their samples) the wrapped optimizer.step makes, timed alone
    params = [q for q in watched.parameters()]
    t0 = time.perf_counter()
    for _ in range(1000):
        with torch.no_grad():
            for b, v in zip(watcher._before, watcher._update_sources()):
                b.copy_(v)
    copy_s = (time.perf_counter() - t0) / 1000

    reporter.close(timeout=10)
    watcher.close()
    med_plain, med_watched = statistics.median(times["plain"]), statistics.median(times["watched"])
    own = statistics.median(in_watcher) + copy_s
    n_params = sum(q.numel() for q in params)
    print(f"model {args.model} ({n_params} parameters), batch {args.batch_size}, "
          f"{len(times['plain'])} timed steps each, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}, "
          f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"step without watch  {med_plain * 1e3:8.3f} ms (median)")
    print(f"step with watch     {med_watched * 1e3:8.3f} ms (median)")
    # each block beside its neighbour of the other kind: a machine whose load drifts moves both alike
    pairs = sorted(w / p for w, p in zip(block_medians["watched"], block_medians["plain"]))
    quartiles = statistics.quantiles(pairs, n=4)
    print(f"ratio with/without  {statistics.median(pairs):8.4f} (median of {len(pairs)} block pairs; "
          f"quartiles {quartiles[0]:.4f}-{quartiles[2]:.4f}; {med_watched / med_plain:.4f} over all steps)")
    print(f"in the watcher      {own * 1e6:8.1f} us per step = {own / med_plain * 100:.2f}% of a step "
          f"(measure + report {statistics.median(in_watcher) * 1e6:.1f} us, parameter copy {copy_s * 1e6:.1f} us)")
    print(f"events sent {reporter.sent}, dropped {reporter.dropped}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
