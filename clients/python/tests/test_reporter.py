import logging
import os
import re
import subprocess
import sys
import threading
import time

import pytest

import losswatch
from conftest import PACKAGE_ROOT, free_port, wait_for


def test_should_say_in_one_sentence_that_no_broker_answered():
    port = free_port()
    started = time.monotonic()
    with pytest.raises(losswatch.BrokerUnreachableError) as e:
        losswatch.Reporter("r", bootstrap_servers=f"127.0.0.1:{port}", connect_timeout=1)
    assert str(e.value) == (f"no Kafka broker answered at 127.0.0.1:{port} within 1 s: start one "
                            "(./losswatch broker) or pass the right bootstrap_servers")
    assert time.monotonic() - started < 5


def test_should_send_events_keyed_by_run_id_with_an_idempotent_producer(fake_kafka):
    with losswatch.Reporter("run-a", labels={"model": "cnn"}, connect_timeout=None) as r:
        assert r.report(0, 2.3, grad_norm=0.5, labels={"optimizer": "adam"})
        assert r.report(1, float("nan"))
    producer = fake_kafka[0]
    assert producer.conf["enable.idempotence"] is True and producer.conf["acks"] == "all"
    (topic, key, first), (_, _, second) = producer.records
    assert (topic, key) == ("training.metrics", b"run-a")
    assert first["step"] == 0 and first["grad_norm"] == 0.5
    assert first["labels"] == {"model": "cnn", "optimizer": "adam"} and second["labels"] == {"model": "cnn"}
    assert r.sent == 2 and r.dropped == 0


def test_should_let_kafka_settings_override_its_own(fake_kafka):
    losswatch.Reporter("r", kafka={"linger.ms": 0, "security.protocol": "SSL"}, connect_timeout=None).close()
    assert fake_kafka[0].conf["linger.ms"] == 0 and fake_kafka[0].conf["security.protocol"] == "SSL"


def test_should_carry_resumed_from_on_the_next_step_only(fake_kafka):
    with losswatch.Reporter("r", connect_timeout=None) as r:
        r.report(7, 1.0)
        r.note_resume(5, skipped_batches=3)
        r.report(8, 1.0)
        r.report(9, 1.0)
        r.report(10, 1.0, resumed_from=2)
    events = [e for _, _, e in fake_kafka[0].records]
    assert [e.get("resumed_from") for e in events] == [None, 5, None, 2]
    assert [e.get("skipped_batches") for e in events] == [None, 3, None, None]


def test_should_count_an_invalid_step_and_never_raise_it_into_the_loop(fake_kafka, caplog):
    with losswatch.Reporter("r", connect_timeout=None) as r:
        assert r.report(-1, 1.0)  # queued; found invalid on the sending thread
        r.report(-2, 1.0)
        r.report(3, "high")
        r.report(4, 1.0)
    assert r.invalid == 3 and r.sent == 1
    assert sum("step -1 is not sent: step must be >= 0" in m for m in caplog.messages) == 1


def test_should_drop_and_count_steps_when_no_broker_takes_them_without_slowing_the_loop(caplog):
    caplog.set_level(logging.WARNING, logger="losswatch")
    r = losswatch.Reporter("r", bootstrap_servers=f"127.0.0.1:{free_port()}", connect_timeout=None, max_queued=10)
    started = time.perf_counter()
    accepted = [r.report(step, 1.0) for step in range(50)]
    elapsed = time.perf_counter() - started
    wait_for("the sending thread to take the queued steps", lambda: r.pending <= 10 and not r._steps, 5)
    accepted += [r.report(step, 1.0) for step in range(50, 100)]
    r.close(timeout=0.5)
    assert elapsed < 0.05, f"50 reports took {elapsed * 1e3:.1f} ms"
    assert accepted.count(False) >= 80  # 10 waiting here, 10 in the producer at most
    assert r.sent == 0 and r.dropped == 100
    assert sum("is full: steps are dropped" in m for m in caplog.messages) == 1
    assert any(re.fullmatch(r"losswatch: run r: \d+ steps? not sent to Kafka at 127\.0\.0\.1:\d+ within 0\.5 s", m)
               for m in caplog.messages)


def test_should_send_a_step_reported_while_the_sending_thread_finishes_a_cycle(fake_kafka):
    r = losswatch.Reporter("r", connect_timeout=None)
    producer = fake_kafka[0]
    plain_poll = producer.poll
    closing = []

    def poll(timeout=0):  # the sending thread, after it drained the queue and before it looks at close()
        if not closing:
            r.report(0, 1.0)
            closing.append(threading.Thread(target=r.close))
            closing[0].start()
            wait_for("close() to ask the sending thread to stop", r._stop.is_set, 5, 0.001)
        return plain_poll(timeout)

    producer.poll = poll
    wait_for("the sending thread to run a cycle", lambda: closing, 5)
    closing[0].join(10)
    assert [rec[2]["step"] for rec in producer.records] == [0]
    assert r.sent == 1 and r.dropped == 0


def test_should_count_a_step_reported_after_close(fake_kafka):
    r = losswatch.Reporter("r", connect_timeout=None)
    r.close()
    assert r.report(1, 1.0) is False and r.dropped == 1


def test_should_close_a_reporter_left_open_when_the_interpreter_exits():
    script = ("import losswatch\n"
              f"r = losswatch.Reporter('left-open', bootstrap_servers='127.0.0.1:{free_port()}', connect_timeout=None)\n"
              "r.report(0, 1.0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=PACKAGE_ROOT))
    assert done.returncode == 0
    assert "losswatch: run left-open: 1 step not sent to Kafka" in done.stderr, done.stderr


def test_should_send_a_learning_rate_below_zero_and_say_so_once(fake_kafka, caplog):
    caplog.set_level(logging.WARNING, logger="losswatch")
    with losswatch.Reporter("decay", connect_timeout=None) as r:
        r.report(149, 1.0, learning_rate=0.0)
        r.report(150, 1.1, learning_rate=-0.0002)
        r.report(151, 1.2, learning_rate=-0.0004)
    assert [e["learning_rate"] for _, _, e in fake_kafka[0].records] == [0.0, -0.0002, -0.0004]
    said = [m for m in caplog.messages if "below zero" in m]
    assert said == ["losswatch: run decay: learning_rate -0.0002 at step 150 is below zero: every step climbs "
                    "the loss (a schedule run past its end?)"]
