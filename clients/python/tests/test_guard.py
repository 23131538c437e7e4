"""Guard decisions, with alerts handed in directly: no Kafka."""
import threading

import pytest

torch = pytest.importorskip("torch")

import losswatch  # noqa: E402


class Loop:
    """A model whose weight is set to the step number before each after_step, so a checkpoint's step shows in
    the weights: the checkpoint of step k (taken after step k - 1) holds weight k - 1."""

    def __init__(self, action="rollback", optimizer="sgd", **guard_args):
        self.model = torch.nn.Linear(2, 1, bias=False)
        params = list(self.model.parameters())
        self.optimizer = (torch.optim.SGD([{"params": params}], lr=1.0) if optimizer == "sgd"
                          else torch.optim.Adam(params, lr=1.0))
        with torch.no_grad():
            self.model.weight.fill_(-1)
        args = dict(checkpoint_every=5, follow=False)
        args.update(guard_args)
        self.guard = losswatch.Guard("run-g", model=self.model, optimizer=self.optimizer, action=action, **args)
        self.step = -1

    def run_to(self, last):
        acts = []
        while self.step < last and not self.guard.stopped:
            self.step += 1
            with torch.no_grad():
                self.model.weight.fill_(self.step)
            act = self.guard.after_step(self.step)
            if act is not None:
                acts.append(act)
        return acts

    def weight(self):
        return float(self.model.weight[0, 0])


def alert(onset, step, type_="LOSS_BLOWUP", status="firing", severity="critical", run_id="run-g"):
    return {"schema": 1, "alert_id": f"{run_id}/{type_}/{onset}", "run_id": run_id, "type": type_,
            "status": status, "severity": severity, "step": step, "onset_step": onset}


def test_should_checkpoint_every_n_steps_and_keep_the_first_and_a_bounded_ring():
    loop = Loop(max_checkpoints=3)
    loop.run_to(29)
    assert loop.guard.checkpoint_steps == [0, 20, 25, 30]


def test_should_roll_back_to_the_newest_checkpoint_strictly_before_the_onset_and_lower_the_lr_tenfold():
    loop = Loop()
    loop.optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    loop.run_to(21)
    loop.guard.offer(alert(onset=15, step=18))
    act, = loop.run_to(22)
    assert (act.kind, act.checkpoint_step, act.step, act.skip_batches) == ("rollback", 10, 22, 0)
    assert loop.weight() == 9  # what step 10 started from
    assert [g["lr"] for g in loop.optimizer.param_groups] == pytest.approx([0.1, 0.05])
    assert act.learning_rate == pytest.approx(0.1)
    assert loop.guard.checkpoint_steps == [0, 5, 10]  # the abandoned trajectory's are gone
    assert "rolled back to the checkpoint of step 10, learning rate 1 -> 0.1" in act.message
    assert not loop.guard.stopped


def test_should_not_take_a_checkpoint_from_the_onset_step_itself():
    loop = Loop()
    loop.run_to(12)
    loop.guard.offer(alert(onset=10, step=12))
    act, = loop.run_to(13)
    assert act.checkpoint_step == 5


def test_should_not_act_twice_on_an_onset_before_the_last_rollback_nor_on_the_same_alert():
    loop = Loop()
    loop.run_to(21)
    loop.guard.offer(alert(onset=15, step=18, type_="LOSS_BLOWUP"))
    loop.guard.offer(alert(onset=15, step=18, type_="GRADIENT_EXPLOSION"))  # same trajectory, same batch
    assert len(loop.run_to(22)) == 1
    loop.guard.offer(alert(onset=20, step=21, type_="LOSS_EXPONENTIAL_GROWTH"))  # raised late, old trajectory
    loop.guard.offer(alert(onset=15, step=18, type_="LOSS_BLOWUP"))  # delivered again
    assert loop.run_to(30) == []
    loop.guard.offer(alert(onset=27, step=29, type_="LOSS_NON_FINITE"))  # the resumed run diverges
    act, = loop.run_to(31)
    assert act.checkpoint_step == 25 and loop.guard.rollbacks == 2
    assert loop.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)


def test_should_act_only_on_firing_critical_alerts_of_its_run():
    loop = Loop()
    loop.run_to(12)
    for a in (alert(8, 10, status="resolved"), alert(8, 10, severity="warning"), alert(8, 10, run_id="other")):
        loop.guard.offer(a)
    assert loop.run_to(14) == [] and loop.guard.rollbacks == 0


def test_should_stop_as_unrecoverable_once_the_rollback_budget_is_spent():
    loop = Loop(max_rollbacks=2)
    acts = []
    for onset in (12, 22, 32):
        acts += loop.run_to(onset + 3)
        loop.guard.offer(alert(onset, onset + 2, type_=f"T{onset}"))
    acts += loop.run_to(40)
    assert [a.kind for a in acts] == ["rollback", "rollback", "stop"]
    assert loop.guard.stopped and loop.guard.recovery_failed
    assert "2 rollbacks did not cure the run" in loop.guard.reason
    assert acts[-1].checkpoint_step == 30 and loop.weight() == 29  # stopped with the good weights
    assert loop.guard.after_step(loop.step + 1) is None


def test_should_stop_and_say_so_when_no_checkpoint_predates_the_onset():
    loop = Loop()
    loop.run_to(3)
    loop.guard.offer(alert(onset=0, step=2))
    act, = loop.run_to(4)
    assert act.kind == "stop" and act.checkpoint_step is None
    assert loop.guard.stopped and loop.guard.recovery_failed
    assert "no checkpoint from before step 0 to roll back to" in act.message


def test_should_stop_with_the_weights_from_before_the_onset_and_save_them(tmp_path):
    path = tmp_path / "good.pt"
    loop = Loop(action="stop", checkpoint_path=str(path))
    loop.run_to(17)
    loop.guard.offer(alert(onset=12, step=15))
    act, = loop.run_to(18)
    assert act.kind == "stop" and act.checkpoint_step == 10
    assert loop.guard.stopped and not loop.guard.recovery_failed
    saved = torch.load(path)
    assert float(saved["model"]["weight"][0, 0]) == 9 and saved["checkpoint_step"] == 10
    assert saved["alert"]["onset_step"] == 12 and saved["run_id"] == "run-g"
    assert loop.optimizer.param_groups[0]["lr"] == 1.0  # stop does not touch the learning rate


def test_should_tell_the_loop_to_skip_the_batches_from_the_checkpoint_through_the_alert():
    loop = Loop(action="skip")
    loop.run_to(24)
    loop.guard.offer(alert(onset=18, step=21))
    act, = loop.run_to(25)
    assert (act.kind, act.checkpoint_step, act.skip_batches) == ("skip", 15, 7)  # steps 15..21
    assert "skipping 7 batches" in act.message and loop.weight() == 14


def test_should_mark_the_resume_on_the_open_reporter_of_the_same_run(fake_kafka):
    reporter = losswatch.Reporter("run-g", connect_timeout=None)
    try:
        loop = Loop(action="skip")
        loop.run_to(24)
        reporter.report(24, 1.0)
        loop.guard.offer(alert(onset=18, step=21))
        loop.run_to(25)
        reporter.report(25, 1.0)
        reporter.report(26, 1.0)
    finally:
        reporter.close()
    events = [e for _, _, e in fake_kafka[0].records]
    assert [(e["step"], e.get("resumed_from"), e.get("skipped_batches")) for e in events] == [
        (24, None, None), (25, 15, 7), (26, None, None)]


def test_should_restore_the_optimizer_state_and_lower_a_schedulers_base_lrs():
    loop = Loop(optimizer="adam")
    scheduler = torch.optim.lr_scheduler.StepLR(loop.optimizer, step_size=1000, gamma=0.5)
    loop.guard.scheduler = scheduler
    x = torch.ones(4, 2)
    for step in range(12):
        loop.optimizer.zero_grad()
        loop.model(x).pow(2).mean().backward()
        loop.optimizer.step()
        scheduler.step()
        if step == 9:
            kept = loop.optimizer.state_dict()["state"][0]["exp_avg"].clone()
        loop.guard.after_step(step)
    loop.guard.offer(alert(onset=11, step=11))
    act = loop.guard.after_step(12)
    assert act.checkpoint_step == 10
    assert torch.equal(loop.optimizer.state_dict()["state"][0]["exp_avg"], kept)
    assert scheduler.base_lrs == pytest.approx([0.1])
    scheduler.step()
    assert loop.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)


def test_should_not_keep_a_checkpoint_of_non_finite_weights():
    loop = Loop()
    loop.run_to(3)
    with torch.no_grad():
        loop.model.weight.fill_(float("nan"))
    assert loop.guard.checkpoint(4) is False and loop.guard.checkpoint_steps == [0]


def test_should_wait_for_an_alert_when_asked():
    loop = Loop()
    loop.run_to(12)
    threading.Timer(0.2, loop.guard.offer, [alert(onset=8, step=11)]).start()
    act = loop.guard.after_step(13, wait=5)
    assert act is not None and act.checkpoint_step == 5


def test_should_refuse_an_unknown_action_in_one_sentence():
    with pytest.raises(ValueError, match="action 'restart' is not one of stop, rollback, skip"):
        losswatch.Guard("r", model=torch.nn.Linear(1, 1), action="restart", follow=False)
