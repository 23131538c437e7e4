"""Real PyTorch runs against a real broker and the real monitor, started by the test session."""
import logging
import math
import os
import statistics
import subprocess
import sys
import threading

import pytest

torch = pytest.importorskip("torch")

import losswatch  # noqa: E402
from _training import dataset, train  # noqa: E402
from conftest import REPO_ROOT, free_port, read_records, start_broker, wait_for  # noqa: E402

pytestmark = pytest.mark.integration

CRITICAL_TYPES = {"LOSS_BLOWUP", "LOSS_EXPONENTIAL_GROWTH", "GRADIENT_EXPLOSION", "TRAINING_COLLAPSED",
                  "LOSS_NON_FINITE"}


@pytest.fixture(scope="module")
def data():
    return dataset()


def firing(alerts):
    return [a for a in alerts if a.get("status") == "firing" and a.get("severity") == "critical"]


def test_should_alert_on_a_run_whose_adam_learning_rate_is_far_too_high(monitor, data):
    run = train("py-adam-lr1", monitor.servers, lr=1.0, steps=60, data=data)
    assert run.reporter.sent == 60 and run.reporter.dropped == 0
    alerts = read_records(monitor.servers, "training.alerts", "py-adam-lr1", lambda a: firing(a), 60)
    first = firing(alerts)[0]
    assert first["type"] in CRITICAL_TYPES and first["onset_step"] <= 5
    assert first["diagnosis"]["cause"] == "LEARNING_RATE_TOO_HIGH"


def test_should_roll_back_and_train_the_loss_below_its_value_at_the_alert(monitor, data):
    run = train("py-adam-lr1-rollback", monitor.servers, lr=1.0, steps=200, action="rollback", data=data)
    assert run.actions, "the guard acted"
    act = run.actions[0]
    assert act.kind == "rollback" and act.checkpoint_step < act.alert["onset_step"]
    assert act.learning_rate == pytest.approx(0.1)
    after = run.loss_after(act.step)
    assert all(math.isfinite(v) for v in after), "no NaN after the rollback"
    at_alert = run.losses[act.alert["step"]]
    assert statistics.mean(after[-20:]) < at_alert, (at_alert, after[-20:])
    events = read_records(monitor.servers, "training.metrics", "py-adam-lr1-rollback",
                          lambda e: any(x["step"] == act.step + 1 for x in e), 30)
    resumed = [e for e in events if "resumed_from" in e]
    assert [(e["step"], e["resumed_from"]) for e in resumed][:1] == [(act.step + 1, act.checkpoint_step)]


def test_should_skip_batches_and_report_them_on_the_first_step_after(monitor, data):
    run = train("py-adam-lr1-skip", monitor.servers, lr=1.0, steps=120, action="skip", data=data)
    act = run.actions[0]
    assert act.kind == "skip" and act.skip_batches == act.alert["step"] - act.checkpoint_step + 1 > 0
    assert run.skipped >= act.skip_batches
    events = read_records(monitor.servers, "training.metrics", "py-adam-lr1-skip",
                          lambda e: any(x["step"] == act.step + 1 for x in e), 30)
    first_after = next(e for e in events if e["step"] == act.step + 1)
    assert first_after["resumed_from"] == act.checkpoint_step
    assert first_after["skipped_batches"] == act.skip_batches


# at Adam 1e-3 this CNN's gradient norm grows 20x its early level while its loss falls: learning, no alert
@pytest.mark.parametrize("lr", [1e-4, 1e-3])
def test_should_neither_alert_nor_act_on_a_healthy_run(monitor, data, lr):
    run_id = f"py-adam-healthy-{lr:g}"
    run = train(run_id, monitor.servers, lr=lr, steps=150, action="rollback", data=data)
    wait_for("the monitor to process the run's last step", lambda: monitor.last_step(run_id) == 149, 60)
    # an alert is committed with the step that raised it: once the step is processed, it is readable
    alerts = read_records(monitor.servers, "training.alerts", run_id, lambda a: False, 3)
    assert alerts == [] and run.actions == [] and not run.stopped
    losses = list(run.losses.values())
    assert statistics.mean(losses[-20:]) < statistics.mean(losses[:5]), "it learns"


def test_should_say_in_one_sentence_that_the_broker_is_down_when_training_starts():
    port = free_port()
    script = os.path.join(REPO_ROOT, "examples", "pytorch", "train_fmnist.py")
    done = subprocess.run([sys.executable, script, "--run-id", "py-no-broker", "--steps", "5",
                           "--bootstrap-servers", f"127.0.0.1:{port}", "--connect-timeout", "2"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"train_fmnist.py: no Kafka broker answered at 127.0.0.1:{port} within 2 s: start one (./losswatch broker) "
        "or pass the right --bootstrap-servers"], done.stderr
    with pytest.raises(losswatch.BrokerUnreachableError):
        losswatch.Guard("py-no-broker", bootstrap_servers=f"127.0.0.1:{port}", model=torch.nn.Linear(1, 1),
                        connect_timeout=1)


def test_should_keep_training_at_full_speed_while_the_broker_is_away_and_send_the_steps_later(tmp_path, data):
    from confluent_kafka.admin import AdminClient, NewTopic

    broker = start_broker(str(tmp_path / "broker"))
    restarted = {}
    try:
        admin = AdminClient({"bootstrap.servers": broker.servers, "logger": logging.getLogger("test.admin")})
        admin.create_topics([NewTopic("training.metrics", 1, 1)])["training.metrics"].result(30)
        del admin
        stopping = threading.Thread(target=broker.process.stop, daemon=True)

        def restart():
            stopping.join()
            try:
                restarted["broker"] = start_broker(broker.data_dir, port=broker.port)
            except BaseException as e:  # said by the wait below
                restarted["error"] = e

        def between(step):
            if step == AWAY_FROM - 1:
                stopping.start()
            if step == BACK_FROM - 1:
                threading.Thread(target=restart, daemon=True).start()

        run = train("py-broker-away", broker.servers, lr=1e-4, steps=STEPS, data=data, between_steps=between)
        times = run.step_seconds
        up, away = statistics.median(times[10:AWAY_FROM]), statistics.median(times[AWAY_FROM + 10:BACK_FROM])
        print(f"median step {up * 1e3:.2f} ms with the broker, {away * 1e3:.2f} ms without it, "
              f"longest without {max(times[AWAY_FROM:BACK_FROM]) * 1e3:.1f} ms")
        assert away < up * 1.5 + 0.002, f"median step {up * 1e3:.1f} ms with the broker, {away * 1e3:.1f} ms without"
        assert max(times[AWAY_FROM:BACK_FROM]) < 0.5, "no step waited for Kafka"
        wait_for("the broker to be back", lambda: restarted.get("broker") or restarted.get("error"), 60)
        assert "error" not in restarted, restarted.get("error")
        # close() waited up to 30 s: the restarted broker took every step, once and in order
        assert run.reporter.sent == STEPS and run.reporter.dropped == 0
        events = read_records(broker.servers, "training.metrics", "py-broker-away", lambda e: len(e) >= STEPS, 60)
        assert [e["step"] for e in events] == list(range(STEPS))
    finally:
        broker.process.stop()
        if restarted.get("broker"):
            restarted["broker"].process.stop()


# the broker goes away after step 59 and is started again before step 300
AWAY_FROM, BACK_FROM, STEPS = 60, 300, 340
