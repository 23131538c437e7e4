"""What losswatch.torch.watch measures, checked against the definitions computed by hand."""
import copy
import math
import warnings

import pytest

torch = pytest.importorskip("torch")

from losswatch.torch import watch  # noqa: E402


class Captured:
    """Stands in for a Reporter: keeps what report() was given."""

    def __init__(self):
        self.events = []

    def report(self, step, loss, **fields):
        self.events.append(dict(step=step, loss=loss, **fields))
        return True


def model():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 6 * 6, 10))


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(16, 1, 8, 8, generator=g), torch.randint(0, 10, (16,), generator=g)


def train_step(m, opt, seed=0):
    x, y = batch(seed)
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(m(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def norm(tensors):
    return math.sqrt(sum(float(t.double().pow(2).sum()) for t in tensors))


def test_should_report_the_norms_of_the_mean_gradient_per_layer_and_of_the_parameters():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    reporter = Captured()
    watcher = watch(m, opt, reporter)
    twin = copy.deepcopy(m)  # the summed loss's gradient over the batch size is the mean gradient
    x, y = batch()
    torch.nn.functional.cross_entropy(twin(x), y, reduction="sum").backward()
    loss = train_step(m, opt)
    watcher.step(0, loss, val_loss=2.5)
    e = reporter.events[0]
    grads = [p.grad for p in m.parameters()]
    assert e["grad_norm"] == pytest.approx(norm(grads), rel=1e-5)
    assert e["grad_norm"] == pytest.approx(norm(p.grad for p in twin.parameters()) / 16, rel=1e-4)
    assert set(e["layer_grad_norms"]) == {"0", "3"}
    assert e["layer_grad_norms"]["0"] == pytest.approx(norm(grads[:2]), rel=1e-5)
    assert e["param_norm"] == pytest.approx(norm(m.parameters()), rel=1e-5)
    assert e["learning_rate"] == 0.1 and e["labels"] == {"optimizer": "sgd"} and e["val_loss"] == 2.5  # no momentum


def test_should_measure_the_update_ratio_of_the_step_exactly():
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    reporter = Captured()
    watcher = watch(m, opt, reporter, update_sample=None, param_every=1)
    for step in range(3):
        before = [p.detach().clone() for p in m.parameters()]
        watcher.step(step, train_step(m, opt, step))
        change = norm(p.detach() - b for p, b in zip(m.parameters(), before))
        assert reporter.events[-1]["update_ratio"] == pytest.approx(change / norm(m.parameters()), rel=1e-4)
    assert reporter.events[-1]["labels"] == {"optimizer": "adam", "momentum": "0.9", "beta2": "0.999"}


def test_should_estimate_a_large_layers_update_from_a_sample_within_a_few_percent():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(400, 200), torch.nn.ReLU(), torch.nn.Linear(200, 10))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    exact = watch(m, opt, Captured(), update_sample=None, param_every=1)
    sampled = watch(m, opt, Captured(), param_every=1)  # wraps the first one's step: both see every step
    assert sampled._samples[0][1] > 0, "the 80000-weight layer is sampled"
    x, y = torch.randn(64, 400), torch.randint(0, 10, (64,))
    errors = []
    for _ in range(30):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
        truth, estimate = exact.measure()["update_ratio"], sampled.measure()["update_ratio"]
        errors.append(abs(estimate / truth - 1))
    assert max(errors) < 0.03, errors


def test_should_follow_a_scheduler_and_report_no_update_when_the_optimizer_did_not_step():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    reporter = Captured()
    before = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1.0)  # created before watch
    watcher = watch(m, opt, reporter, param_every=1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)  # created after watch
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "lr_scheduler.step() before optimizer.step()" warning
        watcher.step(0, train_step(m, opt))
        before.step()
        scheduler.step()
        watcher.step(1, train_step(m, opt))
        scheduler.step()
    watcher.step(2, 1.0)  # no optimizer.step() since the last report (an AMP step skipped on inf)
    assert [e["learning_rate"] for e in reporter.events] == [1.0, 0.5, 0.25]
    assert reporter.events[1]["update_ratio"] > 0 and reporter.events[2]["update_ratio"] == 0.0


def test_should_stay_exact_when_weights_are_restored_between_steps():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    reporter = Captured()
    watcher = watch(m, opt, reporter, update_sample=None, param_every=1)
    saved = {k: v.clone() for k, v in m.state_dict().items()}
    watcher.step(0, train_step(m, opt))
    m.load_state_dict(saved)  # what a rollback does
    before = [p.detach().clone() for p in m.parameters()]
    watcher.step(1, train_step(m, opt, 1))
    change = norm(p.detach() - b for p, b in zip(m.parameters(), before))
    assert reporter.events[1]["update_ratio"] == pytest.approx(change / norm(m.parameters()), rel=1e-4)


def test_should_give_the_optimizer_its_step_back_on_close():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    watcher = watch(m, opt, Captured())
    assert "step" in vars(opt)
    watcher.close()
    assert "step" not in vars(opt)
    train_step(m, opt)


def test_should_measure_the_parameters_every_kth_step_and_leave_them_out_between():
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    reporter = Captured()
    watcher = watch(m, opt, reporter, update_sample=None, param_every=3)
    for step in range(8):
        before = [p.detach().clone() for p in m.parameters()]
        watcher.step(step, train_step(m, opt, step))
        e = reporter.events[-1]
        assert e["grad_norm"] == pytest.approx(norm(p.grad for p in m.parameters()), rel=1e-5)
        assert e["learning_rate"] == 0.01
        if step % 3 == 0:
            # the change of this step alone, not of the steps since the last measurement
            change = norm(p.detach() - b for p, b in zip(m.parameters(), before))
            assert e["param_norm"] == pytest.approx(norm(m.parameters()), rel=1e-5)
            assert e["update_ratio"] == pytest.approx(change / e["param_norm"], rel=1e-4)
        else:
            assert "param_norm" not in e and "update_ratio" not in e, step


def test_should_measure_the_parameters_at_once_when_the_loss_or_the_gradient_is_not_finite():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    reporter = Captured()
    watcher = watch(m, opt, reporter, param_every=100)
    watcher.step(0, train_step(m, opt))
    watcher.step(1, train_step(m, opt, 1))
    assert "param_norm" not in reporter.events[1]
    train_step(m, opt, 2)
    watcher.step(2, float("inf"))  # a loss that overflowed, gradients still finite
    assert reporter.events[2]["param_norm"] == pytest.approx(norm(m.parameters()), rel=1e-5)
    x, y = batch(3)
    opt.zero_grad()
    (torch.nn.functional.cross_entropy(m(x), y) * float("nan")).backward()
    opt.step()
    watcher.step(3, 2.0)  # the loss as the loop saw it before the gradient broke
    e = reporter.events[3]
    assert math.isnan(e["grad_norm"]) and math.isnan(e["param_norm"]) and "update_ratio" not in e
    watcher.step(4, train_step(m, opt, 4))  # broken weights: a NaN loss, and the parameters measured again
    assert math.isnan(reporter.events[4]["loss"]) and math.isnan(reporter.events[4]["param_norm"])


def test_should_refuse_a_parameter_interval_below_one():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="param_every"):
        watch(m, opt, Captured(), param_every=0)


def test_should_name_sgd_with_momentum_apart_from_plain_sgd():
    m = model()
    names = {}
    for label, opt in {
        "sgd": torch.optim.SGD(m.parameters(), lr=0.1),
        "momentum": torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
        "nesterov": torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True),
        "adamw": torch.optim.AdamW(m.parameters(), lr=1e-3),
    }.items():
        reporter = Captured()
        watch(m, opt, reporter).step(0, train_step(m, opt))
        names[label] = reporter.events[0]["labels"]["optimizer"]
    assert names == {"sgd": "sgd", "momentum": "momentum", "nesterov": "nesterov", "adamw": "adamw"}


def test_should_label_the_momentum_or_beta1_each_step_as_a_schedule_moves_it():
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.999)
    reporter = Captured()
    watcher = watch(m, opt, reporter)
    watcher.step(0, train_step(m, opt))
    opt.param_groups[0]["momentum"] = 0.95  # as OneCycleLR cycles it
    watcher.step(1, train_step(m, opt), labels={"model": "cnn"})
    assert [e["labels"] for e in reporter.events] == [
        {"optimizer": "momentum", "momentum": "0.999"},
        {"optimizer": "momentum", "momentum": "0.95", "model": "cnn"},
    ]
    adam = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.999, 0.9))
    reporter = Captured()
    watch(m, adam, reporter).step(0, train_step(m, adam))
    assert reporter.events[0]["labels"]["momentum"] == "0.999"


def test_should_label_the_second_of_the_betas_as_beta2():
    m = model()
    adam = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.9, 0.5))
    reporter = Captured()
    watcher = watch(m, adam, reporter)
    watcher.step(0, train_step(m, adam))
    adam.param_groups[0]["betas"] = (0.9, 0.95)
    watcher.step(1, train_step(m, adam))
    assert [e["labels"] for e in reporter.events] == [
        {"optimizer": "adam", "momentum": "0.9", "beta2": "0.5"},
        {"optimizer": "adam", "momentum": "0.9", "beta2": "0.95"},
    ]
    for opt in (torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), torch.optim.Adagrad(m.parameters(), lr=0.1)):
        reporter = Captured()
        watch(m, opt, reporter).step(0, train_step(m, opt))
        assert "beta2" not in reporter.events[0]["labels"]
