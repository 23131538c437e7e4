#!/usr/bin/env python3
"""Record real PyTorch training runs for the detection benchmark.

Trains eight small architectures on Fashion-MNIST (and one synthetic regression) under healthy and
failing settings, one run after another on one CPU thread, and writes

  pytorch-runs.tsv.gz   every step of every run: run, step, loss, grad_norm, learning_rate, val_loss
  manifest.tsv          one line per run: its settings, what the curve did, and its label

into the benchmark's resources (bench/src/main/resources/io/losswatch/bench/pytorch/).

Per step: the training loss of the minibatch, the L2 norm of the mean minibatch gradient before any
clipping, the learning rate the optimizer used, and the validation loss where measured (every
VAL_EVERY steps, or every 10 steps on the overfitting runs). A run stops after MAX_NON_FINITE
non-finite losses, as a trainer would.

Labels: each run is labelled by what its curve did, not by what its settings meant it to do
(``verdict``); the reviewed labels in labels-reviewed.tsv (next to this script) override the
automatic verdict where a reader judged otherwise. ``--relabel`` rewrites the manifest from the
recordings and the reviewed labels without training again.

Usage (about 15 minutes of one CPU core; 30 of wall time on a busy 2-core machine):

  OMP_NUM_THREADS=1 python3 bench/corpus/record_pytorch_runs.py --data DIR_WITH_FASHION_MNIST_IDX_GZ
  python3 bench/corpus/record_pytorch_runs.py --relabel
  OMP_NUM_THREADS=1 python3 bench/corpus/record_pytorch_runs.py --data DIR --missing   # only runs added to PLAN
  python3 bench/corpus/record_pytorch_runs.py --only mlp-sgd,cnn-lr-raised --out some/dir   # a few runs

The blind set (--set blind, written to pytorch-blind/ beside the first set): 48 runs of settings the
first set does not use, recorded after the detector's rules for real runs were written. On two cores,
half of it in each of two processes, then joined:

  OMP_NUM_THREADS=1 python3 bench/corpus/record_pytorch_runs.py --set blind --data DIR --only A --out PART_A
  OMP_NUM_THREADS=1 python3 bench/corpus/record_pytorch_runs.py --set blind --data DIR --only B --out PART_B
  python3 bench/corpus/record_pytorch_runs.py --set blind --merge PART_A,PART_B

The second blind set (--set blind-2, written to pytorch-blind-2/): 48 runs of settings neither earlier
set uses (NAdam, RAdam, Adamax, a cyclic rate, a long warm-up, exponential and polynomial decay,
momentum 0.99, strong weight decay; a warm-up or a cycle that climbs to a rate far too high, Adam's
rate raised 5x, inputs drifting, three corrupted batches in a row, a batch with NaN in its inputs,
overfitting a subset of 512), recorded after the blind set had been used for tuning and labelled
before any detector saw it, then scored once. In one process (about 9 minutes of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-2 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-2 --relabel

The third blind set (--set blind-3, written to pytorch-blind-3/): 48 runs of settings none of the
earlier sets uses (label smoothing, a rate halved every 75 steps, RMSprop with momentum, a 30-step
warm-up into a cosine, clipping at 0.1, weight decay on SGD, Adam's betas (0.9, 0.95), batches of 16;
a staircase of rate raises, Adam at 0.02 with eps 1e-12, one batch handed out again and again, a
decayed rate set 50x higher, one cycle peaking at 50x, targets mapped wrongly, gradients never zeroed,
overfitting 128 examples with RMSprop), recorded after both blind sets had been used for tuning and
labelled from the curves alone, to be scored once. In one process (about 9 minutes of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-3 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-3 --relabel

The fourth blind set (--set blind-4, written to pytorch-blind-4/): 48 runs of settings none of the
earlier sets uses (Adam with AMSGrad, a rate halved on a plateau, gradients accumulated over four
batches, Adadelta, mixup, noisy inputs, momentum 0.5, batches of 256; gradients left scaled by 1000,
gradient ascent, inputs zeroed, weights 30x at init, momentum above 1, a weight decay of 0.5 from a
step on, batches of 2 at a rate for 64, data sorted by class), recorded after the third blind set had
been scored and labelled from the curves alone, to be scored once. In one process (about 10 minutes of
one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-4 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-4 --relabel

The fifth blind set (--set blind-5, written to pytorch-blind-5/): 48 runs of settings none of the
earlier sets uses (Rprop with its steps capped, the output layer at 10x the rate, gradients clipped by
value, an average of the weights validated, Lookahead, sharpness-aware steps, annealed gradient noise,
an inverse square root decay; from a step on: labels 80% wrong for good, dropout 0.9, the weights built
anew, gradients in float16 under a growing loss scale, gradients 16 steps stale, gradient noise 64x
too large, inputs inverted; Adam's rate 100x for 20 steps), recorded after the fourth blind set had been
scored and labelled from the curves alone, to be scored once. In one process (about 10 minutes of one
CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-5 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-5 --relabel

The sixth blind set (--set blind-6, written to pytorch-blind-6/): 48 runs of settings none of the
earlier sets uses (a rate falling linearly to zero, Adam's beta1 0.95, centred RMSprop, weight decay on
the weight matrices only, the output layer trained alone first, batches doubled in place of a decay, a
quadratic warm-up, weight averaging from a step on; a warm-up without its cap, Adam's second moments
lost at a restore, the inputs' normalisation dropped, half the classes or one example from a step on,
an L2 penalty subtracted, gradients zeroed every fourth step, Adam swapped in at SGD's rate), recorded
after the fifth blind set had been scored and labelled from the curves alone, to be scored once. In one
process (about 8 minutes of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-6 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-6 --relabel

The seventh blind set (--set blind-7, written to pytorch-blind-7/): 48 runs of settings none of the
earlier sets uses (Adam with a coupled L2 penalty, batches of 128 at twice the rate, a rate cut 10x at
milestones, Adam clipped at 5, averaged SGD, a cyclic rate whose height shrinks, cutout, the biases at
twice the rate; Adagrad at a rate far too high, Adam's betas swapped, a linear decay run past its end,
one class weighted 100x, the outputs scaled 100x, the weights shrunk by hand each step, the inputs'
columns permuted or 2% of the records in other units from a step on), recorded after the sixth blind set
had been scored and labelled from the curves alone, to be scored once. In one process (about 8 minutes
of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-7 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-7 --relabel

The eighth blind set (--set blind-8, written to pytorch-blind-8/): 48 runs of settings none of the
earlier sets uses (images at half resolution until a step, Lion and LAMB written by hand, float16
gradients under a dynamic loss scale with overflowing steps skipped, a job preempted and resumed from an
older checkpoint with its warm-up run again, adaptive gradient clipping at twice the rate, a layer-wise
rate decay, gradient centralization; a softmax's exponentials in float16, momentum 0.999, momentum
applied twice, the loss summed over the batch; from a step on: a brightness augmentation wrapping around
in uint8, the gradients below the output layer reversed, a restore of the weights only at 10x the rate,
the same five batches over and over), recorded after the seventh blind set had been scored and labelled
from the curves alone, to be scored once. In one process (about 8 minutes of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-8 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-8 --relabel

The ninth blind set (--set blind-9, written to pytorch-blind-9/): 48 runs of settings none of the
earlier sets uses (a focal loss, the hardest half of each batch, images shifted by up to two pixels,
CutMix, Adafactor written by hand, the output layer set to zero at the start, a warm-up, stable, decay
schedule, AutoClip; a negative log likelihood without its log_softmax, a clip written by hand with its
ratio upside down, Adam's beta2 at 0.5, Adam written by hand without its square root or with its bias
corrections swapped; from a step on: the images transposed, adversarial training with its budget in
pixel units, Adam given a coupled weight decay of 1.0), recorded after the eighth blind set had been
scored and labelled from the curves alone, to be scored once. In one process (about 8 minutes of one
CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-9 --data DIR
  python3 bench/corpus/record_pytorch_runs.py --set blind-9 --relabel

The tenth blind set (--set blind-10, written to pytorch-blind-10/): 48 runs of settings none of the
earlier sets uses (class-balanced batches, a z-loss, images flipped left to right, inputs standardised
per batch, Adagrad with its sums started at 0.1, the input layer frozen, activation checkpointing, an
orthogonal initialisation; a gradient divided by its norm squared, Adam's second moments in float16, a
warm-up factor upside down, the input layer at 100x the rate, the perplexity minimised, a clip given max
norm -1; from a step on: one class alone, 90% of the inputs masked), recorded after the ninth blind set
had been scored and labelled from the curves alone, to be scored once. On two cores, half of it in each
of two processes, then joined (about 9 minutes of one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-10 --data DIR --only A --out PART_A
  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-10 --data DIR --only B --out PART_B
  python3 bench/corpus/record_pytorch_runs.py --set blind-10 --merge PART_A,PART_B
  python3 bench/corpus/record_pytorch_runs.py --set blind-10 --relabel

The eleventh blind set (--set blind-11, written to pytorch-blind-11/): 48 runs of settings none of the
earlier sets uses (a multi-class hinge loss, R-Drop, scaled weight standardisation, Adam without its bias
corrections as BERT had it, a Polyak step size with its cap, a cosine decay to a floor, an L1 penalty, a
max-norm constraint; dropout written by hand scaled by 1 / p, a clip called before the backward pass at
a rate set for clipped steps, a normalisation done in place so that each epoch normalises again, a
learned loss weight's log-variance term subtracted, per-pixel statistics of a sample with blank pixels,
the Polyak step without its cap given to SGD with momentum; from step 150: random erasing with its fill
in pixel units), recorded after the tenth blind set had been scored and labelled from the curves alone,
to be scored once. On two cores, half of it in each of two processes, then joined (about 8 minutes of
one CPU core):

  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-11 --data DIR --only A --out PART_A
  OMP_NUM_THREADS=1 nice -n 10 python3 bench/corpus/record_pytorch_runs.py --set blind-11 --data DIR --only B --out PART_B
  python3 bench/corpus/record_pytorch_runs.py --set blind-11 --merge PART_A,PART_B
  python3 bench/corpus/record_pytorch_runs.py --set blind-11 --relabel
"""

import argparse
import copy
import gzip
import math
import os
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.parametrize
import torch.utils.checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCES = os.path.join(HERE, "..", "src", "main", "resources", "io", "losswatch", "bench")
OUT = os.path.join(RESOURCES, "pytorch")
REVIEWED = os.path.join(HERE, "labels-reviewed.tsv")

BATCH = 64
STEPS = 300
VAL_EVERY = 50
MAX_NON_FINITE = 3
TRAIN_SIZE = 12000
VAL_SIZE = 500
# the step where mid-run trouble starts: a raised rate, a corrupted batch, broken labels
TROUBLE_AT = 150
# a scheduler on a plateau is stepped with the mean training loss of this many steps, as once an epoch
PLATEAU_EVERY = 25


# ---------------------------------------------------------------------------------------- data


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(data_dir):
    x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))[:TRAIN_SIZE]
    y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))[:TRAIN_SIZE]
    vx = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))[:VAL_SIZE]
    vy = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))[:VAL_SIZE]
    raw = torch.tensor(x, dtype=torch.float32).unsqueeze(1)
    vraw = torch.tensor(vx, dtype=torch.float32).unsqueeze(1)
    return raw, torch.tensor(y, dtype=torch.long), vraw, torch.tensor(vy, dtype=torch.long)


def raw_units(x):
    """Regression features in their raw units: scales from 1 to 1000 and offsets, as unscaled tabular data."""
    return x * torch.logspace(0, 3, 32) + torch.linspace(0, 50, 32)


def regression_data(seed):
    """A smooth nonlinear target of 32 features, with a little noise; features of unit scale."""
    g = torch.Generator().manual_seed(seed)
    n = TRAIN_SIZE + VAL_SIZE
    x = torch.randn(n, 32, generator=g)
    w1 = torch.randn(32, 16, generator=g) / math.sqrt(32)
    w2 = torch.randn(16, 1, generator=g)
    y = torch.tanh(x @ w1 * 2) @ w2 + 0.1 * torch.randn(n, 1, generator=g)
    return x[:TRAIN_SIZE], y[:TRAIN_SIZE], x[TRAIN_SIZE:], y[TRAIN_SIZE:]


# -------------------------------------------------------------------------------------- models


class Mlp(nn.Module):
    def __init__(self, hidden=256, dropout=0.0, inputs=784, outputs=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(inputs, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden // 2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden // 2, outputs),
        )

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    def __init__(self, batchnorm=False, dropout=0.0, width=16):
        super().__init__()
        norm = (lambda c: nn.BatchNorm2d(c)) if batchnorm else (lambda c: nn.Identity())
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            norm(width),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            norm(2 * width),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * width * 49, 64), nn.ReLU(), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.head(self.features(x))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(x + self.b2(self.c2(F.relu(self.b1(self.c1(x))))))


class ResNet(nn.Module):
    def __init__(self, dropout=0.0, width=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(ResBlock(width), nn.MaxPool2d(2), ResBlock(width), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(width, 10))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class RowLstm(nn.Module):
    """The image's 28 rows as a sequence of 28 features."""

    def __init__(self, dropout=0.0, hidden=64):
        super().__init__()
        self.rnn = nn.LSTM(28, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        seq = x.view(x.shape[0], 28, 28)
        h, _ = self.rnn(seq)
        return self.out(self.drop(h[:, -1]))


class PatchTransformer(nn.Module):
    """16 patches of 7x7 pixels as tokens, two encoder layers, a mean-pooled head."""

    def __init__(self, dropout=0.0, dim=48):
        super().__init__()
        self.embed = nn.Linear(49, dim)
        self.pos = nn.Parameter(torch.zeros(1, 16, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.out = nn.Linear(dim, 10)

    def forward(self, x):
        b = x.shape[0]
        patches = x.view(b, 4, 7, 4, 7).permute(0, 1, 3, 2, 4).reshape(b, 16, 49)
        return self.out(self.encoder(self.embed(patches) + self.pos).mean(dim=1))


class AutoEncoder(nn.Module):
    def __init__(self, dropout=0.0):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 32))
        self.dec = nn.Sequential(nn.ReLU(), nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784))

    def forward(self, x):
        return self.dec(self.enc(x)).view_as(x)


class DropoutOverP(nn.Module):
    """Dropout written by hand with its scale upside down: the kept activations multiplied by 1 / p where
    1 / (1 - p) was meant; as it should be (nothing) in evaluation."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / self.p


class ScaledStandardised(nn.Module):
    """Scaled weight standardisation (Brock et al. 2021), as a parametrisation: each unit's incoming weights
    (all but the first dimension) less their mean, over their standard deviation times the square root of
    their number, times sqrt(2): a mean of 0 and a norm of sqrt(2), whatever the raw weights' scale."""

    def forward(self, w):
        dims = tuple(range(1, w.dim()))
        centred = w - w.mean(dim=dims, keepdim=True)
        return math.sqrt(2) * centred / (centred.pow(2).sum(dim=dims, keepdim=True) + 1e-8).sqrt()


ARCHS = {
    "mlp": dict(task="classify", sgd_lr=0.1, make=lambda d, big: Mlp(1024 if big else 256, d)),
    "cnn": dict(task="classify", sgd_lr=0.05, make=lambda d, big: Cnn(False, d, 32 if big else 16)),
    "cnn-bn": dict(task="classify", sgd_lr=0.1, make=lambda d, big: Cnn(True, d, 32 if big else 16)),
    "resnet": dict(task="classify", sgd_lr=0.1, make=lambda d, big: ResNet(d, 32 if big else 16)),
    "lstm": dict(task="classify", sgd_lr=0.5, make=lambda d, big: RowLstm(d, 128 if big else 64)),
    "transformer": dict(task="classify", sgd_lr=0.05, make=lambda d, big: PatchTransformer(d, 64 if big else 48)),
    "autoencoder": dict(task="reconstruct", sgd_lr=0.05, make=lambda d, big: AutoEncoder(d)),
    "regression": dict(task="regress", sgd_lr=0.02, make=lambda d, big: Mlp(512 if big else 128, d, 32, 1)),
}

# ------------------------------------------------------------------------------------ settings
#
# A setting: the optimizer and its rate, the schedule, clipping, noise, dropout, and what goes
# wrong. Intended to be healthy or diverging; the label is what the curve did.

HEALTHY = {
    "sgd": dict(opt="sgd"),
    "momentum-step-decay": dict(opt="momentum", lr_scale=0.3, schedule="step"),
    "adam-warmup-cosine": dict(opt="adam", lr=1e-3, schedule="warmup-cosine"),
    "adamw-cosine-restarts": dict(opt="adamw", lr=2e-3, schedule="restarts"),
    "rmsprop-onecycle": dict(opt="rmsprop", lr=1e-3, schedule="onecycle"),
    "momentum-clip-label-noise": dict(opt="momentum", lr_scale=0.5, clip=1.0, label_noise=0.2),
    "adam-dropout": dict(opt="adam", lr=1e-3, dropout=0.3),
    "momentum-warmup": dict(opt="momentum", lr_scale=1.0, schedule="warmup"),
}

FAILING = {
    "lr-too-high-adam": dict(opt="adam", lr=0.5, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    "lr-too-high-sgd": dict(opt="momentum", lr_scale=20, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    "lr-raised": dict(opt="momentum", lr_scale=0.3, raise_at=TROUBLE_AT, raise_by=100, cause="LEARNING_RATE_TOO_HIGH"),
    "corrupt-batch": dict(opt="momentum", lr_scale=0.3, corrupt_at=TROUBLE_AT, cause="DATA_ISSUE"),
    "labels-scrambled": dict(opt="momentum", lr_scale=0.3, scramble_from=TROUBLE_AT, cause="DATA_ISSUE"),
    "no-normalization": dict(opt="momentum", lr_scale=0.3, raw_inputs=True, onset=1),
    "no-clip-high-lr": dict(opt="sgd", lr_scale=10, onset=1, cause="LEARNING_RATE_TOO_HIGH"),
    "overfit": dict(
        opt="adam", lr=1e-3, big=True, train_subset=256, val_every=10, steps=400, cause="INSUFFICIENT_REGULARIZATION"
    ),
}

# Which settings each architecture runs. Order matters only for reading the manifest.
PLAN = {
    "mlp": ["sgd", "momentum-step-decay", "adam-dropout", "rmsprop-onecycle", "momentum-clip-label-noise",
            "lr-too-high-sgd", "lr-raised", "corrupt-batch", "labels-scrambled", "no-normalization", "overfit"],
    "cnn": ["sgd", "momentum-warmup", "adam-warmup-cosine", "adamw-cosine-restarts", "momentum-clip-label-noise",
            "lr-too-high-adam", "lr-raised", "corrupt-batch", "no-normalization", "overfit"],
    "cnn-bn": ["momentum-step-decay", "adam-dropout", "adamw-cosine-restarts", "rmsprop-onecycle", "sgd",
               "lr-too-high-adam", "lr-raised", "corrupt-batch", "labels-scrambled", "no-normalization", "overfit"],
    "resnet": ["momentum-step-decay", "adam-warmup-cosine", "rmsprop-onecycle", "momentum-clip-label-noise",
               "lr-too-high-adam", "lr-raised", "corrupt-batch", "overfit", "lr-too-high-sgd", "labels-scrambled"],
    "lstm": ["adam-warmup-cosine", "momentum-clip-label-noise", "rmsprop-onecycle", "adam-dropout",
             "no-clip-high-lr", "lr-raised", "corrupt-batch", "lr-too-high-adam", "lr-too-high-sgd",
             "labels-scrambled", "overfit"],
    "transformer": ["adam-warmup-cosine", "adamw-cosine-restarts", "adam-dropout", "momentum-warmup",
                    "lr-too-high-adam", "lr-raised", "corrupt-batch", "overfit"],
    "autoencoder": ["sgd", "momentum-step-decay", "adam-warmup-cosine", "adamw-cosine-restarts", "rmsprop-onecycle",
                    "lr-too-high-sgd", "lr-raised", "corrupt-batch", "no-normalization", "overfit"],
    "regression": ["sgd", "momentum-warmup", "adam-dropout", "adamw-cosine-restarts", "momentum-clip-label-noise",
                   "lr-too-high-sgd", "lr-raised", "corrupt-batch", "no-normalization", "overfit"],
}

# ------------------------------------------------------------------------------ the blind set
#
# A second set, recorded after the detector's rules for real runs were written and scored once:
# settings the first set does not use (other optimizers and schedules, milder and gradual failures),
# given to each architecture by a fixed rotation rather than by choice: architecture i runs healthy
# settings 3i to 3i+2 and failing settings 3i to 3i+2 (modulo the lists' lengths).

BLIND_HEALTHY = {
    "nesterov-cosine": dict(opt="nesterov", lr_scale=0.5, schedule="cosine"),
    "adam-low-lr": dict(opt="adam", lr=3e-4),
    "adagrad": dict(opt="adagrad", lr=0.01),
    "momentum-clip-high-lr": dict(opt="momentum", lr_scale=3, clip=0.5),
    "adamw-warmup-linear": dict(opt="adamw", lr=1e-3, schedule="warmup-linear"),
    "sgd-label-noise-40": dict(opt="sgd", label_noise=0.4),
    "rmsprop-short-restarts": dict(opt="rmsprop", lr=5e-4, schedule="short-restarts"),
    "nesterov-dropout-step": dict(opt="nesterov", lr_scale=0.3, dropout=0.2, schedule="step"),
}

BLIND_FAILING = {
    # a rate that grows 5% a step from step 100 on: a range test left running, a schedule's bug
    "lr-ramp": dict(opt="momentum", lr_scale=0.3, ramp_from=100, ramp_by=1.05, cause="LEARNING_RATE_TOO_HIGH"),
    "lr-raised-10x": dict(opt="momentum", lr_scale=0.3, raise_at=TROUBLE_AT, raise_by=10, cause="LEARNING_RATE_TOO_HIGH"),
    "adam-lr-too-high-0.05": dict(opt="adam", lr=0.05, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    "corrupt-batch-100x": dict(opt="adam", lr=1e-3, corrupt_at=TROUBLE_AT, corrupt_by=100, cause="DATA_ISSUE"),
    "nesterov-lr-too-high": dict(opt="nesterov", lr_scale=8, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    "rmsprop-lr-raised": dict(opt="rmsprop", lr=1e-3, raise_at=TROUBLE_AT, raise_by=30, cause="LEARNING_RATE_TOO_HIGH"),
    "overfit-momentum": dict(
        opt="momentum", lr_scale=1.0, big=True, train_subset=256, val_every=10, steps=400,
        cause="INSUFFICIENT_REGULARIZATION",
    ),
}


def rotation(names, i, k):
    return [names[(k * i + j) % len(names)] for j in range(k)]


def rotated_plan(healthy, failing, k=3):
    """Architecture i runs healthy settings k*i to k*i+k-1 and as many failing ones (modulo their counts)."""
    return {arch: rotation(list(healthy), i, k) + rotation(list(failing), i, k) for i, arch in enumerate(ARCHS)}


BLIND_PLAN = rotated_plan(BLIND_HEALTHY, BLIND_FAILING)

# --------------------------------------------------------------------------- the second blind set
#
# A third set, recorded after the blind set had been used for tuning, scored once: settings
# neither earlier set uses, given to the architectures by the same rotation.

BLIND2_HEALTHY = {
    "nadam": dict(opt="nadam", lr=1e-3),
    # the rate goes up and down between a tenth of a healthy rate and that rate, every 100 steps
    "momentum-cyclic": dict(opt="momentum", lr_scale=1.0, schedule="cyclic"),
    "adam-long-warmup": dict(opt="adam", lr=2e-3, schedule="long-warmup"),
    "sgd-poly-decay": dict(opt="sgd", lr_scale=2, schedule="poly"),
    "radam-dropout-50": dict(opt="radam", lr=1e-3, dropout=0.5),
    "adamax-exp-decay": dict(opt="adamax", lr=2e-3, schedule="exp"),
    "momentum-0.99-low-lr": dict(opt="momentum", momentum=0.99, lr_scale=0.1),
    "adamw-strong-decay": dict(opt="adamw", lr=1e-3, weight_decay=0.5),
}

BLIND2_FAILING = {
    # a warm-up over 100 steps to 30x a healthy rate: the loss falls while the rate is low and turns
    # up on the way; the trouble starts where it turns up (see verdict)
    "warmup-to-lr-too-high": dict(
        opt="momentum", lr_scale=30, schedule="long-warmup", climbs=True, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # a cyclic rate whose top, reached at step 50, is 20x a healthy rate
    "cyclic-lr-too-high": dict(
        opt="momentum", lr_scale=20, schedule="cyclic", cycle_low=0.01, climbs=True, cause="LEARNING_RATE_TOO_HIGH"
    ),
    "adam-lr-raised-5x": dict(opt="adam", lr=2e-3, raise_at=TROUBLE_AT, raise_by=5, cause="LEARNING_RATE_TOO_HIGH"),
    # from step 150 on every batch's inputs 3% larger than the last one's: a source changing its units
    # bit by bit; the validation inputs stay as they were
    "inputs-drift": dict(opt="momentum", lr_scale=0.3, drift_from=TROUBLE_AT, drift_by=1.03, cause="DATA_ISSUE"),
    "corrupt-batches-3": dict(
        opt="nesterov", lr_scale=0.3, corrupt_at=TROUBLE_AT, corrupt_for=3, corrupt_by=1e3, cause="DATA_ISSUE"
    ),
    # one example of one batch all NaN, as a record with missing values read without a check
    "nan-batch": dict(opt="adamw", lr=1e-3, corrupt_at=TROUBLE_AT, corrupt_nan=True, cause="DATA_ISSUE"),
    # momentum 0.99 at twice a rate that is healthy with momentum 0.9: the step it takes, rate / (1 -
    # momentum), is 20x too large; the same momentum at a tenth of the rate trains (momentum-0.99-low-lr),
    # so the fix is a lower rate, not another optimizer: LEARNING_RATE_TOO_HIGH
    "momentum-0.99-lr-too-high": dict(
        opt="momentum", momentum=0.99, lr_scale=2, cause="LEARNING_RATE_TOO_HIGH", onset=1
    ),
    "overfit-adam-512": dict(
        opt="adam", lr=2e-3, big=True, train_subset=512, val_every=10, steps=400, cause="INSUFFICIENT_REGULARIZATION"
    ),
}

BLIND2_PLAN = rotated_plan(BLIND2_HEALTHY, BLIND2_FAILING)

# ---------------------------------------------------------------------------- the third blind set
#
# A fourth set, recorded after both blind sets had been used for tuning and labelled from the curves
# alone, to be scored once: settings none of the earlier sets use, given to the architectures by the
# same rotation.

BLIND3_HEALTHY = {
    # cross-entropy against targets of 0.91 on the class and 0.01 on each other one: a loss that cannot
    # fall below about 0.5
    "momentum-label-smoothing": dict(opt="momentum", lr_scale=0.5, label_smoothing=0.1),
    "adam-step-halving": dict(opt="adam", lr=1e-3, schedule="halving"),
    "rmsprop-momentum": dict(opt="rmsprop", lr=1e-4, momentum=0.9),
    "adamw-warmup-30-cosine": dict(opt="adamw", lr=2e-3, schedule="warmup-30-cosine"),
    "adam-clip-0.1": dict(opt="adam", lr=3e-3, clip=0.1),
    "momentum-cosine-wd": dict(opt="momentum", lr_scale=0.5, schedule="cosine", weight_decay=5e-4),
    "adam-beta2-0.95": dict(opt="adam", lr=1e-3, betas=(0.9, 0.95), eps=1e-6),
    # batches of 16 rather than 64: a noisier loss, and a quarter of the examples seen
    "momentum-batch-16": dict(opt="momentum", lr_scale=0.25, batch=16),
}

BLIND3_FAILING = {
    # the rate tripled every 50 steps from step 100 on (0.9x, 2.7x, 8.1x, 24x a healthy rate): a staircase
    # of raises, each of which looked fine for a while; the trouble starts where the loss turns up
    "lr-staircase": dict(
        opt="momentum", lr_scale=0.3, stairs_from=100, stairs_every=50, stairs_by=3, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # Adam at 0.02 with eps 1e-12: a rate that is too high, with nothing to damp the steps of weights
    # whose gradients are nearly zero
    "adam-tiny-eps-high-lr": dict(opt="adam", lr=0.02, eps=1e-12, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    # from step 150 on the loader hands out the same batch again and again, as an unshuffled loader's
    # iterator built anew each step: the training loss falls on that batch while the model forgets the rest
    "batch-repeated": dict(opt="adam", lr=1e-3, repeat_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # a rate halved every 75 steps and then, at step 150, set 50x higher (12.5x a healthy rate), as a
    # rate restored wrongly from a checkpoint
    "lr-decayed-raised-50x": dict(
        opt="momentum", lr_scale=1.0, schedule="halving", raise_at=TROUBLE_AT, raise_by=50,
        cause="LEARNING_RATE_TOO_HIGH",
    ),
    # a one-cycle schedule whose peak, reached at step 90, is 50x a healthy rate (it starts at 2x)
    "onecycle-lr-too-high": dict(
        opt="momentum", lr_scale=1.0, schedule="onecycle", peak=50, climbs=True, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # from step 150 on the training targets go through a wrong mapping, the validation targets do not:
    # each class becomes the next one (a label map off by one); a value is scaled 100x (a units bug)
    "targets-remapped": dict(opt="momentum", lr_scale=0.3, remap_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # the gradients are never zeroed: each step adds its gradient to all the earlier ones, so the
    # optimizer follows their running sum (and the recorded gradient norm is the sum's, as the optimizer
    # saw it); no single cause fits, the fix is in the training loop; the step grows with the sum, so
    # it is judged as a rate that climbs from the first step (see verdict)
    "no-zero-grad": dict(opt="momentum", lr_scale=0.3, no_zero_grad=True, climbs=True),
    "overfit-rmsprop-128": dict(
        opt="rmsprop", lr=1e-3, big=True, train_subset=128, val_every=10, steps=400,
        cause="INSUFFICIENT_REGULARIZATION",
    ),
}

BLIND3_PLAN = rotated_plan(BLIND3_HEALTHY, BLIND3_FAILING)

# --------------------------------------------------------------------------- the fourth blind set
#
# A fifth set, recorded after the third blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets use, given to the architectures by the same
# rotation.

BLIND4_HEALTHY = {
    # Adam keeping the largest second moment seen so far (AMSGrad): steps that only shrink
    "adam-amsgrad": dict(opt="adam", lr=1e-3, amsgrad=True),
    # the rate halved whenever the mean training loss of 25 steps has not reached a new low for two
    # windows in a row, as a scheduler stepped on a plateau each epoch
    "nesterov-plateau": dict(opt="nesterov", lr_scale=0.5, schedule="plateau"),
    # gradients accumulated over four batches of 64 before each step: one step, one logged loss (the
    # mean of the four) and one gradient norm (of the mean gradient) per four batches
    "momentum-accumulate-4": dict(opt="momentum", lr_scale=0.5, accumulate=4),
    # Adadelta at its default rate of 1: steps scaled by the running size of the earlier steps
    "adadelta": dict(opt="adadelta", lr=1.0),
    # mixup: each batch trained on a blend of itself and a shuffled copy (a share drawn from Beta(0.4,
    # 0.4)), the loss against both targets in the same shares; a loss that stays above a plain run's
    "adamw-mixup": dict(opt="adamw", lr=1e-3, mixup=0.4),
    # Gaussian noise of 0.5 (half a pixel's standard deviation) added to every training input, the
    # validation inputs clean; the autoencoder learns to denoise (its targets stay clean)
    "adam-input-noise": dict(opt="adam", lr=1e-3, input_noise=0.5),
    # momentum 0.5 at a healthy rate: steps a fifth of momentum 0.9's (the step is rate / (1 - momentum))
    "momentum-0.5": dict(opt="momentum", momentum=0.5, lr_scale=1.0),
    # batches of 256 rather than 64: a smoother loss, four times the examples per step
    "momentum-batch-256": dict(opt="momentum", lr_scale=0.5, batch=256),
}

BLIND4_FAILING = {
    # from step 150 on the loss is scaled by 1000 for the backward pass and the gradients are never
    # unscaled, as a loss scaler half wired in: every step 1000x too large; the loss logged is the
    # unscaled one, the gradient norm the optimizer saw; no single cause fits, the fix is in the loop
    "grads-unscaled-1000x": dict(opt="momentum", lr_scale=0.3, unscaled_from=TROUBLE_AT, unscaled_by=1000),
    # from step 150 on every gradient's sign is flipped before the step (the optimizer climbs the loss,
    # as a reward maximised with a minimiser's sign): no single cause fits, the fix is in the loop
    "gradient-ascent": dict(opt="adam", lr=1e-3, ascent_from=TROUBLE_AT),
    # from step 150 on the training inputs are all zero, as a pipeline whose decoder fails silently; the
    # autoencoder's targets with them; the validation inputs stay real
    "inputs-zeroed": dict(opt="momentum", lr_scale=0.3, zero_inputs_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # every weight matrix and kernel scaled 30x after its initialisation: outputs out of all scale from
    # the first step; no single cause fits, the fix is the initialisation
    "init-weights-30x": dict(opt="momentum", lr_scale=0.3, init_scale=30, onset=1),
    # momentum 1.05 (0.95 mistyped): the velocity grows 5% a step even under a constant gradient, so
    # the step grows from the first one; judged as a rate that climbs from the first step (see verdict)
    "momentum-1.05": dict(opt="momentum", momentum=1.05, lr_scale=0.3, climbs=True, onset=1),
    # from step 150 on a weight decay of 0.5 (5e-4 meant) on SGD with momentum, as a resumed job reading
    # its settings wrongly: the penalty outweighs the loss and pulls every weight toward zero, the model
    # back toward a constant output; no single cause fits. (AdamW with weight decay 5 from the first
    # step trains: its steps keep the weights within 1 / decay, 0.2, of zero, not at zero.)
    "weight-decay-0.5-from-150": dict(opt="momentum", lr_scale=0.3, decay_from=TROUBLE_AT, decay_to=0.5),
    # from step 150 on the loader hands out batches of 2, the rate kept at one for batches of 64, as a
    # batch size overridden on a resumed job: gradients 32x noisier in variance, batch statistics of two;
    # no single cause fits (the rate is right for the batches it was set for)
    "batch-2-from-150": dict(opt="momentum", lr_scale=0.5, shrink_from=TROUBLE_AT, shrink_to=2),
    # from step 150 on the loader goes through the data sorted by class (regression: by target), as an
    # unshuffled loader on a sorted file: twenty-odd batches of one class, then the next; the validation
    # set stays mixed
    "data-sorted-by-class": dict(opt="momentum", lr_scale=0.3, sorted_from=TROUBLE_AT, cause="DATA_ISSUE"),
}

BLIND4_PLAN = rotated_plan(BLIND4_HEALTHY, BLIND4_FAILING)

# ---------------------------------------------------------------------------- the fifth blind set
#
# A sixth set, recorded after the fourth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets use, given to the architectures by the same
# rotation. Most of its mechanics act from a step on, as a resumed or reconfigured job would.

BLIND5_HEALTHY = {
    # Rprop on minibatches of 64: each weight's step grows 1.2x while its gradient keeps its sign and
    # halves when it flips, the gradient's size unused; a first step of 1e-3 and no step above 1e-3 (at
    # PyTorch's largest step, 50, the minibatches' sign flips let the mlp's steps run up and it diverged)
    "rprop": dict(opt="rprop", lr=1e-3, step_max=1e-3),
    # the output layer (the last linear one) at 10x the rate of the rest, as a head given its own rate;
    # the rate logged is the rest's
    "momentum-head-lr-10x": dict(opt="momentum", lr_scale=0.3, head_lr=10),
    # every gradient's element clipped to [-0.1, 0.1] (clip_grad_value_, not the norm); the gradient norm
    # logged is before the clip
    "momentum-clip-value-0.1": dict(opt="momentum", lr_scale=0.5, clip_value=0.1),
    # an exponential moving average of the weights (decay 0.99, lower at first) validated in the model's
    # place; the training loss is the model's own
    "adam-ema-validation": dict(opt="adam", lr=1e-3, ema=0.99),
    # Lookahead around Adam: every 5 steps the slow weights move half way to the fast ones, and the fast
    # ones start again from there
    "adam-lookahead": dict(opt="adam", lr=1e-3, lookahead=(5, 0.5)),
    # sharpness-aware minimisation: the step taken with the gradient at the weights moved 0.05 along the
    # gradient; two passes a step, the loss and gradient norm logged those of the first
    "momentum-sam": dict(opt="momentum", lr_scale=0.5, sam=0.05),
    # Gaussian noise of variance 0.01 / (1 + t) ** 0.55 added to every gradient element, as annealed gradient
    # noise (Neelakantan et al.); the gradient norm logged is before the noise
    "momentum-annealed-grad-noise": dict(opt="momentum", lr_scale=0.5, grad_noise=(0.01, 0.55)),
    # a warm-up over 20 steps to 2e-3, then the rate falling as 1 / sqrt(step) (0.5e-3 at step 300)
    "adam-warmup-inverse-sqrt": dict(opt="adam", lr=2e-3, schedule="warmup-inverse-sqrt"),
}

BLIND5_FAILING = {
    # from step 150 on the training targets come from a relabelled file in which 80% of the labels are a
    # wrong class, each example's wrong for good; one in five stays right, so the true class is still the
    # likeliest (20% against 9% for each other one). Unlike labels-scrambled (new random labels each
    # step), the noise is fixed and some signal is left; the validation labels stay true
    "label-noise-80-from-150": dict(
        opt="momentum", lr_scale=0.3, label_noise_from=TROUBLE_AT, label_noise_to=0.8, cause="DATA_ISSUE"
    ),
    # from step 150 on every dropout at 0.9 (the model trained without it before), as a keep probability
    # of 0.1 passed where a drop probability was meant; the validation runs without dropout, as always.
    # No single cause fits: too much regularisation, not too little
    "dropout-0.9-from-150": dict(opt="adam", lr=1e-3, dropout_from=TROUBLE_AT, dropout_to=0.9),
    # at step 150 the weights are those of a model built anew, as a checkpoint restore that loaded
    # nothing; Adam's moments are kept. The loss goes back to where it started; the label follows
    # whether it comes down again
    "weights-reset-at-150": dict(opt="adam", lr=1e-3, reset_at=TROUBLE_AT),
    # from step 150 on the gradients held in float16 under a loss scale of 65536 that doubles every 10
    # steps (a scaler with a short growth interval), unscaled in float32, and the optimizer stepped directly
    # rather than through the scaler, so a step whose gradients overflowed (inf beyond 65504) is taken:
    # the weights turn non-finite at the first overflow. The gradient norm logged is the one the optimizer
    # saw; the trouble starts where it is first inf (see verdict). No single cause fits
    "fp16-grads-from-150": dict(
        opt="momentum", lr_scale=0.5, fp16_from=TROUBLE_AT, fp16_scale=2.0**16, fp16_growth=10
    ),
    # from step 150 on each step applies the gradient of 16 steps before, as asynchronous workers lagging
    # behind a parameter server; with momentum the delayed feedback makes the steps overshoot. The loss
    # and gradient norm logged are the current ones; no single cause fits
    "stale-grads-from-150": dict(opt="momentum", lr_scale=0.5, stale_from=TROUBLE_AT, stale_by=16),
    # Adam's rate set 100x (0.1 for 1e-3) at step 100 and put back at step 120, as a typo in a config
    # reloaded and corrected: a transient that may or may not leave lasting damage; the label follows
    # whether the curve recovered
    "adam-lr-100x-steps-100-to-120": dict(
        opt="adam", lr=1e-3, raise_at=100, raise_by=100, restore_at=120, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # from step 150 on Gaussian noise of standard deviation 1 added to every gradient element, as
    # differentially private noise not divided by the batch size (64x too large); the gradient norm logged
    # is before the noise; no single cause fits
    "grad-noise-from-150": dict(opt="momentum", lr_scale=0.3, grad_noise=(1.0, 0.0), noise_from=TROUBLE_AT),
    # from step 150 on the training images inverted (255 - pixel, normalised as before), as a decoder
    # switched to one with the other convention; regression features negated; the autoencoder's targets
    # with them; the validation inputs stay as they were
    "inputs-inverted-from-150": dict(opt="momentum", lr_scale=0.3, invert_from=TROUBLE_AT, cause="DATA_ISSUE"),
}

BLIND5_PLAN = rotated_plan(BLIND5_HEALTHY, BLIND5_FAILING)

# ---------------------------------------------------------------------------- the sixth blind set
#
# A seventh set, recorded after the fifth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation. Its failures are of a job's configuration and plumbing: a schedule, a restore, a pipeline, a
# loader, a penalty, a training loop, an optimizer swapped.

BLIND6_HEALTHY = {
    # SGD with momentum, the rate falling in a straight line from half a healthy rate to nearly zero at the
    # last step
    "momentum-linear-to-zero": dict(opt="momentum", lr_scale=0.5, schedule="linear-to-zero"),
    # Adam whose first moment averages over about 20 steps rather than 10 (beta1 0.95 for 0.9)
    "adam-beta1-0.95": dict(opt="adam", lr=1e-3, betas=(0.95, 0.999)),
    # RMSprop centred: each step divided by the gradient's running standard deviation rather than its
    # running root mean square, so somewhat larger steps
    "rmsprop-centered": dict(opt="rmsprop", lr=5e-4, centered=True),
    # AdamW with weight decay 0.1 on the weight matrices and kernels only, biases and norms' scales (the
    # tensors of one dimension) left undecayed, as transformers are usually trained
    "adamw-decay-weights-only": dict(opt="adamw", lr=1e-3, weight_decay=0.1, decay_weights_only=True),
    # the output layer trained alone for 100 steps, the rest frozen, then the whole model at the same rate,
    # as a head fitted before the model is fine-tuned; the gradient norm logged is of what trains
    "adam-head-first-100": dict(opt="adam", lr=1e-3, head_only_until=100),
    # batches of 32 doubled every 100 steps (32, 64, 128) at a constant rate: a batch grown in place of a
    # rate decayed (Smith et al.); the loss gets smoother as the batch grows
    "momentum-batch-doubling": dict(opt="momentum", lr_scale=0.5, batch=32, batch_doubling=100),
    # a warm-up in which the rate grows as the square of the step, over 60 steps to 2e-3, then constant
    "adam-quadratic-warmup": dict(opt="adam", lr=2e-3, schedule="quadratic-warmup"),
    # stochastic weight averaging: from step 150 on the weights averaged equally after every step and the
    # average validated in the model's place (its batch-norm statistics recomputed on 16 training batches,
    # as update_bn does); the training loss is the model's own, at a constant rate
    "momentum-swa-from-150": dict(opt="momentum", lr_scale=0.5, swa_from=TROUBLE_AT),
}

BLIND6_FAILING = {
    # a warm-up written without its cap, (t + 1) / 30 where min(1, (t + 1) / 30) was meant: a healthy rate
    # at step 29, and the rate growing on in a straight line to 10x at step 299; judged as a rate that
    # climbs from the first step (see verdict)
    "warmup-uncapped": dict(
        opt="momentum", lr_scale=1.0, schedule="warmup-uncapped", climbs=True, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # at step 150 Adam's second moments zeroed, its first moments and step count kept, as a checkpoint
    # restored with one key of the optimizer's state renamed: the bias correction, computed for step 150,
    # no longer makes up for the empty average and the next steps are several times too large, shrinking
    # as the average fills again; no single cause fits, the fix is the restore
    "adam-second-moments-lost-at-150": dict(opt="adam", lr=1e-3, zero_v_at=TROUBLE_AT),
    # from step 150 on the training inputs unnormalised (pixels 0-255; regression features in raw units, as
    # in no-normalization), as a pipeline rebuilt without its transform; the autoencoder's targets with
    # them; the validation inputs stay normalised
    "normalization-dropped-from-150": dict(opt="momentum", lr_scale=0.3, raw_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # from step 150 on the loader draws only the examples of classes 0-4 (regression: of the targets below
    # their median), as a list of files cut short; the validation set keeps all of them
    "half-the-classes-from-150": dict(opt="adam", lr=1e-3, classes_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # from step 150 on every batch is 64 copies of one example, as a sampler whose index is stuck: the
    # training loss falls on it while the model forgets the rest
    "one-example-from-150": dict(opt="momentum", lr_scale=0.3, one_example_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # a hand-written L2 penalty of 0.01 (on the weight matrices and kernels) subtracted from the loss rather
    # than added: the weights pushed outward at a pace that grows with them; the loss logged is the data
    # term's, as a trainer prints it; judged as a rate that climbs from the first step (see verdict); no
    # single cause fits, the fix is a sign
    "l2-penalty-sign-flipped": dict(opt="momentum", lr_scale=1.0, l2_flipped=0.01, climbs=True),
    # gradients meant to be accumulated over four batches, with the optimizer stepped after every batch and
    # the gradients zeroed only every fourth: each step follows the sum of one to four batches' gradients,
    # at a rate set for one (the recorded gradient norm is the sum's, as the optimizer saw it); judged as a
    # rate that climbs from the first step (see verdict); no single cause fits, the fix is in the loop
    "zero-grad-every-4th-step": dict(opt="momentum", lr_scale=1.0, zero_every=4, climbs=True),
    # at step 150 SGD with momentum replaced by Adam at the same rate (0.02-0.5), as an optimizer switched
    # in a resumed job's config and its rate kept: 20x to 500x Adam's usual 1e-3
    "adam-at-sgd-rate-from-150": dict(
        opt="momentum", lr_scale=1.0, swap_at=TROUBLE_AT, cause="LEARNING_RATE_TOO_HIGH"
    ),
}

BLIND6_PLAN = rotated_plan(BLIND6_HEALTHY, BLIND6_FAILING)

# -------------------------------------------------------------------------- the seventh blind set
#
# An eighth set, recorded after the sixth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation. Its failures are of a job's settings and its data: an optimizer's rate or betas, a schedule
# run past its end, a loss reweighted or rescaled, a decay by hand, a schema, a shard of bad records.

BLIND7_HEALTHY = {
    # Adam with an L2 penalty of 1e-4 added to the gradient (its weight_decay, coupled: scaled by the
    # second moments with the rest, unlike AdamW's)
    "adam-coupled-l2-1e-4": dict(opt="adam", lr=1e-3, weight_decay=1e-4),
    # batches of 128 at twice the rate set for 64 (the linear scaling rule)
    "momentum-batch-128-lr-2x": dict(opt="momentum", lr_scale=1.0, batch=128),
    # the rate cut 10x at steps 100 and 200, as the classic schedule of milestones
    "momentum-milestones-0.1": dict(opt="momentum", lr_scale=0.5, schedule="milestones"),
    # Adam with the gradient's norm clipped at 5, a ceiling hit only by the largest gradients
    "adam-clip-5": dict(opt="adam", lr=1e-3, clip=5.0),
    # averaged SGD at PyTorch's defaults but the rate: SGD steps with a rate decaying as (1 + 1e-4 rate
    # t) ** -0.75 and the weights shrunk by 1e-4 of the rate each step; its average (from step 1e6) unused
    "asgd": dict(opt="asgd", lr_scale=1.0),
    # a cyclic rate between a tenth of a healthy rate and that rate every 100 steps, the cycle's height
    # shrinking 0.5% a step (exp_range): a fifth of it left at the end
    "momentum-cyclic-exp-range": dict(opt="momentum", lr_scale=1.0, schedule="cyclic-exp-range"),
    # cutout: each training image, with probability 0.5, has a 10x10 square at a random place set to 0
    # (the mean pixel); regression: 8 features in a row; the autoencoder's targets stay whole
    "adam-cutout": dict(opt="adam", lr=1e-3, cutout=True),
    # the biases (the tensors of one dimension) at twice the rate of the rest, as Caffe's lr_mult 2; the
    # rate logged is the rest's
    "momentum-bias-lr-2x": dict(opt="momentum", lr_scale=0.5, bias_lr=2),
}

BLIND7_FAILING = {
    # Adagrad at 1.0, 100x the rate it trains at (adagrad): its first step moves every weight by about
    # the rate
    "adagrad-lr-too-high": dict(opt="adagrad", lr=1.0, cause="LEARNING_RATE_TOO_HIGH", onset=1),
    # Adam's betas swapped, (0.999, 0.9) for (0.9, 0.999): a first moment averaged over a thousand steps
    # against a second moment over ten, so steps that overshoot; no single cause fits, the fix is a typo
    "adam-betas-swapped": dict(opt="adam", lr=1e-3, betas=(0.999, 0.9), onset=1),
    # a linear decay written without its floor and for half the run's steps, 1 - t / 150 where max(0,
    # 1 - t / 300) was meant: the rate reaches zero at step 150 and turns negative, -0.5x a healthy rate
    # at the last step, the optimizer climbing the loss ever faster; judged as a rate that climbs from the
    # first step (see verdict); the cause is the rate below zero, the fix the schedule
    "linear-decay-past-its-end": dict(
        opt="momentum", lr_scale=0.5, schedule="linear-past-end", climbs=True, cause="LEARNING_RATE_NEGATIVE"
    ),
    # from step 150 on the loss weighs one class (0; regression: the tenth of the examples with the
    # largest targets; the autoencoder: the images of class 0) 100x, as class weights computed from a
    # sample in which it was rare; the loss logged is the weighted mean, as a trainer prints it; the
    # validation loss is unweighted; no single cause fits, the fix is the loss's weights
    "class-weight-100x-from-150": dict(opt="momentum", lr_scale=0.3, weight_from=TROUBLE_AT, weight_by=100),
    # from step 150 on the model's outputs multiplied by 100 before the loss, as a temperature of 0.01 used
    # as a multiplier where it divides; the validation loss is on the outputs as they are; no single
    # cause fits
    "outputs-times-100-from-150": dict(opt="momentum", lr_scale=0.3, out_scale_from=TROUBLE_AT, out_scale=100),
    # from step 150 on every parameter multiplied by 0.9 after each step, as weight decay applied by hand as
    # p *= 1 - 0.1 with the rate left out (1e-4 meant): Adam's steps, of the size of the rate, cannot make
    # up for it; no single cause fits
    "weights-times-0.9-from-150": dict(opt="adam", lr=1e-3, shrink_weights_from=TROUBLE_AT, shrink_weights_by=0.9),
    # from step 150 on the inputs' columns in another order, one fixed permutation (the images' 28 pixel
    # columns; regression's 32 features), as a table whose schema changed upstream; the autoencoder's
    # targets with them; the validation inputs stay as they were
    "columns-permuted-from-150": dict(opt="momentum", lr_scale=0.3, permute_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # from step 150 on 2% of the training examples (fixed ones) in units 100x their own, as a shard of
    # records from a source that stores them otherwise: about one in each batch; the validation set clean
    "bad-records-from-150": dict(
        opt="momentum", lr_scale=0.3, bad_from=TROUBLE_AT, bad_share=0.02, bad_by=100, cause="DATA_ISSUE"
    ),
}

BLIND7_PLAN = rotated_plan(BLIND7_HEALTHY, BLIND7_FAILING)

# --------------------------------------------------------------------------- the eighth blind set
#
# A ninth set, recorded after the seventh blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation. Its healthy settings are of jobs that look unusual or alarming (optimizers written by hand,
# overflowing steps skipped, a resumed job warming up again, a resolution switched); its failures are of
# a job's loss, optimizer, loop and data: a loss's precision or its reduction, a momentum, a restore, a
# gradient reversed, a pixel type, a shard list.

BLIND8_HEALTHY = {
    # progressive resizing: the images at half resolution (2x2 pixels averaged, then repeated) until step
    # 150 and whole from there, training and validation alike, as a job that trains fast on small images
    # first; the loss may step at the switch. Images only (the rotation gives it no regression)
    "momentum-low-res-until-150": dict(opt="momentum", lr_scale=0.5, low_res_until=TROUBLE_AT),
    # Lion (Chen et al. 2023), written by hand: each weight moved by exactly the rate along the sign of a
    # blend of its gradient and the gradient's running average, at a fifth of Adam's rate as the paper
    # advises
    "lion": dict(opt="lion", lr=2e-4),
    # LAMB (You et al. 2019), written by hand: Adam's step for each tensor rescaled to the rate times the
    # tensor's norm (a trust ratio), so every tensor changes by about 1% a step whatever its size
    "lamb": dict(opt="lamb", lr=1e-2),
    # mixed precision done right: the gradients held in float16 under a dynamic loss scale (65536 at
    # first, doubled after 25 steps without overflow, halved at each overflow), unscaled in float32, and a
    # step whose gradients overflowed skipped, as torch.cuda.amp's GradScaler with a short growth
    # interval; the gradient norm logged is the unscaled one, inf on a skipped step
    "momentum-amp-dynamic-scale": dict(opt="momentum", lr_scale=0.5, amp_scale=2.0**16, amp_growth=25),
    # AdamW with a 30-step warm-up, checkpointed (weights and optimizer) every 25 steps; preempted at step
    # 150 and resumed from the checkpoint of step 125, its scheduler not saved so the warm-up runs again
    # and the loader reshuffled: the weights go back 25 steps and the rate dips to 1/30 and climbs back;
    # the step count logged carries on
    "adamw-resumed-warmup-again": dict(
        opt="adamw", lr=1e-3, schedule="warmup-30", resume_at=TROUBLE_AT, checkpoint_every=25
    ),
    # adaptive gradient clipping (Brock et al. 2021) at 0.02: each unit's gradient (a row of a weight
    # matrix, an output channel of a kernel) cut to 0.02 of the unit's weight norm, so SGD with momentum
    # can run at twice a healthy rate; the gradient norm logged is before the clip
    "momentum-agc-lr-2x": dict(opt="momentum", lr_scale=2.0, agc=0.02),
    # layer-wise rate decay: the output layer at 2e-3, each layer below at 0.7x the rate of the one above
    # (counted by weight matrices and kernels, in the model's order), as fine-tuning recipes do; the rate
    # logged is the output layer's
    "adamw-layer-decay-0.7": dict(opt="adamw", lr=2e-3, layer_decay=0.7),
    # gradient centralization (Yong et al. 2020): each weight matrix's and kernel's gradient has its mean
    # over each unit's inputs taken out before the step; the gradient norm logged is before
    "adam-grad-centralization": dict(opt="adam", lr=1e-3, grad_centralize=True),
}

BLIND8_FAILING = {
    # a cross-entropy written by hand with its softmax's exponentials held in float16, exp(z) / sum exp(z)
    # without subtracting the largest logit first: a logit above 11.09 overflows to inf (and the loss to
    # nan), one below -16.6 underflows to 0 (and the loss to inf if it is the true class's), so the run
    # breaks once the model grows confident; the validation uses the same loss, as a trainer's does;
    # classifiers only (the rotation gives it no other); no single cause fits, the fix is the loss
    "softmax-in-float16": dict(opt="momentum", lr_scale=0.5, softmax_fp16=True, onset=1),
    # SGD with momentum 0.999 (0.99 or 0.9 meant) at a healthy rate: the velocity builds over a thousand
    # steps, so the step it takes grows toward 100x that of momentum 0.9; judged as a rate that climbs
    # from the first step (see verdict); the fix is the optimizer's setting
    "momentum-0.999": dict(
        opt="momentum", momentum=0.999, lr_scale=1.0, climbs=True, onset=1, cause="UNSTABLE_OPTIMIZER"
    ),
    # from step 150 on the training images brightened by 60 (of 255) in uint8 arithmetic, which wraps: a
    # pixel above 195 comes out as 0-59, as an augmentation added to a pipeline that holds raw bytes;
    # normalised as before; the autoencoder's targets with them; the validation images stay as they were.
    # Images only (the rotation gives it no regression)
    "uint8-brightness-wrap-from-150": dict(
        opt="momentum", lr_scale=0.3, wrap_from=TROUBLE_AT, wrap_add=60, cause="DATA_ISSUE"
    ),
    # from step 150 on the gradients of every layer but the output layer reversed, as a gradient reversal
    # layer (for domain-adversarial training) put on the main path rather than on the domain branch: the
    # output layer still descends the loss while the layers below it climb it; no single cause fits, the
    # fix is where the layer sits
    "grad-reversal-below-head-from-150": dict(opt="momentum", lr_scale=0.3, reverse_body_from=TROUBLE_AT),
    # at step 150 the job restored from its checkpoint with the weights only: Adam built anew (its moments
    # and step count lost) at 1e-2, the rate of a config written for a larger batch, 10x the 1e-3 it
    # trained at
    "adam-weights-only-restore-lr-10x-at-150": dict(
        opt="adam", lr=1e-3, refresh_at=TROUBLE_AT, refresh_lr_by=10, cause="LEARNING_RATE_TOO_HIGH"
    ),
    # momentum applied twice: each gradient first summed into a hand-written momentum buffer (g' = 0.9 g' +
    # g, as a training loop ported from code that did its own momentum) and then given to SGD with momentum
    # 0.9 at half a healthy rate, so a steady gradient moves the weights by 100x the rate times it per step
    # rather than 10x, with the lag of two averages; the gradient norm logged is before the buffer; the fix
    # is the optimizer's setting
    "momentum-applied-twice": dict(
        opt="momentum", lr_scale=0.5, grad_ema=0.9, onset=1, cause="UNSTABLE_OPTIMIZER"
    ),
    # the training loss summed over the batch rather than averaged (reduction='sum'; for the autoencoder
    # over every pixel), with plain SGD at the rate of a mean: each step 64x too large (the autoencoder's
    # far more); the loss logged is the sum, as loss.item() gives it; the validation loss is the mean; no
    # single cause fits, the fix is the reduction
    "loss-summed-not-averaged": dict(opt="sgd", lr_scale=1.0, loss_summed=True, onset=1),
    # from step 150 on the loader cycles through the same five batches (320 examples), as a shard list
    # rebuilt with one shard listed over and over: the training loss falls on them while the model forgets
    # the rest; the validation set keeps all of them
    "duplicates-from-150": dict(
        opt="adam", lr=1e-3, duplicates_from=TROUBLE_AT, duplicates_of=5, cause="DATA_ISSUE"
    ),
}

BLIND8_PLAN = rotated_plan(BLIND8_HEALTHY, BLIND8_FAILING)

# ---------------------------------------------------------------------------- the ninth blind set
#
# A tenth set, recorded after the eighth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation. Its healthy settings reshape the loss, the batch or the step (a loss that weighs hard
# examples, half of each batch, images shifted or pasted together, a factored optimizer, a clip that
# follows the norms); its failures are slips in code written by hand (a loss, a clip, an optimizer), in
# a setting, and in the inputs from a step on.

BLIND9_HEALTHY = {
    # focal loss (Lin et al. 2017) with gamma 2: each example's cross-entropy weighted by (1 - p) ** 2, p
    # the probability of its true class, so that the examples already right count little; the validation
    # uses the same loss, as a trainer's does. Classifiers only (the rotation gives it no other)
    "momentum-focal-loss": dict(opt="momentum", lr_scale=0.5, focal=2.0),
    # online hard example mining: the loss backpropagated, and logged, is the mean of the 32 largest of the
    # batch's 64 losses; the validation loss is the mean over every example. Classifiers only
    "adam-hardest-half": dict(opt="adam", lr=1e-3, hardest=0.5),
    # each training image shifted by up to 2 pixels each way (padded with the background, then cropped
    # back to 28x28), as the usual random-crop augmentation; the autoencoder's targets with them; the
    # validation images as they are. Images only
    "momentum-random-shift": dict(opt="momentum", lr_scale=0.5, shift=2),
    # CutMix (Yun et al. 2019): a box of a shuffled copy of the batch pasted into each image, its area a
    # share drawn from U(0, 1), the loss against both targets in the shares of area; the autoencoder
    # reconstructs the pasted images. Images only
    "adamw-cutmix": dict(opt="adamw", lr=1e-3, cutmix=True),
    # Adafactor (Shazeer and Stern 2018), written by hand as transformers' at a fixed rate of 1e-3: no
    # first moment, factored second moments, each update cut to a root mean square of 1
    "adafactor": dict(opt="adafactor", lr=1e-3),
    # the output layer's weights and bias set to zero before the first step, as recipes for transformers and
    # residual networks do: the first loss is exactly that of a constant output (ln 10 for a classifier)
    "nesterov-zero-init-head": dict(opt="nesterov", lr_scale=0.5, zero_head=True),
    # warm-up, stable, decay (as for language models of late): a linear warm-up over 30 steps to 2e-3,
    # the rate constant to step 240, then falling in a straight line over the last 60 steps (1/60 of it at
    # the last one, zero the step after)
    "adam-warmup-stable-decay": dict(opt="adam", lr=2e-3, schedule="warmup-stable-decay"),
    # AutoClip (Seetharaman et al. 2020): the gradient's norm clipped at the 10th percentile of the norms
    # seen so far, at a healthy rate; the gradient norm logged is before the clip
    "momentum-autoclip": dict(opt="momentum", lr_scale=1.0, autoclip=10),
}

BLIND9_FAILING = {
    # log_softmax left out before the negative log likelihood (F.nll_loss on the raw logits): the loss is
    # minus the true class's logit, which has no floor, so the logits are pushed up without bound and the
    # loss falls below zero toward minus infinity; the validation uses the same loss, as a trainer's does.
    # Classifiers only (the rotation gives it no other); no single cause fits, the fix is the loss
    "log-softmax-forgotten": dict(opt="momentum", lr_scale=0.5, nll_on_logits=True, onset=1),
    # gradient clipping at 1.0 written by hand with its ratio upside down: a gradient whose norm is above
    # 1 multiplied by norm / 1 where 1 / norm was meant, so the larger a gradient, the larger it is made
    # (its norm squared); the gradient norm logged is before the clip; judged as a rate that climbs from
    # the first step (see verdict); no single cause fits, the fix is in the loop
    "clip-ratio-inverted": dict(opt="momentum", lr_scale=0.5, clip_inverted=1.0, climbs=True),
    # from step 150 on the training images transposed (rows for columns), as a loader switched to a
    # decoder that stores images the other way round and reshapes where it should permute; the
    # autoencoder's targets with them; the validation images stay as they were. Images only
    "images-transposed-from-150": dict(
        opt="momentum", lr_scale=0.3, transpose_from=TROUBLE_AT, cause="DATA_ISSUE"
    ),
    # from step 150 on adversarial training (FGSM) with its budget in the wrong units: each training
    # image moved along the sign of the loss's gradient with respect to it by 8 (meant 8/255) on the [0, 1]
    # pixel scale, 22.7 in the normalised units, so the images trained on are noise of the gradient's
    # sign; the loss logged is on them; the autoencoder's targets stay clean; the validation images are
    # clean. Images only
    "fgsm-eps-in-pixel-units-from-150": dict(
        opt="momentum", lr_scale=0.3, fgsm_from=TROUBLE_AT, fgsm_eps=8 / 0.353, cause="DATA_ISSUE"
    ),
    # Adam with beta2 0.5 (0.95 or 0.999 meant): a second moment averaged over about two steps against a
    # first over ten, so where the gradients shrink for a step or two the first moment is divided by a
    # small root and the step comes out many times the rate (beta1 ** 2 / sqrt(beta2) is 1.15, above the 1
    # Adam's convergence proof asks for); the fix is the optimizer's setting
    "adam-beta2-0.5": dict(opt="adam", lr=1e-3, betas=(0.9, 0.5), onset=1, cause="UNSTABLE_OPTIMIZER"),
    # Adam written by hand without the square root: the step is m / (v + eps) where m / (sqrt(v) + eps)
    # was meant, about the rate over the gradient rather than the rate, so a gradient of 1e-3 moves its
    # weight by 1; no single cause fits, the fix is the optimizer's code
    "adam-without-sqrt": dict(opt="adam-no-sqrt", lr=1e-3, onset=1),
    # from step 150 on Adam given a weight decay of 1.0 (its coupled L2, added to the gradient), as a
    # resumed job reading a decay meant for AdamW with a large rate: the decay's pull outweighs the loss's
    # gradient and, Adam's step being about the rate whatever the gradient's size, moves every weight
    # toward zero by about 1e-3 a step; unlike weight-decay-0.5-from-150's SGD (blind-4), whose pull is
    # the rate times the weight; no single cause fits
    "adam-coupled-l2-1.0-from-150": dict(opt="adam", lr=1e-3, decay_from=TROUBLE_AT, decay_to=1.0),
    # Adam written by hand with its bias corrections swapped: the first moment divided by 1 - beta2 ** t
    # and the second by 1 - beta1 ** t, so each step is ((1 - beta1 ** t) / (1 - beta2 ** t)) ** 1.5 times
    # Adam's: 1000x at the first step, 34x at step 100, 7.6x at the last; no single cause fits, the fix is
    # the optimizer's code
    "adam-bias-corrections-swapped": dict(opt="adam-corrections-swapped", lr=1e-3, onset=1),
}

BLIND9_PLAN = rotated_plan(BLIND9_HEALTHY, BLIND9_FAILING)

# ---------------------------------------------------------------------------- the tenth blind set
#
# An eleventh set, recorded after the ninth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation. Its healthy settings change what a batch holds, the loss, the initialisation or what trains,
# or nothing the curve can show (activations recomputed); its failures are slips in an optimizer's
# precision, a gradient's normalisation, a schedule's factor, a layer's rate, a loss, a sentinel value,
# and in the loader and the inputs from a step on.

BLIND10_HEALTHY = {
    # class-balanced sampling: each example of a batch drawn by first drawing its class uniformly, then an
    # example of that class, with replacement, as a balanced sampler does. Classifiers only (the rotation
    # gives it no other)
    "momentum-class-balanced-batches": dict(opt="momentum", lr_scale=0.5, balanced=True),
    # a z-loss (as PaLM's): 1e-4 times the square of the logits' log-sum-exp added to the cross-entropy,
    # keeping the logits from drifting; the loss logged, and the validation's, is the sum. Classifiers only
    "adam-z-loss": dict(opt="adam", lr=1e-3, z_loss=1e-4),
    # each training image flipped left to right with probability 0.5; the autoencoder's targets with them;
    # the validation images as they are. Images only
    "momentum-horizontal-flip": dict(opt="momentum", lr_scale=0.5, hflip=True),
    # the inputs standardised per batch: each batch less its own mean, over its own standard deviation (one
    # of each over all its values), the validation set by its own as a whole; the autoencoder's targets
    # with them
    "adam-inputs-standardised-per-batch": dict(opt="adam", lr=1e-3, batch_standardise=True),
    # Adagrad whose sums of squared gradients start at 0.1 rather than 0, at 0.05: small first steps that
    # grow as the gradients' squares are added up to the sum's start and then shrink as Adagrad's do
    "adagrad-initial-accumulator-0.1": dict(opt="adagrad-accumulator", lr=0.05),
    # the input layer (the first weight matrix or kernel, and its bias where it has one) frozen at its
    # initialisation, as a random projection; the gradient norm logged is of what trains
    "momentum-input-layer-frozen": dict(opt="momentum", lr_scale=0.5, freeze_input_layer=True),
    # the forward pass under activation checkpointing (torch.utils.checkpoint, non-reentrant): the
    # activations recomputed in the backward pass rather than kept, the gradients the same; batch norm's
    # running statistics are updated twice a step, in the forward pass and in its recomputation
    "sgd-activation-checkpointing": dict(opt="sgd", lr_scale=1.0, checkpointed=True),
    # every weight matrix and kernel initialised orthogonal (gain 1, a kernel as the matrix of its output
    # channels), biases and norms as PyTorch builds them
    "adam-orthogonal-init": dict(opt="adam", lr=1e-3, orthogonal_init=True),
}

BLIND10_FAILING = {
    # from step 150 on the loader draws only the examples of class 0, as a sampler's list of files cut to
    # the first class; the validation set keeps all of them. Classifiers only
    "one-class-from-150": dict(opt="adam", lr=1e-3, one_class_from=TROUBLE_AT, cause="DATA_ISSUE"),
    # a normalised gradient written by hand with the norm squared: each gradient divided by the square of
    # its norm where its norm was meant, so each step is the rate over the norm, and grows as the
    # gradients shrink with training; the gradient norm logged is before the division; no single cause
    # fits, the fix is in the loop
    "grad-over-norm-squared": dict(opt="momentum", lr_scale=1.0, grad_over_norm_squared=True, onset=1),
    # Adam written by hand with its second moments held in float16, as optimizer state kept in half
    # precision: a squared gradient's share (1 - beta2) g ** 2 below 6e-8 is lost, so the second moments
    # of small gradients stay near zero and their steps come out far larger than the rate; no single
    # cause fits, the fix is the optimizer's precision
    "adam-second-moments-in-float16": dict(opt="adam-v-fp16", lr=1e-3, onset=1),
    # a warm-up factor written upside down, 30 / (t + 1) where (t + 1) / 30 was meant: 30x a healthy rate
    # at the first step, the healthy rate at step 29, a tenth of it at the last
    "warmup-factor-inverted": dict(
        opt="momentum", lr_scale=1.0, schedule="warmup-inverted", cause="LEARNING_RATE_TOO_HIGH", onset=1
    ),
    # the input layer (the first weight matrix or kernel, and its bias where it has one) at 100x the rate
    # of the rest, as a per-layer rate meant for the output layer given to the first; the rate logged is
    # the rest's
    "input-layer-lr-100x": dict(
        opt="momentum", lr_scale=0.3, input_lr=100, cause="LEARNING_RATE_TOO_HIGH", onset=1
    ),
    # the exponential of the loss minimised (a perplexity, exp of the cross-entropy; for a regression exp
    # of the squared error) where the loss was meant: each gradient the loss's gradient times the
    # perplexity, so the higher the loss the larger the step; the loss logged, and the validation's, is the
    # perplexity, as the trainer prints it; no single cause fits, the fix is the loss
    "perplexity-minimised": dict(opt="momentum", lr_scale=0.5, loss_exp=True, onset=1),
    # from step 150 on a fixed mask sets 90% of the inputs' values (the same pixels, or features, in every
    # example) to 0, the mean, as a preprocessing step whose keep rate was read as a drop rate; the
    # autoencoder's targets with them; the validation inputs stay whole
    "mask-90-from-150": dict(opt="momentum", lr_scale=0.3, mask_from=TROUBLE_AT, mask_keep=0.1, cause="DATA_ISSUE"),
    # gradient clipping given max_norm -1, the config's sentinel for no clipping, passed on to
    # clip_grad_norm_: its coefficient, -1 over the norm, is under the cap of 1, so every gradient is
    # reversed and cut to a norm of 1: the optimizer climbs the loss at a fixed pace from the first step;
    # no single cause fits, the fix is the setting
    "clip-max-norm-minus-1": dict(opt="momentum", lr_scale=0.5, clip=-1.0, onset=1),
}

BLIND10_PLAN = rotated_plan(BLIND10_HEALTHY, BLIND10_FAILING)

# -------------------------------------------------------------------------- the eleventh blind set
#
# A twelfth set, recorded after the tenth blind set had been scored and labelled from the curves alone,
# to be scored once: settings none of the earlier sets uses, given to the architectures by the same
# rotation (seven failing settings, so three of them run on four architectures). Its healthy settings
# change the loss, the weights' parametrisation or constraint, or how the step's size is found (a margin
# loss, a consistency term, standardised weights, Adam as BERT had it, a Polyak step, a rate with a
# floor); its failures are slips in code written by hand (a dropout, a clip's place in the loop, a
# learned loss weight), in a pipeline's statistics, transform and augmentation, and in a step size
# left without its cap under momentum.

BLIND11_HEALTHY = {
    # the multi-class hinge loss (F.multi_margin_loss, margin 1) in place of the cross-entropy: each wrong
    # class's logit pushed a margin below the true one's, the loss zero once it is; the validation uses the
    # same loss. Classifiers only (the rotation gives it no other)
    "momentum-multi-margin-loss": dict(opt="momentum", lr_scale=0.5, margin_loss=True),
    # R-Drop (Liang et al. 2021): each batch through the model twice with dropout 0.1, the loss the mean of
    # the two cross-entropies plus the symmetric KL divergence between the two predictions, weighted 1; the
    # loss logged is that sum; the validation loss the plain cross-entropy
    "adam-r-drop": dict(opt="adam", lr=1e-3, dropout=0.1, rdrop=1.0),
    # scaled weight standardisation (Brock et al. 2021): every linear and convolutional layer but the
    # output layer uses its weights standardised over each unit's inputs, to mean 0 and a norm of sqrt(2),
    # through a parametrisation (the raw weights are what trains); the gradient norm logged is the raw ones'
    "momentum-weight-standardisation": dict(opt="momentum", lr_scale=0.5, weight_std=True),
    # Adam without its bias corrections, as BERT's original optimizer (BertAdam, eps 1e-6): moments started
    # at zero and used as they are, so the early steps come out up to 6.5x the rate (near step 10); with
    # the 30-step warm-up BERT was trained with, which holds them down
    "adam-no-bias-correction-warmup": dict(opt="adam-uncorrected", lr=1e-3, schedule="warmup-30"),
    # the Polyak step size capped (SPS_max, Loizou et al. 2021): plain SGD whose rate each step is the
    # minibatch loss over 0.5 times its gradient's squared norm, at most 3x a healthy rate; the cap binds
    # on nearly every step, so it is in effect plain SGD at 3x the rate, the rate logged (the one used)
    # dipping below it on the few steps where the Polyak step is the smaller
    "sgd-polyak-step-size": dict(opt="sgd", lr_scale=3.0, polyak=0.5),
    # AdamW with a cosine decay over the whole run to a floor of a tenth of its rate (eta_min), not to zero
    "adamw-cosine-floor-0.1": dict(opt="adamw", lr=2e-3, schedule="cosine-floor"),
    # an L1 penalty of 1e-4 on the weight matrices and kernels added to the loss, pulling the weights that
    # the data does not need to zero; the loss logged is the whole objective, the validation's the data term
    "adam-l1-penalty-1e-4": dict(opt="adam", lr=1e-3, l1=1e-4),
    # a max-norm constraint (Srivastava et al. 2014): after each step every unit's incoming weights (a row of
    # a linear layer, an output channel of a kernel) scaled back to a norm of at most 1, at a healthy rate
    "momentum-max-norm-1": dict(opt="momentum", lr_scale=1.0, max_norm=1.0),
}

BLIND11_FAILING = {
    # dropout written by hand with its scale upside down: the kept activations multiplied by 1 / p where
    # 1 / (1 - p) was meant, at p 0.1, so 9x too large in training and as they should be in evaluation;
    # every nn.Dropout of the model replaced by it (attention's own dropout left as it is); no single cause
    # fits, the fix is the layer's code
    "dropout-scaled-by-1-over-p": dict(opt="momentum", lr_scale=0.5, dropout=0.1, dropout_over_p=True, onset=1),
    # clip_grad_norm_ at 0.5 called before loss.backward() rather than after, as a loop rearranged: the
    # gradients were just zeroed (set to None), so it clips nothing, and the rate of 5x a healthy one, set
    # for clipped steps, runs unclipped
    "clip-before-backward-lr-5x": dict(
        opt="momentum", lr_scale=5.0, clip_before_backward=0.5, cause="LEARNING_RATE_TOO_HIGH", onset=1
    ),
    # the normalisation applied in place, to the tensors the dataset keeps, as a transform that writes into
    # its input: each example comes out right the first time it is drawn and normalised again each time
    # after (images: (x - 0.286) / 0.353 once more, so 2.8x larger and shifted; regression: its features,
    # kept in their raw units, standardised again by their raw scales, so shrunk to near constants). On a
    # training set of 4000 examples, its second pass starting at step 62, the fifth at step 248; the
    # autoencoder's targets with them; the validation set is normalised once
    "normalised-in-place-each-epoch": dict(
        opt="momentum", lr_scale=0.3, train_subset=4000, normalise_in_place=True, onset=62, cause="DATA_ISSUE"
    ),
    # a loss weighted by a learned log-variance s (as uncertainty weighting, Kendall et al.), exp(-s) times
    # the loss plus s, written with s subtracted: the objective falls without end as s grows, and the data
    # term's weight exp(-s) falls to nothing with it; s starts at 0 and trains with the rest; the loss
    # logged, and the validation's, is the whole objective, as the trainer prints it; no single cause fits,
    # the fix is a sign
    "learned-log-variance-subtracted": dict(opt="momentum", lr_scale=0.5, log_variance_flipped=True, onset=1),
    # the images standardised per pixel with the mean and standard deviation of a sample of 1024 training
    # images, (x - mean) / (std + 1e-8), as a pipeline's statistics computed on a sample: a pixel blank (or
    # nearly) in every image of the sample has a deviation of about zero, so the images that have ink there
    # come out with values of 100 to 1e8; the validation images through the same statistics; the
    # autoencoder's targets with them. Images only (the rotation gives it no regression)
    "per-pixel-stats-of-1024-images": dict(
        opt="momentum", lr_scale=0.5, sample_stats=1024, cause="DATA_ISSUE", onset=1
    ),
    # from step 150 on random erasing (as torchvision's RandomErasing, p 0.5, 2-33% of the image, aspect
    # 0.3-3.3) placed after the normalisation with its fill given in pixel units, 255 where 0 was meant: half
    # the images carry a box of values 255 against a range of -0.8 to 2; the autoencoder's targets with them;
    # the validation images as they were. Images only
    "random-erasing-fill-255-from-150": dict(
        opt="momentum", lr_scale=0.3, erase_from=TROUBLE_AT, erase_fill=255.0, cause="DATA_ISSUE"
    ),
    # the Polyak step size (c 0.5), uncapped, set each step as the rate of SGD with momentum 0.9 rather than
    # of plain SGD: the step it computes is one that would take a linear model's loss past zero, and the
    # momentum makes it about 10x that; the rate logged is the one set, moving from step to step, and at
    # the first steps already 6x to 6000x a healthy rate
    "polyak-step-with-momentum": dict(
        opt="momentum", polyak=0.5, polyak_uncapped=True, cause="LEARNING_RATE_TOO_HIGH", onset=1
    ),
}

BLIND11_PLAN = rotated_plan(BLIND11_HEALTHY, BLIND11_FAILING)

SETS = {
    "first": dict(plan=PLAN, out=OUT),
    "blind": dict(plan=BLIND_PLAN, out=os.path.join(RESOURCES, "pytorch-blind")),
    "blind-2": dict(plan=BLIND2_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-2")),
    "blind-3": dict(plan=BLIND3_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-3")),
    "blind-4": dict(plan=BLIND4_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-4")),
    "blind-5": dict(plan=BLIND5_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-5")),
    "blind-6": dict(plan=BLIND6_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-6")),
    "blind-7": dict(plan=BLIND7_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-7")),
    "blind-8": dict(plan=BLIND8_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-8")),
    "blind-9": dict(plan=BLIND9_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-9")),
    "blind-10": dict(plan=BLIND10_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-10")),
    "blind-11": dict(plan=BLIND11_PLAN, out=os.path.join(RESOURCES, "pytorch-blind-11")),
}


def run_names(plan=None):
    plan = PLAN if plan is None else plan
    return [f"{arch}-{setting}" for arch, settings in plan.items() for setting in settings]


def seed_of(name):
    """A run's seed: a hash of its name, so that adding a run changes no other run."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def setting_of(name):
    for arch in sorted(ARCHS, key=len, reverse=True):
        if name.startswith(arch + "-"):
            setting = name[len(arch) + 1 :]
            failing = {
                **FAILING, **BLIND_FAILING, **BLIND2_FAILING, **BLIND3_FAILING, **BLIND4_FAILING, **BLIND5_FAILING,
                **BLIND6_FAILING, **BLIND7_FAILING, **BLIND8_FAILING, **BLIND9_FAILING,
                **BLIND10_FAILING, **BLIND11_FAILING,
            }
            healthy = {
                **HEALTHY, **BLIND_HEALTHY, **BLIND2_HEALTHY, **BLIND3_HEALTHY, **BLIND4_HEALTHY, **BLIND5_HEALTHY,
                **BLIND6_HEALTHY, **BLIND7_HEALTHY, **BLIND8_HEALTHY, **BLIND9_HEALTHY,
                **BLIND10_HEALTHY, **BLIND11_HEALTHY,
            }
            every = {**healthy, **failing}
            return arch, setting, every[setting], setting in failing
    raise KeyError(name)


class _WrittenOut(torch.optim.Optimizer):
    """An optimizer written out by hand: each step visits every parameter that has a gradient, with its
    group and its state, in :meth:`update`."""

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self.update(p, group, self.state[p])

    def update(self, p, group, st):
        raise NotImplementedError


def _adam_first_moment(st, p, b1, v_dtype=None):
    """Adam's step count and first moment brought up to this step, its second moment created (zero, in
    ``v_dtype`` if given) on the first; the second moment is the caller's to update."""
    if not st:
        st["t"], st["m"], st["v"] = 0, torch.zeros_like(p), torch.zeros_like(p, dtype=v_dtype)
    st["t"] += 1
    st["m"].mul_(b1).add_(p.grad, alpha=1 - b1)


def _adam_moments(st, p, b1, b2):
    """Adam's step count and both moments brought up to this step, the second in the gradient's dtype."""
    _adam_first_moment(st, p, b1)
    st["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)


class Lion(_WrittenOut):
    """Lion (Chen et al. 2023): each weight moved by the rate along the sign of beta1 of its gradient's
    running average and 1 - beta1 of its gradient; the average kept with beta2."""

    def __init__(self, params, lr, betas=(0.9, 0.99)):
        super().__init__(params, dict(lr=lr, betas=betas))

    def update(self, p, group, st):
        b1, b2 = group["betas"]
        m = st.setdefault("exp_avg", torch.zeros_like(p))
        p.add_(torch.sign(b1 * m + (1 - b1) * p.grad), alpha=-group["lr"])
        m.mul_(b2).add_(p.grad, alpha=1 - b2)


class Lamb(_WrittenOut):
    """LAMB (You et al. 2019), without weight decay: Adam's bias-corrected step for each tensor, scaled by
    the trust ratio |w| / |step| (1 where either is zero), so that the tensor moves by the rate times |w|."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-6):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def update(self, p, group, st):
        b1, b2 = group["betas"]
        _adam_moments(st, p, b1, b2)
        u = (st["m"] / (1 - b1 ** st["t"])) / ((st["v"] / (1 - b2 ** st["t"])).sqrt() + group["eps"])
        w_norm, u_norm = p.norm().item(), u.norm().item()
        trust = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        p.add_(u, alpha=-group["lr"] * trust)


class Adafactor(_WrittenOut):
    """Adafactor (Shazeer and Stern 2018) at a fixed rate, as transformers' Adafactor(lr, relative_step=False,
    scale_parameter=False, warmup_init=False): no first moment; the second moment of a tensor of two or
    more dimensions kept factored, as running means of the squared gradient over its last dimension and
    over the one before, the decay 1 - t ** -0.8; each update the gradient over the moment's root, cut to
    a root mean square of at most 1."""

    def __init__(self, params, lr, eps=1e-30, clip=1.0, decay=-0.8):
        super().__init__(params, dict(lr=lr, eps=eps, clip=clip, decay=decay))

    def update(self, p, group, st):
        st["t"] = st.get("t", 0) + 1
        beta2 = 1 - st["t"] ** group["decay"]
        sq = p.grad**2 + group["eps"]
        if p.dim() >= 2:
            if "row" not in st:
                st["row"] = torch.zeros(p.shape[:-1])
                st["col"] = torch.zeros(p.shape[:-2] + p.shape[-1:])
            st["row"].mul_(beta2).add_(sq.mean(dim=-1), alpha=1 - beta2)
            st["col"].mul_(beta2).add_(sq.mean(dim=-2), alpha=1 - beta2)
            # the moment's inverse root, from its row and column factors' roots as transformers' does
            row = (st["row"] / st["row"].mean(dim=-1, keepdim=True)).rsqrt()
            inv_root = row.unsqueeze(-1) * st["col"].rsqrt().unsqueeze(-2)
        else:
            v = st.setdefault("v", torch.zeros_like(p)).mul_(beta2).add_(sq, alpha=1 - beta2)
            inv_root = v.rsqrt()
        u = p.grad * inv_root
        u.div_((u.pow(2).mean().sqrt() / group["clip"]).clamp_min(1.0))
        p.add_(u, alpha=-group["lr"])


class BrokenAdam(_WrittenOut):
    """Adam written by hand with a slip: "no-sqrt", the bias-corrected first moment divided by the
    bias-corrected second moment itself, m / (v + eps) where m / (sqrt(v) + eps) was meant;
    "corrections-swapped", the first moment corrected by 1 - beta2 ** t and the second by 1 - beta1 ** t;
    "v-fp16", the second moment held in float16 (a share below 6e-8 lost, the sum rounded to 11 bits)."""

    def __init__(self, params, lr, slip, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
        self.slip = slip

    def update(self, p, group, st):
        b1, b2 = group["betas"]
        if self.slip == "v-fp16":
            _adam_first_moment(st, p, b1, torch.float16)
            # the new share rounded to float16 before it is added, the sum held in float16
            st["v"].mul_(b2).add_((p.grad * p.grad * (1 - b2)).half())
            v = st["v"].float() / (1 - b2 ** st["t"])
            u = (st["m"] / (1 - b1 ** st["t"])) / (v.sqrt() + group["eps"])
        else:
            _adam_moments(st, p, b1, b2)
            if self.slip == "no-sqrt":
                u = (st["m"] / (1 - b1 ** st["t"])) / (st["v"] / (1 - b2 ** st["t"]) + group["eps"])
            else:
                u = (st["m"] / (1 - b2 ** st["t"])) / ((st["v"] / (1 - b1 ** st["t"])).sqrt() + group["eps"])
        p.add_(u, alpha=-group["lr"])


class AdamUncorrected(_WrittenOut):
    """Adam without its bias corrections, as BERT's original optimizer (BertAdam, without its weight decay):
    the step m / (sqrt(v) + eps) with both moments started at zero and used as they are."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-6):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def update(self, p, group, st):
        b1, b2 = group["betas"]
        _adam_moments(st, p, b1, b2)
        p.addcdiv_(st["m"], st["v"].sqrt().add_(group["eps"]), value=-group["lr"])


def make_optimizer(
    kind, params, lr, weight_decay=None, momentum=None, betas=None, eps=None, amsgrad=False, step_max=None,
    centered=False,
):
    """weight_decay: AdamW's (default 0.05), SGD with momentum's or Adam's (default none); momentum: SGD's with
    momentum (default 0.9) or RMSprop's (default none); betas, eps, amsgrad: Adam's (default PyTorch's);
    step_max: Rprop's largest step (default PyTorch's, 50); centered: RMSprop's (default not)."""
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(
            params, lr=lr, momentum=0.9 if momentum is None else momentum, weight_decay=weight_decay or 0
        )
    if kind == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if kind == "adam":
        extra = {k: v for k, v in (("betas", betas), ("eps", eps), ("weight_decay", weight_decay)) if v is not None}
        return torch.optim.Adam(params, lr=lr, amsgrad=amsgrad, **extra)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.05 if weight_decay is None else weight_decay)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum or 0, centered=centered)
    if kind == "nadam":
        return torch.optim.NAdam(params, lr=lr)
    if kind == "radam":
        return torch.optim.RAdam(params, lr=lr)
    if kind == "adamax":
        return torch.optim.Adamax(params, lr=lr)
    if kind == "adadelta":
        return torch.optim.Adadelta(params, lr=lr)
    if kind == "rprop":
        return torch.optim.Rprop(params, lr=lr, step_sizes=(1e-6, 50 if step_max is None else step_max))
    if kind == "asgd":
        return torch.optim.ASGD(params, lr=lr)
    if kind == "lion":
        return Lion(params, lr=lr)
    if kind == "lamb":
        return Lamb(params, lr=lr)
    if kind == "adafactor":
        return Adafactor(params, lr=lr)
    if kind == "adam-no-sqrt":
        return BrokenAdam(params, lr=lr, slip="no-sqrt")
    if kind == "adam-corrections-swapped":
        return BrokenAdam(params, lr=lr, slip="corrections-swapped")
    if kind == "adam-v-fp16":
        return BrokenAdam(params, lr=lr, slip="v-fp16")
    if kind == "adagrad-accumulator":
        return torch.optim.Adagrad(params, lr=lr, initial_accumulator_value=0.1)
    if kind == "adam-uncorrected":
        return AdamUncorrected(params, lr=lr)
    raise ValueError(kind)


def make_schedule(kind, opt, lr, steps, cycle_low=0.1, peak=3):
    """cycle_low: the cyclic rate's lowest point, as a fraction of its top (lr); peak: the one-cycle
    rate's top, as a multiple of lr."""
    if kind is None:
        return None
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.3)
    if kind == "warmup":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 50))
    if kind == "warmup-cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: (t + 1) / 50 if t < 50 else 0.5 * (1 + math.cos(math.pi * (t - 50) / (steps - 50)))
        )
    if kind == "restarts":
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=50, T_mult=2)
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    if kind == "warmup-linear":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: (t + 1) / 30 if t < 30 else max(0.0, (steps - t) / (steps - 30))
        )
    if kind == "short-restarts":
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=30, T_mult=1)
    if kind == "long-warmup":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 100))
    if kind == "cyclic":
        # triangular: from cycle_low * lr up to lr in 50 steps and down again in 50
        return torch.optim.lr_scheduler.CyclicLR(
            opt, base_lr=cycle_low * lr, max_lr=lr, step_size_up=50, mode="triangular", cycle_momentum=False
        )
    if kind == "exp":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99)
    if kind == "poly":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (1 - t / steps) ** 2)
    if kind == "halving":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=75, gamma=0.5)
    if kind == "warmup-30-cosine":
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: (t + 1) / 30 if t < 30 else 0.5 * (1 + math.cos(math.pi * (t - 30) / (steps - 30)))
        )
    if kind == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=peak * lr, total_steps=steps, cycle_momentum=False)
    if kind == "plateau":
        # stepped every PLATEAU_EVERY steps with the mean training loss of those steps (see train)
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
    if kind == "warmup-inverse-sqrt":
        # a linear warm-up over 20 steps, then the rate falling as 1 / sqrt(step), as for transformers
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / 20 if t < 20 else math.sqrt(20 / (t + 1)))
    if kind == "linear-to-zero":
        # the rate falling in a straight line to zero at the last step
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / steps)
    if kind == "quadratic-warmup":
        # the rate growing as the square of the step over 60 steps, then constant
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, ((t + 1) / 60) ** 2))
    if kind == "warmup-uncapped":
        # a 30-step linear warm-up without its cap: the rate grows on past lr for the whole run
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: (t + 1) / 30)
    if kind == "milestones":
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[100, 200], gamma=0.1)
    if kind == "cyclic-exp-range":
        # as cyclic, the cycle's height (lr minus its lowest point) shrinking by 0.5% a step
        return torch.optim.lr_scheduler.CyclicLR(
            opt, base_lr=0.1 * lr, max_lr=lr, step_size_up=50, mode="exp_range", gamma=0.995, cycle_momentum=False
        )
    if kind == "warmup-30":
        # a linear warm-up over 30 steps, then constant
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 30))
    if kind == "warmup-stable-decay":
        # warm-up, stable, decay: a linear warm-up over 30 steps, the rate constant to 80% of the run, then a
        # straight line to zero at its end (the step after the last)
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: min((t + 1) / 30, 1.0, (steps - t) / (0.2 * steps))
        )
    if kind == "warmup-inverted":
        # a 30-step warm-up's factor upside down and without its cap: 30 / (t + 1) for (t + 1) / 30
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 30 / (t + 1))
    if kind == "linear-past-end":
        # a linear decay to zero at half the run's steps, without a floor: negative from there on
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 - t / (steps / 2))
    if kind == "cosine-floor":
        # a cosine decay over the run to a tenth of the rate rather than to zero
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=0.1 * lr)
    raise ValueError(kind)


# ----------------------------------------------------------------------------------- one run


def train(name, images):
    arch, setting, s, _ = setting_of(name)
    a = ARCHS[arch]
    seed = seed_of(name)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    steps = s.get("steps", STEPS)
    task = a["task"]

    if task == "regress":
        x, y, vx, vy = regression_data(seed)
        if s.get("raw_inputs"):
            x, vx = raw_units(x), raw_units(vx)
    else:
        raw, labels, vraw, vlabels = images
        if s.get("raw_inputs"):
            x, vx = raw, vraw  # pixels 0-255, as fed by a pipeline that forgot to normalize
        elif s.get("sample_stats"):
            # each pixel standardised by its mean and standard deviation over a sample of the training images
            # (drawn apart from the loader's order), 1e-8 added to the deviation
            drawn = torch.randperm(len(raw), generator=torch.Generator().manual_seed(seed + 1))
            sample = raw[drawn[: s["sample_stats"]]]
            mean, std = (sample / 255).mean(dim=0), (sample / 255).std(dim=0)
            x, vx = (raw / 255 - mean) / (std + 1e-8), (vraw / 255 - mean) / (std + 1e-8)
        else:
            x, vx = (raw / 255 - 0.286) / 0.353, (vraw / 255 - 0.286) / 0.353
        y, vy = (x, vx) if task == "reconstruct" else (labels.clone(), vlabels)
    if s.get("train_subset"):
        x, y = x[: s["train_subset"]], y[: s["train_subset"]]
    if s.get("label_noise"):
        noisy = torch.rand(len(y), generator=g) < s["label_noise"]
        if task == "classify":
            y = torch.where(noisy, torch.randint(0, 10, (len(y),), generator=g), y)
        else:
            y = y + noisy.float().view(-1, *[1] * (y.dim() - 1)) * torch.randn(y.shape, generator=g)
    if s.get("normalise_in_place"):
        # the dataset's own tensors, unnormalised (images in [0, 1]; regression features in their raw units),
        # and the normalisation's statistics (regression: each raw feature's mean and deviation)
        if task == "regress":
            stored = raw_units(x)
            norm_mean, norm_std = stored.mean(dim=0), stored.std(dim=0)
            vx = (raw_units(vx) - norm_mean) / norm_std
        else:
            stored, norm_mean, norm_std = x * 0.353 + 0.286, 0.286, 0.353
    if s.get("label_noise_from") is not None:
        # the targets of a second file, a share of them wrong and each example's wrong for good: a class
        # other than its own (drawn apart from the loader's order, which stays a plain run's)
        ng = torch.Generator().manual_seed(seed + 1)
        noisy = torch.rand(len(y), generator=ng) < s["label_noise_to"]
        if task == "classify":
            y_noisy = torch.where(noisy, (y + torch.randint(1, 10, (len(y),), generator=ng)) % 10, y)
        else:
            y_noisy = y + noisy.float().view(-1, *[1] * (y.dim() - 1)) * torch.randn(y.shape, generator=ng)

    if s.get("batch_standardise"):
        # the validation set standardised by its own mean and standard deviation, as a whole
        vx = (vx - vx.mean()) / vx.std()
        if task == "reconstruct":
            vy = vx
    model = a["make"](s.get("dropout", 0.0), s.get("big", False))
    if s.get("dropout_over_p"):
        # every nn.Dropout replaced by the hand-written one with its scale upside down
        for parent in list(model.modules()):
            for child_name, child in list(parent.named_children()):
                if isinstance(child, nn.Dropout):
                    setattr(parent, child_name, DropoutOverP(child.p))
    if s.get("weight_std"):
        # every linear and convolutional layer but the output layer (the last linear one) standardised
        layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
        for m in layers[:-1]:
            torch.nn.utils.parametrize.register_parametrization(m, "weight", ScaledStandardised())
    if s.get("orthogonal_init"):
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() > 1:
                    nn.init.orthogonal_(p)  # weight matrices and kernels, not biases or norms' scales
    if s.get("init_scale"):
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() > 1:
                    p.mul_(s["init_scale"])  # weight matrices and kernels, not biases or norms' scales
    lr = s["lr"] if "lr" in s else a["sgd_lr"] * s.get("lr_scale", 1.0)
    groups = model.parameters()
    head = list([m for m in model.modules() if isinstance(m, nn.Linear)][-1].parameters())  # the output layer's
    if s.get("zero_head"):
        with torch.no_grad():
            for p in head:
                p.zero_()  # the output layer's weights and bias start at zero
    if s.get("head_lr"):
        # the last linear layer (the output layer) in a group of its own, at head_lr times the rate
        rest = [p for p in model.parameters() if all(p is not h for h in head)]
        groups = [{"params": rest}, {"params": head, "lr": lr * s["head_lr"]}]
    if s.get("decay_weights_only"):
        # weight decay on the weight matrices and kernels, none on the tensors of one dimension (biases, norms)
        groups = [
            {"params": [p for p in model.parameters() if p.dim() > 1]},
            {"params": [p for p in model.parameters() if p.dim() <= 1], "weight_decay": 0.0},
        ]
    if s.get("bias_lr"):
        # the tensors of one dimension (biases, norms' scales) at bias_lr times the rate
        groups = [
            {"params": [p for p in model.parameters() if p.dim() > 1]},
            {"params": [p for p in model.parameters() if p.dim() <= 1], "lr": lr * s["bias_lr"]},
        ]
    if s.get("layer_decay"):
        # each tensor in a group of its own, the rate layer_decay ** d of the output layer's for a tensor d
        # weight matrices or kernels below it (a tensor of one dimension goes with the matrix before it);
        # the output layer's group first, so that its rate is the one logged
        depth, layer_of = -1, []
        for p in model.parameters():
            depth += p.dim() > 1
            layer_of.append(max(depth, 0))
        groups = [
            {"params": [p], "lr": lr * s["layer_decay"] ** (depth - layer)}
            for p, layer in zip(model.parameters(), layer_of)
        ][::-1]
    # the input layer: the first weight matrix or kernel, and the tensor of one dimension after it (its bias)
    first = list(model.parameters())[:2]
    first = first if first[1].dim() == 1 else first[:1]
    if s.get("freeze_input_layer"):
        for p in first:
            p.requires_grad_(False)  # frozen at its initialisation
    if s.get("input_lr"):
        # the input layer in a group of its own at input_lr times the rate, after the rest's (the one logged)
        rest = [p for p in model.parameters() if all(p is not f for f in first)]
        groups = [{"params": rest}, {"params": first, "lr": lr * s["input_lr"]}]
    if s.get("head_only_until"):
        # the output layer (the last linear one) alone trains until head_only_until; the rest is frozen
        for p in model.parameters():
            p.requires_grad_(any(p is h for h in head))
    opt = make_optimizer(
        s["opt"], groups, lr, s.get("weight_decay"), s.get("momentum"), s.get("betas"), s.get("eps"),
        s.get("amsgrad", False), s.get("step_max"), s.get("centered", False),
    )
    sched = make_schedule(s.get("schedule"), opt, lr, steps, s.get("cycle_low", 0.1), s.get("peak", 3))
    loss_fn = F.cross_entropy if task == "classify" else F.mse_loss
    if task == "classify" and s.get("label_smoothing"):
        loss_fn = lambda out, target: F.cross_entropy(out, target, label_smoothing=s["label_smoothing"])
    if task == "classify" and s.get("z_loss"):

        def loss_fn(out, target):
            # a z-loss: z_loss times the mean square of the logits' log-sum-exp, added to the cross-entropy
            return F.cross_entropy(out, target) + s["z_loss"] * (torch.logsumexp(out, dim=1) ** 2).mean()

    if s.get("loss_exp"):
        plain = loss_fn
        loss_fn = lambda out, target: torch.exp(plain(out, target))  # the perplexity, not its log
    if task == "classify" and s.get("margin_loss"):
        loss_fn = lambda out, target: F.multi_margin_loss(out, target)  # the multi-class hinge loss
    val_fn = loss_fn  # the validation's loss: the training's, but for a training loss summed
    if s.get("loss_summed"):
        summed = F.cross_entropy if task == "classify" else F.mse_loss
        loss_fn = lambda out, target: summed(out, target, reduction="sum")  # over the batch (and pixels)
    if task == "classify" and s.get("softmax_fp16"):

        def loss_fn(out, target):
            # the exponentials in float16 (inf above 65504, 0 below 6e-8), the largest logit not subtracted
            e = torch.exp(out).half().float()
            return -torch.log((e / e.sum(dim=1, keepdim=True)).gather(1, target.view(-1, 1))).mean()

        val_fn = loss_fn
    if task == "classify" and s.get("focal"):

        def loss_fn(out, target):
            # focal loss: each example's cross-entropy weighted by (1 - p) ** focal, p its true class's probability
            each = F.cross_entropy(out, target, reduction="none")
            return ((1 - torch.exp(-each)) ** s["focal"] * each).mean()

        val_fn = loss_fn
    if task == "classify" and s.get("nll_on_logits"):
        # the negative log likelihood of the raw logits, log_softmax left out: -logit of the true class
        loss_fn = lambda out, target: F.nll_loss(out, target)
        val_fn = loss_fn
    batch = s.get("batch", BATCH)
    params = [p for p in model.parameters()]
    if s.get("log_variance_flipped"):
        # the learned log-variance, trained with the model; the loss weighted by it with its own term's sign
        # flipped (exp(-s) * loss - s where exp(-s) * loss + s was meant), the validation's with it
        log_var = nn.Parameter(torch.zeros(()))
        params.append(log_var)
        opt.add_param_group({"params": [log_var]})
        weighted = loss_fn
        loss_fn = lambda out, target: torch.exp(-log_var) * weighted(out, target) - log_var
        val_fn = loss_fn
    micro = s.get("accumulate", 1)  # batches per step, their gradients accumulated
    mix = np.random.default_rng(seed) if s.get("mixup") else None
    if s.get("sorted_from") is not None:
        # the order of a file sorted by class (regression: by target), ties in the file's order
        key = (y if task == "regress" else labels).view(len(x), -1)[:, 0].numpy()
        by_class = torch.from_numpy(np.argsort(key, kind="stable"))
    if s.get("classes_from") is not None:
        # the examples of classes 0-4 (regression: of the targets below their median)
        key = (y if task == "regress" else labels).view(len(x), -1)[:, 0]
        half = torch.nonzero(key < (key.median() if task == "regress" else 5)).view(-1)
    if s.get("one_class_from") is not None:
        half = torch.nonzero(labels[: len(x)] == 0).view(-1)  # the examples of class 0 alone
    restrict_from = s.get("classes_from", s.get("one_class_from"))  # from this step on, only those examples
    if s.get("balanced"):
        of_class = [torch.nonzero(labels[: len(x)] == c).view(-1) for c in range(10)]
    if s.get("mask_from") is not None:
        # the fixed values kept (drawn apart from the loader's order); the rest set to 0
        keep = (torch.rand(x.shape[1:], generator=torch.Generator().manual_seed(seed + 1)) < s["mask_keep"]).float()
    # stochastic weight averaging's equal average of the weights, validated in the model's place
    swa = torch.optim.swa_utils.AveragedModel(model) if s.get("swa_from") is not None else None
    plateau = []  # the training losses since the plateau scheduler was last stepped
    ema = copy.deepcopy(model) if s.get("ema") else None  # the averaged weights, validated in the model's place
    slow = [p.detach().clone() for p in params] if s.get("lookahead") else None  # Lookahead's slow weights
    history = []  # the gradients of the last steps, for stale ones
    noise_g = torch.Generator().manual_seed(seed + 1) if s.get("grad_noise") else None
    if s.get("weight_from") is not None:
        # the examples the loss weighs more: class 0 (the autoencoder: its images of class 0; regression:
        # the tenth of the examples with the largest targets)
        heavy = y.view(len(x), -1)[:, 0] > y.quantile(0.9) if task == "regress" else labels[: len(x)] == 0
    if s.get("permute_from") is not None:
        # one fixed order of the inputs' columns (drawn apart from the loader's order)
        columns = torch.randperm(x.shape[-1], generator=torch.Generator().manual_seed(seed + 1))
    if s.get("bad_from") is not None:
        # the fixed examples stored in other units (drawn apart from the loader's order)
        bad = torch.rand(len(x), generator=torch.Generator().manual_seed(seed + 1)) < s["bad_share"]
    if s.get("low_res_until") is not None:
        # half resolution: each 2x2 square of pixels averaged and repeated
        low_res = lambda images: F.interpolate(F.avg_pool2d(images, 2), scale_factor=2, mode="nearest")
    amp_scale, amp_good = s.get("amp_scale"), 0  # the dynamic loss scale and the steps since it last moved
    checkpoint = None  # the last saved (weights, optimizer state), for a resumed job
    buffers = {}  # a hand-written momentum's buffers, by parameter
    norms_seen = []  # the gradient norms so far, for AutoClip

    rows = []
    non_finite = 0
    order = torch.randperm(len(x), generator=g)
    pos = 0
    start = time.process_time()
    for step in range(steps):
        if s.get("resume_at") == step:
            # preempted before this step's checkpoint: the job restarts from the last one saved, weights and
            # optimizer state, with its scheduler built anew (the warm-up runs again) and a new shuffle
            model.load_state_dict(checkpoint[0])
            opt.load_state_dict(checkpoint[1])
            sched = make_schedule(s.get("schedule"), opt, lr, steps)
            pos = len(order)  # the loader shuffles anew
        elif s.get("checkpoint_every") and step % s["checkpoint_every"] == 0:
            checkpoint = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
        if s.get("shrink_from") is not None and step >= s["shrink_from"]:
            batch = s["shrink_to"]  # the loader's batch size overridden, the rate kept
        if s.get("batch_doubling"):
            batch = s["batch"] * 2 ** (step // s["batch_doubling"])  # the batch doubled every so many steps
        if s.get("sorted_from") == step:
            order, pos = by_class, 0
        if restrict_from == step:
            order, pos = half[torch.randperm(len(half), generator=g)], 0  # half the classes (or one), shuffled
        if pos + micro * batch > len(order):
            if s.get("sorted_from") is not None and step >= s["sorted_from"]:
                order, pos = by_class, 0  # the sorted file read again from its start
            elif restrict_from is not None and step >= restrict_from:
                order, pos = half[torch.randperm(len(half), generator=g)], 0
            else:
                order, pos = torch.randperm(len(x), generator=g), 0
        idx = order[pos : pos + micro * batch]
        pos += micro * batch
        if s.get("balanced"):
            # each place a class drawn uniformly, then an example of it, with replacement
            classes = torch.randint(0, 10, (len(idx),), generator=g).tolist()
            idx = torch.stack([of_class[c][torch.randint(0, len(of_class[c]), (1,), generator=g)[0]] for c in classes])
        if s.get("repeat_from") is not None and step >= s["repeat_from"]:
            if step == s["repeat_from"]:
                stuck = idx
            idx = stuck  # the loader hands out the same batch again
        if s.get("one_example_from") is not None and step >= s["one_example_from"]:
            if step == s["one_example_from"]:
                stuck_one = idx[:1]
            idx = stuck_one.repeat(len(idx))  # every place in the batch the same example
        if s.get("duplicates_from") is not None and step >= s["duplicates_from"]:
            if step == s["duplicates_from"]:
                # the few batches the shard list still holds (drawn as the loader draws)
                dups = torch.randperm(len(x), generator=g)[: s["duplicates_of"] * batch].view(-1, batch)
            idx = dups[(step - s["duplicates_from"]) % len(dups)]  # the same batches over and over
        bx, by = x[idx], y[idx]
        if s.get("normalise_in_place"):
            # the transform writes its result into the dataset's tensors: an example drawn again is
            # normalised again
            stored[idx] = (stored[idx] - norm_mean) / norm_std
            bx = stored[idx]
            if task == "reconstruct":
                by = bx
        if s.get("corrupt_at") is not None and s["corrupt_at"] <= step < s["corrupt_at"] + s.get("corrupt_for", 1):
            if s.get("corrupt_nan"):
                bx = bx.clone()
                bx[0] = float("nan")
            else:
                bx = bx * s.get("corrupt_by", 1e4)  # a batch of inputs in the wrong units
            if task == "reconstruct":
                by = bx
        if s.get("drift_from") is not None and step >= s["drift_from"]:
            bx = bx * s["drift_by"] ** (step - s["drift_from"] + 1)
            if task == "reconstruct":
                by = bx
        if s.get("scramble_from") is not None and step >= s["scramble_from"]:
            by = torch.randint(0, 10, by.shape, generator=g)  # labels no longer match the inputs
        if s.get("remap_from") is not None and step >= s["remap_from"]:
            by = (by + 1) % 10 if task == "classify" else by * 100  # a label map off by one; a units bug
        if s.get("zero_inputs_from") is not None and step >= s["zero_inputs_from"]:
            bx = torch.zeros_like(bx)  # the decoder fails silently
            if task == "reconstruct":
                by = bx
        if s.get("raw_from") is not None and step >= s["raw_from"]:
            # the normalisation left out: pixels 0-255 again (regression: features in raw units)
            bx = (bx * 0.353 + 0.286) * 255 if task != "regress" else raw_units(bx)
            if task == "reconstruct":
                by = bx
        if s.get("input_noise"):
            bx = bx + s["input_noise"] * torch.randn(bx.shape, generator=g)  # the targets stay clean
        if s.get("cutout"):
            # half the examples with a square of 10x10 pixels (regression: 8 features in a row) set to 0
            bx = bx.clone()
            for i in torch.nonzero(torch.rand(len(bx), generator=g) < 0.5).view(-1).tolist():
                if task == "regress":
                    j = int(torch.randint(0, 32 - 8 + 1, (1,), generator=g))
                    bx[i, j : j + 8] = 0
                else:
                    r, c = torch.randint(0, 28 - 10 + 1, (2,), generator=g).tolist()
                    bx[i, :, r : r + 10, c : c + 10] = 0
        if s.get("permute_from") is not None and step >= s["permute_from"]:
            bx = bx[..., columns]  # the columns in another order
            if task == "reconstruct":
                by = bx
        if s.get("bad_from") is not None and step >= s["bad_from"]:
            # the bad examples' inputs in units bad_by times their own
            bx = bx * torch.where(bad[idx], float(s["bad_by"]), 1.0).view(-1, *[1] * (bx.dim() - 1))
            if task == "reconstruct":
                by = bx
        if s.get("label_noise_from") is not None and step >= s["label_noise_from"]:
            by = y_noisy[idx]
        if s.get("low_res_until") is not None and step < s["low_res_until"]:
            bx = low_res(bx)
        if s.get("wrap_from") is not None and step >= s["wrap_from"]:
            # the raw bytes brightened by wrap_add modulo 256, as uint8 arithmetic wraps, then normalised
            pixels = torch.round((bx * 0.353 + 0.286) * 255)
            bx = ((pixels + s["wrap_add"]) % 256 / 255 - 0.286) / 0.353
            if task == "reconstruct":
                by = bx
        if s.get("transpose_from") is not None and step >= s["transpose_from"]:
            bx = bx.transpose(-1, -2)  # rows for columns
            if task == "reconstruct":
                by = bx
        if s.get("shift"):
            # each image moved by up to shift pixels each way, the border filled with the background
            pad = F.pad(bx, [s["shift"]] * 4, value=-0.286 / 0.353)
            moves = torch.randint(0, 2 * s["shift"] + 1, (len(bx), 2), generator=g).tolist()
            bx = torch.stack([pad[i, :, r : r + 28, c : c + 28] for i, (r, c) in enumerate(moves)])
            if task == "reconstruct":
                by = bx
        if s.get("hflip"):
            # half the images flipped left to right
            flip = (torch.rand(len(bx), generator=g) < 0.5).view(-1, 1, 1, 1)
            bx = torch.where(flip, bx.flip(-1), bx)
            if task == "reconstruct":
                by = bx
        if s.get("batch_standardise"):
            bx = (bx - bx.mean()) / bx.std()  # the batch's own mean and standard deviation
            if task == "reconstruct":
                by = bx
        if s.get("mask_from") is not None and step >= s["mask_from"]:
            bx = bx * keep  # the masked values set to 0
            if task == "reconstruct":
                by = bx
        if s.get("erase_from") is not None and step >= s["erase_from"]:
            # random erasing as torchvision's: each image with probability 0.5, a box of 2-33% of its area and
            # an aspect ratio of 0.3-3.3 (log-uniform; up to 10 draws for one that fits) set to erase_fill
            bx = bx.clone()
            for i in torch.nonzero(torch.rand(len(bx), generator=g) < 0.5).view(-1).tolist():
                for _ in range(10):
                    area = 784 * (0.02 + 0.31 * float(torch.rand(1, generator=g)))
                    ratio = 0.3 * (3.3 / 0.3) ** float(torch.rand(1, generator=g))
                    h, w = int(round(math.sqrt(area * ratio))), int(round(math.sqrt(area / ratio)))
                    if h < 28 and w < 28:
                        r = int(torch.randint(0, 28 - h + 1, (1,), generator=g))
                        c = int(torch.randint(0, 28 - w + 1, (1,), generator=g))
                        bx[i, :, r : r + h, c : c + w] = s["erase_fill"]
                        break
            if task == "reconstruct":
                by = bx
        if s.get("invert_from") is not None and step >= s["invert_from"]:
            # images as 255 - pixel (normalised as before); regression features negated
            bx = (1 - 2 * 0.286) / 0.353 - bx if task != "regress" else -bx
            if task == "reconstruct":
                by = bx
        if s.get("raise_at") == step:
            for group in opt.param_groups:
                group["lr"] *= s["raise_by"]
            if sched is not None:
                sched.base_lrs = [b * s["raise_by"] for b in sched.base_lrs]
        if s.get("ramp_from") is not None and step >= s["ramp_from"]:
            for group in opt.param_groups:
                group["lr"] *= s["ramp_by"]
        if s.get("restore_at") == step:
            for group in opt.param_groups:
                group["lr"] /= s["raise_by"]
            if sched is not None:
                sched.base_lrs = [b / s["raise_by"] for b in sched.base_lrs]
        if s.get("dropout_from") == step:
            for m in model.modules():
                if isinstance(m, nn.Dropout):
                    m.p = s["dropout_to"]
                if isinstance(m, nn.MultiheadAttention):
                    m.dropout = s["dropout_to"]  # attention's dropout, a number rather than a module
        if s.get("reset_at") == step:
            # the weights of a model built anew (a restore that loaded nothing), the optimizer's state kept
            model.load_state_dict(a["make"](s.get("dropout", 0.0), s.get("big", False)).state_dict())
        if s.get("decay_from") == step:
            for group in opt.param_groups:
                group["weight_decay"] = s["decay_to"]
        if s.get("head_only_until") == step:
            for p in model.parameters():
                p.requires_grad_(True)  # the whole model unfrozen, at the rate the head had
        if s.get("zero_v_at") == step:
            # Adam's second moments lost at a restore, its first moments and step count kept
            for state in opt.state.values():
                state["exp_avg_sq"].zero_()
        if s.get("refresh_at") == step:
            # the weights kept, the optimizer built anew (its state lost) at refresh_lr_by times the rate
            opt = make_optimizer(s["opt"], model.parameters(), lr * s["refresh_lr_by"], s.get("weight_decay"))
        if s.get("swap_at") == step:
            # the optimizer replaced by Adam at the rate of the one it replaces
            opt = torch.optim.Adam(model.parameters(), lr=opt.param_groups[0]["lr"])
        if s.get("stairs_from") is not None and step >= s["stairs_from"]:
            if (step - s["stairs_from"]) % s["stairs_every"] == 0:
                for group in opt.param_groups:
                    group["lr"] *= s["stairs_by"]
        model.train()
        if not s.get("no_zero_grad") and step % s.get("zero_every", 1) == 0:
            # (zeroed only every zero_every steps, the gradients of the steps between add up)
            opt.zero_grad(set_to_none=True)
        if s.get("clip_before_backward"):
            # the clip called before the backward pass: no parameter has a gradient yet, nothing is clipped
            torch.nn.utils.clip_grad_norm_(params, s["clip_before_backward"])
        if s.get("fgsm_from") is not None and step >= s["fgsm_from"]:
            # adversarial training (FGSM): each input moved by fgsm_eps along the sign of the loss's gradient
            # with respect to it; the autoencoder's targets stay clean
            probe = bx.clone().requires_grad_(True)
            (push,) = torch.autograd.grad(loss_fn(model(probe), by), probe)
            bx = (bx + s["fgsm_eps"] * push.sign()).detach()
        if micro > 1:
            # each batch's loss over the number of batches, so that the gradients add up to their mean
            loss = 0.0
            for cx, cy in zip(bx.chunk(micro), by.chunk(micro)):
                part = loss_fn(model(cx), cy) / micro
                part.backward()
                loss = loss + part.detach()
        elif s.get("cutmix"):
            # CutMix: a box of a shuffled copy pasted into each image, its side sqrt(1 - share) of the image's
            # with share drawn from U(0, 1); the loss against both targets by area
            share = float(torch.rand(1, generator=g))
            side = int(round(28 * math.sqrt(1 - share)))
            r, c = torch.randint(0, 28 - side + 1, (2,), generator=g).tolist()
            other = torch.randperm(len(bx), generator=g)
            bx = bx.clone()
            bx[:, :, r : r + side, c : c + side] = bx[other][:, :, r : r + side, c : c + side]
            kept = 1 - side * side / 784
            out = model(bx)
            if task == "classify":
                loss = kept * loss_fn(out, by) + (1 - kept) * loss_fn(out, by[other])
            else:
                loss = loss_fn(out, bx)
            loss.backward()
        elif s.get("hardest"):
            # online hard example mining: the loss of the hardest share of the batch's examples alone
            out = model(bx)
            each = F.cross_entropy(out, by, reduction="none")
            loss = each.topk(int(len(each) * s["hardest"])).values.mean()
            loss.backward()
        elif s.get("rdrop"):
            # R-Drop: two passes (two dropout masks), their mean loss and the symmetric KL divergence between
            # their predictions (regression, the autoencoder: the mean squared difference of the two outputs)
            out, out2 = model(bx), model(bx)
            if task == "classify":
                lp, lp2 = F.log_softmax(out, dim=1), F.log_softmax(out2, dim=1)
                gap = 0.5 * (
                    F.kl_div(lp, lp2, reduction="batchmean", log_target=True)
                    + F.kl_div(lp2, lp, reduction="batchmean", log_target=True)
                )
            else:
                gap = F.mse_loss(out, out2)
            loss = 0.5 * (loss_fn(out, by) + loss_fn(out2, by)) + s["rdrop"] * gap
            loss.backward()
        elif mix is not None:
            share = float(mix.beta(s["mixup"], s["mixup"]))
            other = torch.randperm(len(bx), generator=g)
            out = model(share * bx + (1 - share) * bx[other])
            if task == "classify":
                loss = share * loss_fn(out, by) + (1 - share) * loss_fn(out, by[other])
            else:
                loss = loss_fn(out, share * by + (1 - share) * by[other])
            loss.backward()
        else:
            if s.get("checkpointed"):
                # the activations recomputed in the backward pass rather than kept
                out = torch.utils.checkpoint.checkpoint(model, bx, use_reentrant=False)
            else:
                out = model(bx)
            if s.get("out_scale_from") is not None and step >= s["out_scale_from"]:
                out = out * s["out_scale"]  # the outputs scaled before the loss
            if s.get("weight_from") is not None and step >= s["weight_from"]:
                # the examples' losses weighted, their weighted mean (as cross_entropy's class weights give)
                w = torch.where(heavy[idx], float(s["weight_by"]), 1.0)
                if task == "classify":
                    each = F.cross_entropy(out, by, reduction="none")
                else:
                    each = F.mse_loss(out, by, reduction="none").view(len(out), -1).mean(dim=1)
                loss = (w * each).sum() / w.sum()
            else:
                loss = loss_fn(out, by)
            if amp_scale is not None:
                # scaled for the backward pass, the gradients held in float16 (inf beyond 65504), unscaled;
                # a step whose gradients overflowed is skipped below and the scale halved
                (loss * amp_scale).backward()
                for p in params:
                    if p.grad is not None:
                        p.grad = p.grad.half().float() / amp_scale
            elif s.get("l1"):
                # an L1 penalty on the weight matrices and kernels, added to the loss (and logged with it)
                loss = loss + s["l1"] * sum(p.abs().sum() for p in params if p.dim() > 1)
                loss.backward()
            elif s.get("l2_flipped"):
                # an L2 penalty on the weight matrices and kernels subtracted where it should be added
                penalty = sum((p**2).sum() for p in params if p.dim() > 1)
                (loss - s["l2_flipped"] * penalty).backward()
            elif s.get("unscaled_from") is not None and step >= s["unscaled_from"]:
                (loss * s["unscaled_by"]).backward()  # scaled for the backward pass, never unscaled
            elif s.get("fp16_from") is not None and step >= s["fp16_from"]:
                # scaled for the backward pass, the gradients held in float16 (inf beyond 65504), then unscaled
                scale = s["fp16_scale"] * 2.0 ** ((step - s["fp16_from"]) // s["fp16_growth"])
                (loss * scale).backward()
                for p in params:
                    if p.grad is not None:
                        p.grad = p.grad.half().float() / scale
            else:
                loss.backward()
        grad_norm = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params if p.grad is not None)).item()
        if s.get("sam"):
            # sharpness-aware: the gradient taken again at the weights moved sam along the gradient's direction
            with torch.no_grad():
                shifts = [None if p.grad is None else p.grad * (s["sam"] / (grad_norm + 1e-12)) for p in params]
                for p, e in zip(params, shifts):
                    if e is not None:
                        p.add_(e)
            opt.zero_grad(set_to_none=True)
            loss_fn(model(bx), by).backward()
            with torch.no_grad():
                for p, e in zip(params, shifts):
                    if e is not None:
                        p.sub_(e)
        if s.get("stale_from") is not None:
            grads = [None if p.grad is None else p.grad.detach().clone() for p in params]
            history = history[-s["stale_by"] :] + [grads]
            if step >= s["stale_from"]:
                for p, old in zip(params, history[0]):
                    p.grad = old  # the gradient of stale_by steps ago
        if s.get("grad_centralize"):
            # each weight matrix's and kernel's gradient less its mean over each unit's inputs
            for p in params:
                if p.grad is not None and p.dim() > 1:
                    p.grad.sub_(p.grad.mean(dim=tuple(range(1, p.dim())), keepdim=True))
        if s.get("agc"):
            # adaptive clipping: each unit's gradient (over all but the first dimension) cut to agc times
            # the unit's weight norm (at least 1e-3); tensors of one dimension left as they are
            for p in params:
                if p.grad is not None and p.dim() > 1:
                    dims = tuple(range(1, p.dim()))
                    ceiling = s["agc"] * p.detach().pow(2).sum(dim=dims, keepdim=True).sqrt().clamp_min(1e-3)
                    norm = p.grad.pow(2).sum(dim=dims, keepdim=True).sqrt()
                    p.grad.mul_(torch.where(norm > ceiling, ceiling / norm.clamp_min(1e-12), torch.ones_like(norm)))
        if s.get("autoclip"):
            # AutoClip (Seetharaman et al. 2020): the norm clipped at the autoclip-th percentile of the norms
            # seen so far, this one included
            norms_seen.append(grad_norm)
            torch.nn.utils.clip_grad_norm_(params, float(np.percentile(norms_seen, s["autoclip"])))
        if s.get("grad_over_norm_squared"):
            # a normalised gradient written with the norm squared: each gradient over the square of its norm
            for p in params:
                if p.grad is not None:
                    p.grad.div_(grad_norm**2 + 1e-12)
        if s.get("clip_inverted") and grad_norm > s["clip_inverted"]:
            # a clip written by hand with its ratio upside down: a norm above the ceiling multiplied by
            # norm / ceiling where ceiling / norm was meant
            for p in params:
                if p.grad is not None:
                    p.grad.mul_(grad_norm / s["clip_inverted"])
        if s.get("clip"):
            torch.nn.utils.clip_grad_norm_(params, s["clip"])
        if s.get("clip_value"):
            torch.nn.utils.clip_grad_value_(params, s["clip_value"])
        if s.get("grad_noise") and step >= s.get("noise_from", 0):
            # Gaussian noise of variance eta / (1 + t) ** gamma on every gradient, t counted from noise_from
            eta, gamma = s["grad_noise"]
            std = math.sqrt(eta / (1 + step - s.get("noise_from", 0)) ** gamma)
            for p in params:
                if p.grad is not None:
                    p.grad.add_(std * torch.randn(p.grad.shape, generator=noise_g))
        if s.get("reverse_body_from") is not None and step >= s["reverse_body_from"]:
            for p in params:
                if p.grad is not None and all(p is not h for h in head):
                    p.grad.neg_()  # every layer below the output layer climbs the loss
        if s.get("grad_ema"):
            # a hand-written momentum buffer of the gradients, itself handed to SGD with momentum
            for p in params:
                if p.grad is not None:
                    p.grad = buffers.setdefault(p, torch.zeros_like(p)).mul_(s["grad_ema"]).add_(p.grad).clone()
        if s.get("ascent_from") is not None and step >= s["ascent_from"]:
            for p in params:
                if p.grad is not None:
                    p.grad.neg_()  # the update's sign flipped: the optimizer climbs the loss
        if s.get("polyak"):
            # the Polyak step size: the loss over polyak times the squared gradient norm, capped at the rate
            # set unless uncapped
            rate = loss.item() / (s["polyak"] * grad_norm**2 + 1e-12)
            rate = rate if s.get("polyak_uncapped") else min(rate, lr)
            for group in opt.param_groups:
                group["lr"] = rate
        step_lr = opt.param_groups[0]["lr"]
        if amp_scale is not None and not math.isfinite(grad_norm):
            amp_scale, amp_good = amp_scale / 2, 0  # an overflow: the step skipped, the scale halved
        else:
            opt.step()
            if amp_scale is not None:
                amp_good += 1
                if amp_good == s["amp_growth"]:
                    amp_scale, amp_good = amp_scale * 2, 0  # so many steps without overflow: the scale doubled
        if s.get("max_norm"):
            # each unit's incoming weights (a row of a linear layer, an output channel of a kernel) scaled
            # back to a norm of at most max_norm
            with torch.no_grad():
                for m in model.modules():
                    if isinstance(m, (nn.Linear, nn.Conv2d)):
                        m.weight.copy_(torch.renorm(m.weight, 2, 0, s["max_norm"]))
        if s.get("shrink_weights_from") is not None and step >= s["shrink_weights_from"]:
            with torch.no_grad():
                for p in params:
                    p.mul_(s["shrink_weights_by"])  # a decay by hand, the rate left out
        if slow is not None and (step + 1) % s["lookahead"][0] == 0:
            # Lookahead: every k steps the slow weights move alpha of the way to the fast ones, which restart there
            with torch.no_grad():
                for p, q in zip(params, slow):
                    q.add_(p - q, alpha=s["lookahead"][1])
                    p.copy_(q)
        if ema is not None:
            # the average's decay kept low at first, (1 + t) / (10 + t), as TensorFlow's with num_updates
            d = min(s["ema"], (1 + step) / (10 + step))
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.mul_(d).add_(p.detach(), alpha=1 - d)
                for e, b in zip(ema.buffers(), model.buffers()):
                    e.copy_(b)
        if swa is not None and step >= s["swa_from"]:
            swa.update_parameters(model)  # the equal average of the weights since swa_from
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            plateau.append(loss.item())
            if len(plateau) == PLATEAU_EVERY:
                sched.step(sum(plateau) / len(plateau))
                plateau = []
        elif sched is not None:
            sched.step()
        val = None
        every = s.get("val_every", VAL_EVERY)
        if (step + 1) % every == 0:
            judged = model if ema is None else ema
            if swa is not None and step >= s["swa_from"]:
                # the average's batch-norm statistics recomputed on 16 training batches (nothing without any)
                torch.optim.swa_utils.update_bn([x[i * BATCH : (i + 1) * BATCH] for i in range(16)], swa)
                judged = swa
            judged.eval()
            vin = vx
            if s.get("low_res_until") is not None and step < s["low_res_until"]:
                vin = low_res(vx)  # validated at the resolution of the moment
            with torch.no_grad():
                val = val_fn(judged(vin), vy).item()
        value = loss.item()
        rows.append((step, value, grad_norm, step_lr, val))
        if not math.isfinite(value):
            non_finite += 1
            if non_finite >= MAX_NON_FINITE:
                break
    return rows, time.process_time() - start


# --------------------------------------------------------------------------------- labelling


def smooth(values, k=10):
    out = []
    for i in range(len(values)):
        window = [v for v in values[max(0, i - k + 1) : i + 1] if math.isfinite(v)]
        out.append(sorted(window)[len(window) // 2] if window else float("inf"))
    return out


def summary(rows):
    losses = [r[1] for r in rows]
    finite = [v for v in losses if math.isfinite(v)]
    first_bad = next((r[0] for r in rows if not math.isfinite(r[1])), -1)
    vals = [(r[0], r[4]) for r in rows if r[4] is not None]
    return dict(
        steps=len(rows),
        first=losses[:5],
        min=min(finite) if finite else float("nan"),
        max=max(finite) if finite else float("nan"),
        last=losses[-1],
        first_non_finite=first_bad,
        val=vals,
    )


def verdict(name, rows):
    """What the curve did: (diverging, onset, how it was judged), from the recording alone.

    Diverging: a non-finite loss; for a run set to fail from its first step, a loss 5x above the first
    and a running median (10 steps) that ends above 0.8x the first loss (it never learned); for a run
    set to fail mid-run, a running median that stays above 2x its lowest before the trouble for the
    rest of the run; for validation runs, the last validation loss 1.25x above its lowest with the
    training loss still falling; for a rate ramping, raised step by step or inputs drifting from a step
    on, or a rate that climbs from the first step (a warm-up, a cycle or one cycle to a rate too high;
    gradients never zeroed; momentum above 1), a running median that comes to stand 2x above its lowest
    and stays there (or a non-finite loss), the onset being where the loss turned up; for gradients held
    in float16 from a step on, a non-finite loss with its onset where the gradient norm first overflowed.
    Healthy otherwise.
    """
    arch, setting, s, meant_to_fail = setting_of(name)
    losses = [r[1] for r in rows]
    med = smooth(losses)
    first_bad = next((r[0] for r in rows if not math.isfinite(r[1])), -1)
    trouble = s.get("raise_at", s.get("corrupt_at", s.get("scramble_from", s.get("drift_from", s.get("onset", 1)))))
    trouble = s.get("repeat_from", s.get("remap_from", trouble))
    for key in ("unscaled_from", "ascent_from", "zero_inputs_from", "decay_from", "shrink_from", "sorted_from"):
        trouble = s.get(key, trouble)
    for key in ("label_noise_from", "dropout_from", "reset_at", "fp16_from", "stale_from", "noise_from", "invert_from"):
        trouble = s.get(key, trouble)
    for key in ("zero_v_at", "raw_from", "classes_from", "one_example_from", "swap_at"):
        trouble = s.get(key, trouble)
    for key in ("weight_from", "out_scale_from", "shrink_weights_from", "permute_from", "bad_from"):
        trouble = s.get(key, trouble)
    for key in ("wrap_from", "refresh_at", "duplicates_from", "reverse_body_from"):
        trouble = s.get(key, trouble)
    for key in ("transpose_from", "fgsm_from", "one_class_from", "mask_from", "erase_from"):
        trouble = s.get(key, trouble)
    if "val_every" in s:
        vals = [(r[0], r[4]) for r in rows if r[4] is not None]
        best_step, best = min(vals, key=lambda v: v[1])
        if vals[-1][1] > 1.25 * best and med[-1] < med[best_step]:
            # onset: the first validation after the lowest that stays above it by 5%
            onset = next(st for st, v in vals if st > best_step and v > 1.05 * best)
            return True, onset, f"val loss {best:.3g} at step {best_step} -> {vals[-1][1]:.3g}, train loss falling"
        return False, -1, f"val loss lowest {best:.3g} at {best_step}, last {vals[-1][1]:.3g}"
    centred = [med[min(len(med) - 1, i + 5)] for i in range(len(med))]
    if "ramp_from" in s or "drift_from" in s or "stairs_from" in s:
        # the rate grows (or the inputs drift) from a step on and the trouble starts where the loss turns
        # up: the onset is the lowest point (running median of 10, centred) between that step and where
        # the running median first stands 2x above its lowest before it, if it stays there (or turns
        # non-finite); a run that turns non-finite before that is judged as any other non-finite run, below
        start = s.get("ramp_from", s.get("drift_from", s.get("stairs_from")))
        what = {"ramp_from": "rate ramp", "drift_from": "inputs drift", "stairs_from": "rate staircase"}
        what = next(v for k, v in what.items() if k in s)
        before = min(med[:start])
        up = next((i for i in range(start, len(med)) if med[i] > 2 * before), None)
        if up is not None and (first_bad >= 0 or min(med[up:]) > 2 * before):
            onset = min(range(start, up + 1), key=lambda i: (centred[i], -i))
            return True, onset, f"{what} from step {start}: lowest at {onset}, above 2x {before:.3g} from {up}"
        if first_bad < 0:
            return False, -1, f"{what} from step {start}, but running median never stays above 2x {before:.3g}"
    if s.get("climbs"):
        # the rate climbs from the first step to one far too high: the loss may fall while the rate is
        # low and turn up on the way; the onset is the lowest point (running median of 10, centred)
        # before the running median first stands 2x above its lowest so far, if it stays there to the
        # end, or else before the first non-finite loss
        low = [min(med[: i + 1]) for i in range(len(med))]
        up = next((i for i in range(len(med)) if med[i] > 2 * low[i]), None)
        if up is not None and (first_bad >= 0 or min(med[up:]) > 2 * low[up]):
            end, how = up, f"above 2x {low[up]:.3g} from {up}"
        elif first_bad >= 0:
            end, how = first_bad, f"non-finite loss at step {first_bad}"
        else:
            end = None
        if end is not None:
            onset = min(range(1, max(1, end) + 1), key=lambda i: (centred[i], -i))
            return True, onset, f"rate climbing from step 0: lowest at {onset}, {how}"
    if first_bad >= 0 and "fp16_from" in s:
        # gradients held in float16 from a step on: the trouble starts where one first overflowed
        onset = next((r[0] for r in rows if not math.isfinite(r[2])), first_bad)
        return True, onset, f"gradient overflowed at step {onset}, non-finite loss at step {first_bad}"
    if first_bad >= 0:
        onset = trouble if 0 < trouble <= first_bad else first_bad
        return True, onset, f"non-finite loss at step {first_bad}"
    if meant_to_fail and trouble <= 1:
        peak = max(v for v in losses if math.isfinite(v))
        if peak > 5 * losses[0] and med[-1] > 0.8 * losses[0]:
            return True, 1, f"loss {losses[0]:.3g} -> {peak:.3g}, running median ends at {med[-1]:.3g}: never learned"
        return False, -1, f"meant to fail, but running median {med[0]:.3g} -> {med[-1]:.3g}, peak {peak:.3g}"
    if meant_to_fail:
        before = min(med[: max(1, trouble)])
        after = med[min(len(med) - 1, trouble + 10) :]
        if after and min(after) > 2 * before:
            return True, trouble, f"running median after step {trouble} stays above 2x {before:.3g}"
        return False, -1, f"meant to fail, but running median returns to {min(after):.3g} (before: {before:.3g})"
    peak = max(med[20:]) if len(med) > 20 else med[-1]
    low = min(med[:20])
    if peak > 2 * low and med[-1] > 2 * min(med):
        return True, -1, "running median climbs above 2x its low and ends there: needs a reviewed onset"
    return False, -1, f"running median {med[0]:.3g} -> {med[-1]:.3g}, never 2x above its low after step 20"


def read_reviewed():
    out = {}
    if os.path.exists(REVIEWED):
        with open(REVIEWED) as f:
            for line in f:
                if line.startswith("#") or not line.strip() or line.startswith("run\t"):
                    continue
                run, label, onset, cause, why = line.rstrip("\n").split("\t")
                out[run] = (label, int(onset), cause, why)
    return out


def fmt(v):
    if v is None:
        return ""
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return f"{v:.5g}"


def first_moment(s):
    """The decay of the first moment a setting's optimizer runs with, as the Python client labels it
    (``momentum``: SGD's or RMSprop's momentum, or an Adam-like optimizer's beta1); "" where it has none."""
    kind = s["opt"]
    if kind in ("momentum", "nesterov"):
        return fmt(0.9 if s.get("momentum") is None or kind == "nesterov" else s["momentum"])
    if kind == "rmsprop":
        return fmt(s["momentum"]) if s.get("momentum") else ""
    if kind in ("adam", "adamw", "nadam", "radam", "adamax", "lion", "lamb", "adam-no-sqrt",
                "adam-corrections-swapped", "adam-v-fp16", "adam-uncorrected"):
        return fmt(s["betas"][0] if s.get("betas") else 0.9)
    return ""


def second_moment(s):
    """The second of a setting's optimizer's betas, as the Python client labels it (``beta2``: an
    Adam-like optimizer's second-moment decay, Lion's second momentum); "" where it has none."""
    kind = s["opt"]
    if kind in ("adam", "adamw", "nadam", "radam", "adamax", "lamb", "adam-no-sqrt",
                "adam-corrections-swapped", "adam-v-fp16", "adam-uncorrected"):
        return fmt(s["betas"][1] if s.get("betas") else 0.999)
    if kind == "lion":
        return fmt(s["betas"][1] if s.get("betas") else 0.99)
    return ""


def write_manifest(out_dir, recordings):
    reviewed = read_reviewed()
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        f.write("# one line per recorded run; label: what the curve did (healthy/diverging), onset: the step\n")
        f.write("# the trouble began (-1 if healthy), cause: the cause a diagnosis should give (- where none is\n")
        f.write("# fair to ask for), checked: how the label was judged (auto: the script's rule on the curve;\n")
        f.write("# reviewed: a reader's judgement of the curve, overriding the rule). Every run's summary, as\n")
        f.write("# --relabel prints it, was read; where it disagreed with the rule, labels-reviewed.tsv says why.\n")
        f.write("# momentum: the optimizer's momentum or beta1, as the Python client labels it (empty: none);\n")
        f.write("# beta2: the second of its betas, as the client labels it (empty: none).\n")
        f.write("run\tarch\tsetting\toptimizer\tmomentum\tbeta2\tseed\tsteps\tlabel\tonset\tcause\tchecked\n")
        for name, rows in recordings.items():
            arch, setting, s, _ = setting_of(name)
            diverging, onset, why = verdict(name, rows)
            # no-normalization and a healthy setting gone wrong have no single cause to ask for
            cause = s.get("cause", "-") if diverging else "-"
            checked = "auto: " + why
            if name in reviewed:
                label, onset, cause, reason = reviewed[name]
                diverging = label == "diverging"
                checked = "reviewed: " + reason
            if diverging and onset < 0:
                raise SystemExit(f"{name}: diverging without an onset; add it to {REVIEWED}")
            f.write(
                f"{name}\t{arch}\t{setting}\t{s['opt']}\t{first_moment(s)}\t{second_moment(s)}\t{seed_of(name)}\t{len(rows)}\t"
                f"{'diverging' if diverging else 'healthy'}\t{onset if diverging else -1}\t{cause}\t{checked}\n"
            )


def read_recordings(out_dir):
    recordings = {}
    with gzip.open(os.path.join(out_dir, "pytorch-runs.tsv.gz"), "rt") as f:
        for line in f:
            if line.startswith("#") or line.startswith("run\t"):
                continue
            run, step, loss, grad, lr, val = line.rstrip("\n").split("\t")
            recordings.setdefault(run, []).append(
                (int(step), float(loss), float(grad), float(lr), float(val) if val else None)
            )
    return recordings


def write_recordings(out_dir, recordings, cmd, versions=None):
    """versions: the torch and numpy the runs were trained with (default: this process's)."""
    versions = versions or f"torch {torch.__version__}, numpy {np.__version__}"
    # a setting with batches of its own size is named in the header
    other = {}
    for name in recordings:
        s = setting_of(name)[2]
        if s.get("batch", BATCH) != BATCH and not s.get("batch_doubling"):
            other.setdefault(s["batch"], []).append(setting_of(name)[1])
    batches = "".join(f" ({b} in {', '.join(sorted(set(n)))})" for b, n in sorted(other.items()))
    # and so is a setting that accumulates batches or changes its batch size mid-run
    for name in recordings:
        setting, s = setting_of(name)[1:3]
        note = None
        if s.get("accumulate"):
            note = f" ({s['accumulate']} accumulated per step in {setting})"
        if s.get("shrink_from") is not None:
            note = f" ({s['shrink_to']} from step {s['shrink_from']} in {setting})"
        if s.get("batch_doubling"):
            note = f" ({s['batch']} doubled every {s['batch_doubling']} steps in {setting})"
        if note and note not in batches:
            batches += note
    with gzip.open(os.path.join(out_dir, "pytorch-runs.tsv.gz"), "wt", compresslevel=9) as f:
        f.write(f"# recorded by: OMP_NUM_THREADS=1 {cmd}\n")
        f.write(f"# {versions}, one CPU thread, batch {BATCH}{batches}, ")
        f.write("seed of each run: crc32 of its name (see the manifest)\n")
        f.write("# loss: the minibatch's training loss; grad_norm: L2 norm of the mean minibatch gradient before ")
        f.write("clipping; learning_rate: the rate of that step; val_loss: blank where not measured; 5 digits\n")
        f.write("run\tstep\tloss\tgrad_norm\tlearning_rate\tval_loss\n")
        for name, rows in recordings.items():
            for step, loss, grad, lr, val in rows:
                f.write(f"{name}\t{step}\t{fmt(loss)}\t{fmt(grad)}\t{fmt(lr)}\t{fmt(val)}\n")


def recorded_versions(out_dir):
    """The torch and numpy versions a recording's header names."""
    with gzip.open(os.path.join(out_dir, "pytorch-runs.tsv.gz"), "rt") as f:
        for line in f:
            if line.startswith("# torch "):
                return line[2:].split(", one CPU thread")[0]
    raise SystemExit(f"{out_dir}: no torch version in the recording's header")


def print_summary(name, rows):
    sm = summary(rows)
    diverging, onset, why = verdict(name, rows)
    first = " ".join(fmt(v) for v in sm["first"])
    vals = " ".join(f"{st}:{fmt(v)}" for st, v in sm["val"][:: max(1, len(sm["val"]) // 8)])
    print(
        f"{name:42s} n={sm['steps']:3d} first [{first}] min {fmt(sm['min'])} max {fmt(sm['max'])} "
        f"last {fmt(sm['last'])} nan@{sm['first_non_finite']} -> {'DIV' if diverging else 'ok '} {onset} ({why})"
        + (f"\n{'':42s} val {vals}" if vals else "")
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="folder of the four Fashion-MNIST IDX .gz files (train-images-idx3-ubyte.gz ...)")
    p.add_argument(
        "--set", choices=sorted(SETS), default="first",
        help="which set of runs: the first, the blind one, or a later blind one (blind-2 ... blind-11)",
    )
    p.add_argument("--out", help="where to write (default: the set's folder in the benchmark's resources)")
    p.add_argument("--only", help="comma-separated run names (a trial; the manifest lists only these), "
                   "or A or B: every other run of the set, from the first or the second (two processes, then --merge)")
    p.add_argument("--merge", help="comma-separated folders of partial recordings (--only ... --out F) to join into --out")
    p.add_argument("--relabel", action="store_true", help="rewrite the manifest from the recordings, no training")
    p.add_argument("--missing", action="store_true", help="train only the runs not yet recorded, keep the others")
    args = p.parse_args()
    plan = SETS[args.set]["plan"]
    args.out = args.out or SETS[args.set]["out"]
    os.makedirs(args.out, exist_ok=True)
    if args.merge:
        parts = {}
        versions = set()
        for folder in args.merge.split(","):
            parts.update(read_recordings(folder))
            versions.add(recorded_versions(folder))
        if len(versions) != 1:
            raise SystemExit(f"the parts were recorded with different builds: {sorted(versions)}")
        missing = [n for n in run_names(plan) if n not in parts]
        if missing:
            raise SystemExit(f"not recorded in {args.merge}: {', '.join(missing)}")
        recordings = {n: parts[n] for n in run_names(plan)}
        cmd = "python3 bench/corpus/record_pytorch_runs.py --data DIR" + (f" --set {args.set}" if args.set != "first" else "")
        write_recordings(args.out, recordings, cmd, versions.pop())
        write_manifest(args.out, recordings)
        return
    if args.relabel:
        recordings = read_recordings(args.out)
        for name, rows in recordings.items():
            print_summary(name, rows)
        write_manifest(args.out, recordings)
        return
    if not args.data:
        p.error("--data is needed to train: a folder with the four Fashion-MNIST IDX .gz files")
    torch.set_num_threads(1)
    images = fashion_mnist(args.data)
    names = run_names(plan)
    if args.only in ("A", "B"):  # a half for one of two processes: every other run, from the first or the second
        names = names[0::2] if args.only == "A" else names[1::2]
    elif args.only:
        names = args.only.split(",")
    kept = {}
    if args.missing:
        # each run has its own seed, so the runs already recorded are what a full recording would give
        kept = read_recordings(args.out)
        names = [n for n in names if n not in kept]
    recordings = {}
    total = 0.0
    for name in names:
        rows, cpu = train(name, images)
        total += cpu
        recordings[name] = rows
        try:
            print_summary(name, rows)
        except Exception as e:  # a summary must not cost the recording
            print(f"{name}: no summary ({e!r})")
        print(f"{'':42s} {cpu:.1f} s CPU, {1000 * cpu / len(rows):.1f} ms/step", flush=True)
    if args.missing:
        recordings = {
            n: kept[n] if n in kept else recordings[n] for n in run_names(plan) if n in kept or n in recordings
        }
    cmd = "python3 bench/corpus/record_pytorch_runs.py --data DIR" + (f" --set {args.set}" if args.set != "first" else "")
    cmd += f" --only {args.only}" if args.only else ""
    write_recordings(args.out, recordings, cmd)
    write_manifest(args.out, recordings)
    print(f"{len(names)} runs trained, {total / 60:.1f} min CPU", file=sys.stderr)


if __name__ == "__main__":
    main()
