#!/usr/bin/python3
"""What losswatch.torch.watch costs a training step: the same CNN with and without it, side by side.

For each model, copies with the same initial weights train on the same batches, one step each in
turn (the order rotating): a watched copy for each --param-every value (their Reporter sending to a
real broker, or, with --no-broker, queueing for one that never answers) and two plain ones. The
ratio of a watched step to the first plain step of the same round is taken per round; its median at
each position of the watcher's cycle (param_every steps, one of which measures the parameters) is
averaged over the cycle, so the heavier step counts for its share. The second plain copy against
the first, taken the same way, is what the machine's noise alone gives. Also prints the time spent
in the watcher itself: watcher.step() plus what its wrapping adds to optimizer.step() (the
parameter copy before a measured step), averaged over the cycle the same way.

    OMP_NUM_THREADS=1 /usr/bin/python3 clients/python/bench/overhead.py --bootstrap-servers 127.0.0.1:9092
    OMP_NUM_THREADS=1 /usr/bin/python3 clients/python/bench/overhead.py --param-every 1 10   # every step against 1 in 10
"""
import argparse
import gzip
import math
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


class TimedStep:
    """Stands in for optimizer.step and records how long the optimizer's own step took."""

    def __init__(self, step):
        self.step, self.last = step, 0.0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        result = self.step(*args, **kwargs)
        self.last = time.perf_counter() - t0
        return result


def cycle_mean(values, phases, cycle):
    """The median of the values at each position of the cycle, averaged over the cycle."""
    return statistics.mean(statistics.median(v for v, k in zip(values, phases) if k == position)
                           for position in range(cycle))


def measure(name, args, reporter):
    torch.manual_seed(0)
    watched = [f"watched/{every}" for every in args.param_every]
    kinds = ["plain", "control"] + watched
    cycle = math.lcm(*args.param_every)
    x, y = images(args.data, min(60000, (args.warmup + args.steps) * args.batch_size))
    n_batches = x.shape[0] // args.batch_size
    models = {kind: MODELS[name]() for kind in kinds}
    for kind in kinds[1:]:
        models[kind].load_state_dict(models["plain"].state_dict())
    optimizers = {kind: torch.optim.Adam(models[kind].parameters(), lr=1e-3) for kind in kinds}
    inner = {}
    for kind, opt in optimizers.items():  # the same timing layer on every copy, so it cancels out
        inner[kind] = opt.step = TimedStep(opt.step)
    watchers = {kind: losswatch.torch.watch(models[kind], optimizers[kind], reporter, param_every=every)
                for kind, every in zip(watched, args.param_every)}
    loss_fn = nn.CrossEntropyLoss()
    times = {kind: [] for kind in kinds}
    in_watcher = {kind: [] for kind in watched}  # per step: watcher.step() plus what the wrapped optimizer.step added
    phases = []  # each timed round's position in the cycle: 0 measures the parameters

    def one_step(kind, i, timed):
        model, opt = models[kind], optimizers[kind]
        b = i % n_batches
        xb, yb = x[b * args.batch_size:(b + 1) * args.batch_size], y[b * args.batch_size:(b + 1) * args.batch_size]
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        t1 = time.perf_counter()
        opt.step()
        t2 = time.perf_counter()
        value = loss.item()
        if kind in watchers:
            t3 = time.perf_counter()
            watchers[kind].step(i, value)
            t4 = time.perf_counter()
            if timed:
                in_watcher[kind].append((t4 - t3) + (t2 - t1 - inner[kind].last))
        if timed:
            times[kind].append(time.perf_counter() - t0)

    for i in range(args.warmup + args.steps):
        timed = i >= args.warmup
        for j in range(len(kinds)):
            one_step(kinds[(i + j) % len(kinds)], i, timed)
        if timed:
            phases.append(i % cycle)  # the watchers report every round, from round 0
    for watcher in watchers.values():
        watcher.close()

    def ratio(kind, part=slice(None)):
        r = [a / b for a, b in zip(times[kind][part], times["plain"][part])]
        return cycle_mean(r, phases[part], cycle)

    half = slice(0, args.steps // 2), slice(args.steps // 2, None)
    med_plain = statistics.median(times["plain"])
    n_params = sum(q.numel() for q in models["plain"].parameters())
    print(f"model {name} ({n_params} parameters), batch {args.batch_size}, {args.steps} timed steps of each copy")
    print(f"  step, unwatched                  {med_plain * 1e3:8.3f} ms (median)")
    print(f"  unwatched / unwatched            {ratio('control'):8.4f} (two plain copies, the machine's noise; "
          f"halves of the run: {ratio('control', half[0]):.4f}, {ratio('control', half[1]):.4f})")
    results = {}
    for kind, every in zip(watched, args.param_every):
        own = cycle_mean(in_watcher[kind], phases, cycle)
        full = statistics.median(t for t, k in zip(in_watcher[kind], phases) if k % every == 0)
        others = [t for t, k in zip(in_watcher[kind], phases) if k % every]
        print(f"  param_every {every:<3d} step, watched {statistics.median(times[kind]) * 1e3:8.3f} ms (median)")
        print(f"                  watched / unwatched {ratio(kind):8.4f} (halves: {ratio(kind, half[0]):.4f}, "
              f"{ratio(kind, half[1]):.4f})")
        print(f"                  in the watcher {own * 1e6:8.1f} us per step = {own / med_plain * 100:.2f}% of an "
              f"unwatched step ({full * 1e6:.1f} us on a step that measures the parameters"
              + (f", {statistics.median(others) * 1e6:.1f} us on the others)" if others else ")"))
        results[every] = (own / med_plain, ratio(kind))
    return results, ratio("control")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), nargs="+", default=["lenet", "small"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=400, help="timed steps of each copy")
    p.add_argument("--warmup", type=int, default=20, help="steps of each copy before timing")
    p.add_argument("--param-every", type=int, nargs="+", default=[losswatch.torch.DEFAULT_PARAM_EVERY],
                   help="one watched copy per value, each measuring the parameters on one step in this many")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--bootstrap-servers", default=os.environ.get("LOSSWATCH_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    p.add_argument("--no-broker", action="store_true", help="queue for a broker that never answers")
    args = p.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if args.no_broker:
        reporter = losswatch.Reporter("bench-overhead", bootstrap_servers="127.0.0.1:9", connect_timeout=None,
                                      max_queued=1_000_000)
    else:
        try:
            reporter = losswatch.Reporter("bench-overhead", bootstrap_servers=args.bootstrap_servers)
        except losswatch.SetupError as e:
            sys.exit(f"overhead: {e} (or pass --no-broker)")
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}, torch {torch.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    results = {name: measure(name, args, reporter) for name in args.model}
    reporter.close(timeout=10)
    print(f"events sent {reporter.sent}, dropped {reporter.dropped}; load average {os.getloadavg()[0]:.2f}")
    for name, (by_every, control) in results.items():
        print(f"summary {name}: " + "; ".join(
            f"param_every {every}: {share * 100:.2f}% of a step in the watcher, step ratio {ratio:.4f}"
            for every, (share, ratio) in by_every.items()) + f" (unwatched pair {control:.4f})")

if __name__ == "__main__":
    main(sys.argv[1:])
