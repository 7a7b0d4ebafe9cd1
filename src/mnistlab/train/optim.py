"""Optimizers and learning-rate schedules by name, in the notes' (Keras) vocabulary.

Why not `torch.optim`: the first `torch.optim` optimizer a process makes imports `torch._dynamo`
(torch.compile's machinery), which took 2.3 s on a 2-core AVX2 machine: a quarter of the default run's
time budget, for a compiler it never uses (benchmarks/RESULTS.md). So the five update rules are written
here with the same `torch._foreach_*` kernels, in the same order, as torch.optim's multi-tensor path;
tests/test_optim.py checks each against torch.optim step by step. The state and the state_dict keep
torch.optim's names (`step`, `exp_avg`, `momentum_buffer`, ...), so checkpoints are unchanged.

Schedules are a per-step multiplier on `learning_rate`, so their whole state is the step count and a
resumed run continues the curve exactly.
"""

from __future__ import annotations

import math

import torch

from mnistlab.config import TrainConfig

ONE_CYCLE_DIV = 25  # one_cycle starts at learning_rate / 25, as PyTorch's OneCycleLR (div_factor)


class Optimizer:
    """One group of parameters, updated in place by `update` from their gradients.

    `param_groups[0]["lr"]` is the learning rate the next step uses (the schedule sets it); `state[i]`
    holds parameter i's running averages, created on its first step."""

    def __init__(self, params, lr: float, weight_decay: float = 0.0, **hyper):
        self.params = list(params)
        self.param_groups = [{"lr": lr, "weight_decay": weight_decay, **hyper}]
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Drop the gradients (None, not zeros: the next backward pass writes them afresh)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        params, grads = [self.params[i] for i in live], [self.params[i].grad for i in live]
        group = self.param_groups[0]
        if group["weight_decay"] and not group.get("decoupled"):  # L2: the decay joins the gradient
            grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
        self.update(params, grads, [self.state[i] for i in live], group)

    def update(self, params: list, grads: list, states: list[dict], group: dict) -> None:
        raise NotImplementedError

    @staticmethod
    def _buffers(states: list[dict], name: str, like: list) -> list[torch.Tensor]:
        """Each parameter's `name` running buffer, zeros on its first step."""
        for s, p in zip(states, like):
            if name not in s:
                s[name] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return [s[name] for s in states]

    @staticmethod
    def _count_step(states: list[dict]) -> list[float]:
        """Advance each parameter's step counter (a float tensor, as torch.optim keeps it); the new counts."""
        for s in states:
            s["step"] = s.get("step", torch.tensor(0.0)) + 1
        return [s["step"].item() for s in states]

    # -- checkpoints: the layout of torch.optim's state_dict ------------------------------------------
    def state_dict(self) -> dict:
        group = {**self.param_groups[0], "params": list(range(len(self.params)))}
        return {"state": {i: dict(s) for i, s in enumerate(self.state) if s}, "param_groups": [group]}

    def load_state_dict(self, d: dict) -> None:
        self.state = [dict(d["state"].get(i, {})) for i in range(len(self.params))]
        for s in self.state:  # a step count saved as a number (old torch.optim files) becomes a tensor
            if "step" in s and not torch.is_tensor(s["step"]):
                s["step"] = torch.tensor(float(s["step"]))
        self.param_groups[0]["lr"] = d["param_groups"][0]["lr"]


class SGD(Optimizer):
    def update(self, params, grads, states, group):
        momentum, lr = group["momentum"], group["lr"]
        if momentum:
            fresh = [not s for s in states]
            bufs = self._buffers(states, "momentum_buffer", params)
            for buf, g, new in zip(bufs, grads, fresh):
                if new:  # as torch.optim: the first buffer is the gradient itself
                    buf.copy_(g)
                else:
                    buf.mul_(momentum).add_(g)
            grads = torch._foreach_add(grads, bufs, alpha=momentum) if group["nesterov"] else bufs
        torch._foreach_add_(params, grads, alpha=-lr)


class Adam(Optimizer):
    """Adam; with `decoupled=True` AdamW (the decay shrinks the weights instead of joining the gradient)."""

    def update(self, params, grads, states, group):
        (beta1, beta2), lr, eps = group["betas"], group["lr"], group["eps"]
        if group["weight_decay"] and group.get("decoupled"):
            torch._foreach_mul_(params, 1 - lr * group["weight_decay"])
        steps = self._count_step(states)
        exp_avgs, exp_avg_sqs = self._buffers(states, "exp_avg", params), self._buffers(states, "exp_avg_sq", params)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        step_size = [-(lr / (1 - beta1 ** n)) for n in steps]
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, [(1 - beta2 ** n) ** 0.5 for n in steps])
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(params, exp_avgs, denom, step_size)


class RMSprop(Optimizer):
    def update(self, params, grads, states, group):
        alpha, lr, eps, momentum = group["alpha"], group["lr"], group["eps"], group["momentum"]
        self._count_step(states)
        square_avgs = self._buffers(states, "square_avg", params)
        torch._foreach_mul_(square_avgs, alpha)
        torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - alpha)
        avg = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(avg, eps)
        if momentum > 0:
            bufs = self._buffers(states, "momentum_buffer", params)
            torch._foreach_mul_(bufs, momentum)
            torch._foreach_addcdiv_(bufs, grads, avg)
            torch._foreach_add_(params, bufs, alpha=-lr)
        else:
            torch._foreach_addcdiv_(params, grads, avg, value=-lr)


class Adadelta(Optimizer):
    def update(self, params, grads, states, group):
        rho, lr, eps = group["rho"], group["lr"], group["eps"]
        self._count_step(states)
        square_avgs, acc_deltas = self._buffers(states, "square_avg", params), self._buffers(states, "acc_delta", params)
        torch._foreach_mul_(square_avgs, rho)
        torch._foreach_addcmul_(square_avgs, grads, grads, value=1 - rho)
        std = torch._foreach_add(square_avgs, eps)
        torch._foreach_sqrt_(std)
        deltas = torch._foreach_add(acc_deltas, eps)
        torch._foreach_sqrt_(deltas)
        torch._foreach_div_(deltas, std)
        torch._foreach_mul_(deltas, grads)
        torch._foreach_mul_(acc_deltas, rho)
        torch._foreach_addcmul_(acc_deltas, deltas, deltas, value=1 - rho)
        torch._foreach_add_(params, deltas, alpha=-lr)


def make_optimizer(params, cfg: TrainConfig) -> Optimizer:
    """The optimizer `cfg.optimizer` names; eps, alpha and the like are torch.optim's defaults."""
    lr, wd = cfg.learning_rate, cfg.weight_decay
    if cfg.optimizer == "sgd":
        return SGD(params, lr, wd, momentum=cfg.momentum, nesterov=cfg.nesterov and cfg.momentum > 0)
    if cfg.optimizer in ("adam", "adamw"):
        return Adam(params, lr, wd, betas=(cfg.beta_1, cfg.beta_2), eps=1e-8, decoupled=cfg.optimizer == "adamw")
    if cfg.optimizer == "rmsprop":
        return RMSprop(params, lr, wd, alpha=0.99, eps=1e-8, momentum=cfg.momentum)
    if cfg.optimizer == "adadelta":
        return Adadelta(params, lr, wd, rho=cfg.rho, eps=1e-6)
    raise ValueError(cfg.optimizer)  # unreachable: config validation lists the choices


def lr_factor(step: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """Multiplier on learning_rate at optimizer step `step` (0-based)."""
    total = max(1, steps_per_epoch * cfg.epochs)
    t = min(step / total, 1.0)
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "step":  # PyTorch's StepLR, counted in epochs
        return cfg.gamma ** (step // (steps_per_epoch * cfg.step_size))
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    # one_cycle: rise linearly from 1/ONE_CYCLE_DIV to 1 over the warmup fraction, then fall linearly to 0.
    if t < cfg.warmup:
        start = 1 / ONE_CYCLE_DIV
        return start + (1 - start) * t / cfg.warmup
    return max(0.0, (1.0 - t) / (1.0 - cfg.warmup))


class Schedule:
    """Sets the optimizer's learning rate to learning_rate x lr_factor(step) after every step.

    `last_epoch` counts optimizer steps, as PyTorch's LambdaLR (whose state_dict older checkpoints hold)."""

    def __init__(self, optimizer: Optimizer, steps_per_epoch: int, cfg: TrainConfig):
        self.optimizer, self.steps_per_epoch, self.cfg = optimizer, steps_per_epoch, cfg
        self.last_epoch = 0
        self._apply()

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        factor = lr_factor(self.last_epoch, self.steps_per_epoch, self.cfg)
        self.optimizer.param_groups[0]["lr"] = self.cfg.learning_rate * factor

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, d: dict) -> None:
        self.last_epoch = int(d["last_epoch"])
        self._apply()


def make_schedule(optimizer: Optimizer, steps_per_epoch: int, cfg: TrainConfig) -> Schedule:
    return Schedule(optimizer, steps_per_epoch, cfg)
