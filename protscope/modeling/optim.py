"""Optimizers and learning-rate schedulers: registries over torch.optim, and the LR preview.

Every scheduler except reduce-on-plateau steps once per optimizer update; their periods are given
in epochs and converted with the number of updates per epoch, so the curve is the same whatever
the batch size (the plain warm-up's length is in updates, as the course's exercise states it).
`lr_schedule` steps the real torch scheduler on a dummy parameter: the preview is exactly what
training will do. Each spec declares the config fields its builder reads.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.optim import lr_scheduler as sched


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    title: str
    help: str
    params: tuple[str, ...]  # OptimizerConfig fields its builder reads (for a torch class: its arguments)
    torch_class: type[torch.optim.Optimizer] | None = None  # built as torch_class(weights, **keyword_args)
    build: Callable[..., torch.optim.Optimizer] | None = None  # else build(model, cfg)
    native_weight_decay: bool = True  # False: the trainer adds weight decay as an L2 term
    fixed: tuple[tuple[str, object], ...] = ()  # constant torch_class arguments, e.g. (("amsgrad", True),)

    def reads(self) -> tuple[str, ...]:
        """Every OptimizerConfig field a run reads for it: its builder's, and weight decay as an L2 term."""
        return self.params if self.native_weight_decay else (*self.params, "weight_decay")


def keyword_args(spec: OptimizerSpec, c) -> dict:
    """The torch.optim keyword arguments of the fields `spec` declares (the export writes the same)."""
    args = {}
    for name in spec.params:
        if name in ("beta1", "beta2"):
            args["betas"] = (c.beta1, c.beta2)
        elif name == "nesterov":  # torch refuses Nesterov without momentum
            args["nesterov"] = c.nesterov and c.momentum > 0
        else:
            args[name] = getattr(c, name)
    return {**args, **dict(spec.fixed)}


class MuonWithAdamW(torch.optim.Optimizer):
    """Muon for 2-D hidden weight matrices, AdamW for everything else (embeddings, biases, the head).

    Muon's learning rate is scaled to match AdamW's update size ("match_rms_adamw"), so one
    learning rate serves both. The schedulers see the param groups of both optimizers.
    """

    def __init__(self, matrices, others, c):
        self.muon = torch.optim.Muon(matrices, lr=c.lr, weight_decay=c.weight_decay, momentum=c.momentum,
                                     nesterov=c.nesterov, adjust_lr_fn="match_rms_adamw") if matrices else None
        self.adamw = torch.optim.AdamW(others, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps,
                                       weight_decay=c.weight_decay) if others else None
        super().__init__(list(matrices) + list(others), {"lr": c.lr})
        self.param_groups = [g for opt in self.parts() for g in opt.param_groups]

    def parts(self):
        return [opt for opt in (self.muon, self.adamw) if opt is not None]

    @torch.no_grad()
    def step(self, closure=None):
        for opt in self.parts():
            opt.step()

    def zero_grad(self, set_to_none: bool = True):
        for opt in self.parts():
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return {"muon": self.muon.state_dict() if self.muon else None,
                "adamw": self.adamw.state_dict() if self.adamw else None}

    def load_state_dict(self, state):
        for name, opt in (("muon", self.muon), ("adamw", self.adamw)):
            if opt is not None:
                opt.load_state_dict(state[name])


def _muon(model: nn.Module, c):
    head = getattr(model, "head", None)
    head_params = {id(p) for p in head.parameters()} if head is not None else set()
    matrices, others = [], []
    for module in model.modules():
        for p in module.parameters(recurse=False):
            is_hidden_matrix = (isinstance(module, nn.Linear) and p.ndim == 2 and id(p) not in head_params)
            (matrices if is_hidden_matrix else others).append(p)
    return MuonWithAdamW(matrices, others, c)


ADAM = ("lr", "beta1", "beta2", "eps", "weight_decay")

OPTIMIZERS: dict[str, OptimizerSpec] = {
    s.name: s for s in [
        OptimizerSpec("sgd", "SGD (with momentum)", "Step against the gradient; momentum smooths the steps.",
                      ("lr", "momentum", "weight_decay", "nesterov"), torch.optim.SGD),
        OptimizerSpec("adam", "Adam", "Per-weight step sizes from running means of the gradient and its "
                      "square.", ADAM, torch.optim.Adam),
        OptimizerSpec("adamw", "AdamW", "Adam with weight decay applied directly to the weights.", ADAM,
                      torch.optim.AdamW),
        OptimizerSpec("amsgrad", "AdamW (AMSGrad)", "AdamW that never lets a weight's step size grow back: it "
                      "keeps the largest running mean of squared gradients.", ADAM, torch.optim.AdamW,
                      fixed=(("amsgrad", True),)),
        OptimizerSpec("radam", "RAdam", "Adam with a warm-up built in (rectified variance).", ADAM,
                      torch.optim.RAdam),
        OptimizerSpec("nadam", "NAdam", "Adam with Nesterov momentum.", ADAM, torch.optim.NAdam),
        OptimizerSpec("adamax", "Adamax", "Adam using the largest past gradient instead of the mean square.", ADAM,
                      torch.optim.Adamax),
        OptimizerSpec("adagrad", "Adagrad", "Step sizes shrink for weights that have had large gradients.",
                      ("lr", "eps", "weight_decay"), torch.optim.Adagrad),
        OptimizerSpec("rmsprop", "RMSprop", "Divide each step by a running mean of the squared gradient.",
                      ("lr", "alpha", "eps", "momentum", "weight_decay"), torch.optim.RMSprop),
        OptimizerSpec("adadelta", "Adadelta", "Like RMSprop, with step sizes from past updates (try lr 1.0).",
                      ("lr", "eps", "weight_decay"), torch.optim.Adadelta),
        OptimizerSpec("adafactor", "Adafactor", "Memory-light Adam with factored second moments (try lr 0.01).",
                      ("lr", "weight_decay"), torch.optim.Adafactor),
        OptimizerSpec("asgd", "Averaged SGD", "SGD that also keeps a running average of the weights.",
                      ("lr", "weight_decay"), torch.optim.ASGD),
        OptimizerSpec("rprop", "Rprop", "Uses only the sign of the gradient; meant for full batches.", ("lr",),
                      torch.optim.Rprop, native_weight_decay=False),
        OptimizerSpec("muon", "Muon (+ AdamW)", "Orthogonalised momentum for hidden weight matrices; AdamW "
                      "for the rest.", ("lr", "momentum", "nesterov", "beta1", "beta2", "eps", "weight_decay"),
                      build=_muon),
    ]
}


FUSED = {"sgd", "adam", "adamw", "adagrad"}  # one kernel for all weights; the others take foreach


def make_optimizer(model: nn.Module, cfg) -> torch.optim.Optimizer:
    """The optimizer `cfg.name` over the model's trainable weights.

    Same update, fewer kernel launches: fused kernels where torch has them (2.6x faster Adam steps
    on the eSOL MLP), else the multi-tensor (foreach) implementation.
    """
    spec = OPTIMIZERS[cfg.name]
    if spec.build is not None:
        return spec.build(model, cfg)
    params = [p for p in model.parameters() if p.requires_grad]
    speed = {"fused": True} if cfg.name in FUSED else {"foreach": True}
    return spec.torch_class(params, **keyword_args(spec, cfg), **speed)


# --- schedulers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SchedulerSpec:
    name: str
    title: str
    help: str
    build: Callable[..., object]  # build(optimizer, cfg, lr, epochs, steps_per_epoch) -> scheduler or None
    params: tuple[str, ...] = ()  # SchedulerConfig fields the builder reads
    per_epoch: bool = False  # stepped once per epoch with the monitored metric
    in_updates: tuple[str, ...] = ()  # params counted in optimizer updates rather than epochs


def _warmup_cosine(opt, c, lr, epochs, spe):
    total, warm = epochs * spe, min(int(round(c.warmup_epochs * spe)), epochs * spe - 1)
    cosine = sched.CosineAnnealingLR(opt, T_max=max(total - warm, 1), eta_min=c.min_lr)
    if warm <= 0:
        return cosine
    warmup = sched.LinearLR(opt, start_factor=1e-3, end_factor=1.0, total_iters=warm)
    return sched.SequentialLR(opt, [warmup, cosine], milestones=[warm])


def _warmup(opt, c, lr, epochs, spe):
    start, steps = c.warmup_start_lr, c.warmup_steps
    # LambdaLR multiplies lr by the factor: start at update 0, rising in a straight line to lr at `steps`, then lr.
    return sched.LambdaLR(opt, lambda update: (start + (lr - start) * min(update, steps) / steps) / lr)


SCHEDULERS: dict[str, SchedulerSpec] = {
    s.name: s for s in [
        SchedulerSpec("none", "Constant", "The learning rate never changes.", lambda *a: None),
        SchedulerSpec("step", "Step decay", "Multiply by gamma every step_size epochs.",
                      lambda o, c, lr, e, spe: sched.StepLR(o, step_size=c.step_size * spe, gamma=c.gamma),
                      ("step_size", "gamma")),
        SchedulerSpec("multistep", "Multi-step decay", "Multiply by gamma at each milestone epoch.",
                      lambda o, c, lr, e, spe: sched.MultiStepLR(o, [m * spe for m in c.milestones], gamma=c.gamma),
                      ("milestones", "gamma")),
        SchedulerSpec("exponential", "Exponential decay", "Multiply by exp_gamma every epoch, smoothly.",
                      lambda o, c, lr, e, spe: sched.ExponentialLR(o, gamma=c.exp_gamma ** (1 / spe)),
                      ("exp_gamma",)),
        SchedulerSpec("cosine", "Cosine annealing", "Glide from the learning rate down to min_lr along a cosine.",
                      lambda o, c, lr, e, spe: sched.CosineAnnealingLR(o, T_max=e * spe, eta_min=c.min_lr),
                      ("min_lr",)),
        SchedulerSpec("warmup_cosine", "Linear warm-up, then cosine", "Ramp up for warmup_epochs, then cosine "
                      "down to min_lr.", _warmup_cosine, ("warmup_epochs", "min_lr")),
        SchedulerSpec("warmup", "Linear warm-up, then constant", "Start at warmup_start_lr and rise in a straight "
                      "line to the learning rate over warmup_steps updates; then keep it.", _warmup,
                      ("warmup_steps", "warmup_start_lr"), in_updates=("warmup_steps",)),
        SchedulerSpec("onecycle", "One-cycle", "Rise to max_lr, then anneal far below the start (Smith 2018).",
                      lambda o, c, lr, e, spe: sched.OneCycleLR(o, max_lr=c.max_lr, total_steps=e * spe,
                                                                pct_start=c.pct_start, cycle_momentum=False),
                      ("max_lr", "pct_start")),
        SchedulerSpec("cyclic", "Cyclic (triangular)", "Bounce between the learning rate and max_lr.",
                      lambda o, c, lr, e, spe: sched.CyclicLR(o, base_lr=lr, max_lr=c.max_lr, cycle_momentum=False,
                                                              step_size_up=max(1, int(round(c.cycle_epochs * spe)))),
                      ("max_lr", "cycle_epochs")),
        SchedulerSpec("plateau", "Reduce on plateau", "Cut the learning rate when the monitored validation "
                      "metric stops improving.",
                      lambda o, c, lr, e, spe, mode="min": sched.ReduceLROnPlateau(
                          o, mode=mode, factor=c.plateau_factor, patience=c.plateau_patience),
                      ("plateau_factor", "plateau_patience"), per_epoch=True),
    ]
}


def make_scheduler(optimizer, cfg, lr: float, epochs: int, steps_per_epoch: int, mode: str = "min"):
    spec = SCHEDULERS[cfg.name]
    if spec.per_epoch:
        return spec.build(optimizer, cfg, lr, epochs, steps_per_epoch, mode=mode)
    return spec.build(optimizer, cfg, lr, epochs, max(steps_per_epoch, 1))


def lr_schedule(config, steps_per_epoch: int, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(epoch, learning rate) at every optimizer update of a run, from the real torch scheduler.

    Periods are in epochs, so for long runs fewer updates per epoch are simulated (at most
    `max_points` in all): same curve, less work; lengths in updates (`in_updates`) shrink in proportion,
    to the nearest simulated update. Reduce-on-plateau depends on validation results, so its preview is
    the constant starting rate.
    """
    epochs = config.training.epochs
    spe = max(1, min(steps_per_epoch, math.ceil(max_points / epochs)))
    cfg, share = config.scheduler, spe / max(steps_per_epoch, 1)
    if share < 1:
        cfg = cfg.replace(**{name: max(1, round(getattr(cfg, name) * share))
                             for name in SCHEDULERS[cfg.name].in_updates})
    model = nn.Linear(2, 2)
    optimizer = make_optimizer(model, config.optimizer)
    scheduler = make_scheduler(optimizer, cfg, config.optimizer.lr, epochs, spe)
    stepwise = scheduler is not None and not SCHEDULERS[config.scheduler.name].per_epoch
    rates = []
    for _ in range(epochs * spe):
        rates.append(optimizer.param_groups[0]["lr"])
        if stepwise:
            optimizer.step()
            scheduler.step()
    return np.arange(epochs * spe) / spe, np.asarray(rates)
