import json
import math

import pytest

from losswatch.events import encode, step_event


def test_should_build_the_documented_step_event_with_only_the_fields_given():
    e = step_event("fmnist-adam-lr1", 42, 0.731, time="2026-11-27T05:00:00.123Z", grad_norm=1.92,
                   layer_grad_norms={"0_W": 0.3}, learning_rate=0.001, param_norm=12.3, update_ratio=0.0012,
                   val_loss=0.9, epoch=3, labels={"model": "lenet5", "optimizer": "adam"})
    assert e == {"schema": 1, "run_id": "fmnist-adam-lr1", "step": 42, "time": "2026-11-27T05:00:00.123Z",
                 "loss": 0.731, "grad_norm": 1.92, "layer_grad_norms": {"0_W": 0.3}, "learning_rate": 0.001,
                 "param_norm": 12.3, "update_ratio": 0.0012, "val_loss": 0.9, "epoch": 3,
                 "labels": {"model": "lenet5", "optimizer": "adam"}}
    assert set(step_event("r", 0, 1.0)) == {"schema", "run_id", "step", "time", "loss"}


def test_should_stamp_the_time_in_rfc3339_utc_with_milliseconds():
    t = step_event("r", 0, 1.0)["time"]
    assert len(t) == 24 and t[10] == "T" and t.endswith("Z") and t[19] == "."


def test_should_write_non_finite_numbers_as_the_bare_tokens_json_dumps_writes():
    e = step_event("r", 1, float("nan"), grad_norm=float("inf"), param_norm=float("-inf"), time="t")
    text = encode(e).decode()
    assert '"loss":NaN' in text and '"grad_norm":Infinity' in text and '"param_norm":-Infinity' in text
    assert math.isnan(json.loads(text)["loss"])


@pytest.mark.parametrize("run_id", ["a", "x" * 128, "team/run:1.2_b-3"])
def test_should_accept_run_ids_of_the_contract(run_id):
    assert step_event(run_id, 0, 1.0)["run_id"] == run_id


@pytest.mark.parametrize("run_id", ["", "x" * 129, "has space", "ü", None, 7])
def test_should_refuse_run_ids_outside_the_contract_saying_what_is_allowed(run_id):
    with pytest.raises(ValueError, match=r"1-128 characters of \[A-Za-z0-9._:/-\]"):
        step_event(run_id, 0, 1.0)


@pytest.mark.parametrize("step", [-1, 1.5, "3", True, None])
def test_should_refuse_a_step_that_is_not_an_integer_at_least_zero(step):
    with pytest.raises(ValueError, match="step"):
        step_event("r", step, 1.0)


@pytest.mark.parametrize("loss", ["1.0", None, [1.0], True])
def test_should_refuse_a_loss_that_is_not_a_number(loss):
    with pytest.raises(ValueError, match="loss must be a number"):
        step_event("r", 0, loss)


def test_should_take_numbers_that_only_convert_to_float_such_as_a_0d_tensor():
    torch = pytest.importorskip("torch")
    assert step_event("r", 0, torch.tensor(2.5), grad_norm=torch.tensor(1.0))["loss"] == 2.5


def test_should_carry_resumed_from_and_skipped_batches_and_refuse_a_resume_from_the_future():
    e = step_event("r", 10, 1.0, resumed_from=5, skipped_batches=3)
    assert (e["resumed_from"], e["skipped_batches"]) == (5, 3)
    with pytest.raises(ValueError, match="resumed_from 11 is after step 10"):
        step_event("r", 10, 1.0, resumed_from=11)


def test_should_send_label_values_as_strings():
    assert step_event("r", 0, 1.0, labels={"lr": 0.1, "layers": 3})["labels"] == {"lr": "0.1", "layers": "3"}
