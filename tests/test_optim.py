"""mnistlab's optimizers and schedule against torch.optim, the reference they replace (see train/optim.py)."""

import copy
import subprocess
import sys

import pytest
import torch

from mnistlab.config import TrainConfig
from mnistlab.train.optim import lr_factor, make_optimizer, make_schedule

CASES = {
    "sgd": dict(optimizer="sgd", momentum=0.0),
    "sgd momentum + decay": dict(optimizer="sgd", momentum=0.9, weight_decay=1e-3),
    "sgd nesterov": dict(optimizer="sgd", momentum=0.8, nesterov=True),
    "adam": dict(optimizer="adam", beta_1=0.85, beta_2=0.99),
    "adam + L2": dict(optimizer="adam", weight_decay=1e-2),
    "adamw": dict(optimizer="adamw", weight_decay=1e-2),
    "rmsprop": dict(optimizer="rmsprop", momentum=0.0),
    "rmsprop momentum": dict(optimizer="rmsprop", momentum=0.5, weight_decay=1e-3),
    "adadelta": dict(optimizer="adadelta", rho=0.8, weight_decay=1e-3, learning_rate=1.0),
}


def reference(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    lr, wd = cfg.learning_rate, cfg.weight_decay
    return {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=wd),
        "adam": lambda: torch.optim.Adam(params, lr=lr, betas=(cfg.beta_1, cfg.beta_2), weight_decay=wd),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, betas=(cfg.beta_1, cfg.beta_2), weight_decay=wd),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd),
        "adadelta": lambda: torch.optim.Adadelta(params, lr=lr, rho=cfg.rho, weight_decay=wd),
    }[cfg.optimizer]()


def net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 3))


def train(model, optimizer, schedule, steps=6):
    torch.manual_seed(1)
    for _ in range(steps):
        x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()


@pytest.mark.parametrize("case", CASES)
def test_each_optimizer_follows_torch_optim(case):
    cfg = TrainConfig(**{"learning_rate": 0.05, "schedule": "one_cycle", **CASES[case]})
    ours, theirs = net(), net()
    opt = make_optimizer(ours.parameters(), cfg)
    ref = reference(theirs.parameters(), cfg)
    train(ours, opt, make_schedule(opt, 3, cfg))
    train(theirs, ref, torch.optim.lr_scheduler.LambdaLR(ref, lambda step: lr_factor(step, 3, cfg)))
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert opt.param_groups[0]["lr"] == pytest.approx(ref.param_groups[0]["lr"])
    # the same state under the same names, so checkpoints written by either load into ours
    ref_state = ref.state_dict()["state"]
    for i, s in opt.state_dict()["state"].items():
        assert set(s) == {k for k, v in ref_state[i].items() if v is not None}
        for k, v in s.items():
            torch.testing.assert_close(v, ref_state[i][k], rtol=1e-6, atol=1e-7)


def test_state_dict_round_trip_continues_exactly():
    cfg = TrainConfig(optimizer="adam", learning_rate=0.01)
    straight = net()
    opt = make_optimizer(straight.parameters(), cfg)
    sched = make_schedule(opt, 4, cfg)
    train(straight, opt, sched, steps=3)
    saved_model = {k: v.clone() for k, v in straight.state_dict().items()}
    saved_opt, saved_sched = copy.deepcopy(opt.state_dict()), sched.state_dict()  # as a checkpoint file holds them
    train(straight, opt, sched, steps=3)

    resumed = net(seed=5)  # other starting weights: everything must come from the saved state
    resumed.load_state_dict(saved_model)
    opt2 = make_optimizer(resumed.parameters(), cfg)
    sched2 = make_schedule(opt2, 4, cfg)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert sched2.last_epoch == 3
    train(resumed, opt2, sched2, steps=3)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_training_does_not_import_the_compiler(tmp_path, tiny_idx_dir):
    """The point of our own optimizers: torch._dynamo costs seconds to import and training never uses it."""
    argv = ["train", "--dataset", f"idx:{tiny_idx_dir}", "--epochs", "1", "--out", str(tmp_path / "r"), "--quiet"]
    code = f"import sys\nfrom mnistlab.cli import main\nassert main({argv!r}) == 0\nprint('torch._dynamo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "r" / "result.json").is_file()
    assert out.stdout.strip().splitlines()[-1] == "False"
