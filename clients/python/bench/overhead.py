#!/usr/bin/python3
"""What losswatch.torch.watch costs a training step: the same CNN with and without it, side by side.

For each model, three copies with the same initial weights train on the same batches, one step each
in turn (the order rotating): one watched (its Reporter sending to a real broker, or, with
--no-broker, queueing for one that never answers) and two plain ones. The ratio of the watched step
to the first plain step of the same round is taken per round; its median at each position of the
watcher's cycle (param_every steps, one of which measures the parameters) is averaged over the
cycle, so the heavier step counts for its share. The second plain copy against the first, taken the
same way, is what the machine's noise alone gives. Also prints the time spent in the watcher itself:
watcher.step() plus what its wrapping adds to optimizer.step() (the parameter copy before a measured
step), averaged over the cycle the same way.

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
KINDS = ("plain", "control", "watched")


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


def cycle_mean(values, phases, every):
    """The median of the values at each position of the cycle, averaged over the cycle."""
    return statistics.mean(statistics.median(v for v, k in zip(values, phases) if k == position)
                           for position in range(every))


def measure(name, args, reporter):
    torch.manual_seed(0)
    every = args.param_every
    x, y = images(args.data, min(60000, (args.warmup + args.steps) * args.batch_size))
    n_batches = x.shape[0] // args.batch_size
    models = {kind: MODELS[name]() for kind in KINDS}
    for kind in KINDS[1:]:
        models[kind].load_state_dict(models["plain"].state_dict())
    optimizers = {kind: torch.optim.Adam(models[kind].parameters(), lr=1e-3) for kind in KINDS}
    inner = {}
    for kind, opt in optimizers.items():  # the same timing layer on all three, so it cancels out
        inner[kind] = opt.step = TimedStep(opt.step)
    watcher = losswatch.torch.watch(models["watched"], optimizers["watched"], reporter, param_every=every)
    loss_fn = nn.CrossEntropyLoss()
    times = {kind: [] for kind in KINDS}
    in_watcher = []  # per watched step: watcher.step() plus what the wrapped optimizer.step added
    phases = []  # each timed round's position in the watcher's cycle: 0 measures the parameters

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
        if kind == "watched":
            t3 = time.perf_counter()
            watcher.step(i, value)
            t4 = time.perf_counter()
            if timed:
                in_watcher.append((t4 - t3) + (t2 - t1 - inner[kind].last))
        if timed:
            times[kind].append(time.perf_counter() - t0)

    for i in range(args.warmup + args.steps):
        timed = i >= args.warmup
        for j in range(3):
            one_step(KINDS[(i + j) % 3], i, timed)
        if timed:
            phases.append(i % every)  # the watcher reports every round, from round 0
    watcher.close()

    def ratio(kind, part=slice(None)):
        r = [a / b for a, b in zip(times[kind][part], times["plain"][part])]
        return cycle_mean(r, phases[part], every)

    half = slice(0, args.steps // 2), slice(args.steps // 2, None)
    own = cycle_mean(in_watcher, phases, every)
    full = statistics.median(t for t, k in zip(in_watcher, phases) if k == 0)
    light = statistics.median(t for t, k in zip(in_watcher, phases) if k != 0)
    med_plain = statistics.median(times["plain"])
    n_params = sum(q.numel() for q in models["plain"].parameters())
    print(f"model {name} ({n_params} parameters), batch {args.batch_size}, {args.steps} timed steps of each "
          f"copy, param_every {every}")
    print(f"  step, unwatched        {med_plain * 1e3:8.3f} ms (median)")
    print(f"  step, watched          {statistics.median(times['watched']) * 1e3:8.3f} ms (median)")
    print(f"  watched / unwatched    {ratio('watched'):8.4f} (halves of the run: {ratio('watched', half[0]):.4f}, "
          f"{ratio('watched', half[1]):.4f})")
    print(f"  unwatched / unwatched  {ratio('control'):8.4f} (two plain copies, the machine's noise; halves: "
          f"{ratio('control', half[0]):.4f}, {ratio('control', half[1]):.4f})")
    print(f"  in the watcher         {own * 1e6:8.1f} us per step = {own / med_plain * 100:.2f}% of an unwatched step "
          f"({full * 1e6:.1f} us on a step that measures the parameters, {light * 1e6:.1f} us on the others)")
    return own / med_plain, ratio("watched"), ratio("control")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), nargs="+", default=["lenet", "small"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=400, help="timed steps of each copy")
    p.add_argument("--warmup", type=int, default=20, help="steps of each copy before timing")
    p.add_argument("--param-every", type=int, default=losswatch.torch.DEFAULT_PARAM_EVERY)
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
    print("summary: " + "; ".join(f"{name} {share * 100:.2f}% in the watcher, ratio {ratio:.4f} "
                                  f"(unwatched pair {control:.4f})" for name, (share, ratio, control) in results.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
