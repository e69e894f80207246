"""Which settings matter: derived from what each registry entry (model, encoding, loss, optimizer,
scheduler) declares its builder reads, so the dashboard shows exactly the fields a choice uses,
validation names the changed ones it ignores, and the script export passes exactly those.

    relevant_fields({"model": "cnn", "encoding": "tokens"}, "binary")   # the fields shown
    applies("embedding_dim", {"model": "cnn", "encoding": "onehot"}, "binary")  # False
    ignored_settings(config, task)   # sentences for changed settings that do nothing here
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

from protscope.config.run_config import SECTIONS, RunConfig, locate
from protscope.config.sections import TASKS
from protscope.config.setting import Section
from protscope.errors import ProtScopeError

CHOICES = ("encoding", "model", "loss", "optimizer", "scheduler")  # sections whose `name` picks a registry entry
EVERY_MODEL = ("init",)  # model fields every architecture uses (protscope.modeling.init.apply_init)
DEFAULTS = {section if f.name == "name" else f.name: f.default for section, cls in SECTIONS.items()
            for f in fields(cls)}
# Data and training fields (and EVERY_MODEL) matter always, and these only when another setting
# switches them on: field -> (that setting, is it on for this value, what to say when it is off).
SWITCHES: dict[str, tuple[str, Callable[[object], bool], str]] = {
    "patience": ("early_stopping", bool, "early_stopping is off"),
    "clip_mode": ("grad_clip", lambda clip: (clip or 0) > 0, "grad_clip is 0 (no clipping)"),
    "identity": ("split", lambda split: split == "homology", "the split is not homology-aware"),
    "init_std": ("init", lambda init: _reads_std(init), "only the normal initialisation (init normal) uses it"),
    "layer_stats_every": ("layer_stats", bool, "layer_stats is off"),
}
# A field that another one, when set and read, takes the place of: field -> (that field, what to say).
OVERRIDDEN = {"activation": ("activations", "activations names each hidden layer's own")}


def _reads_std(init: str) -> bool:
    from protscope.modeling.init import INITIALISERS  # late import: the registry imports torch

    return "std" in _entry(INITIALISERS, "init", init).reads


def applies(key: str, values: dict, task: str) -> bool:
    """Does the setting `key` (a flat name, as `with_values` takes) matter with these settings and task?

    `values` are flat settings, the choices by their section's name (values["model"] == "cnn"); missing
    ones are the defaults. `task` is binary, multiclass, regression or residue; while it is not known yet
    ("auto"), values["task"] or else every task counts.
    """
    locate(key)  # an unknown name is refused with a suggestion
    return key in relevant_fields(values, task)


def matters(section: Section, name: str, task: str = "auto", **settings) -> bool:
    """Does field `name` of `section` matter with its current values, for `task` and the flat `settings`
    of the other sections (their defaults where not given)?"""
    own = {section.section_name() if f.name == "name" else f.name: getattr(section, f.name) for f in fields(section)}
    return applies(section.section_name() if name == "name" else name, {**settings, **own}, task)


def relevant_fields(values: dict, task: str) -> set[str]:
    """The flat names of every setting that matters (see `applies`): the choices, the fields their
    registry entries read (ModelSpec.reads, Encoding.params, LossSpec.reads, OptimizerSpec.reads,
    SchedulerSpec.params), EVERY_MODEL and the data and training fields, less those SWITCHES leaves off and
    those OVERRIDDEN by a field that is set (activation, once activations names each layer's)."""
    v = {**DEFAULTS, **values}
    task = task if task in TASKS else v["task"]
    if task not in TASKS:
        return set().union(*(relevant_fields(values, t) for t in TASKS))
    from protscope.modeling.encodings import ENCODINGS  # late imports: the registries import torch
    from protscope.modeling.losses import AUTO, LOSSES
    from protscope.modeling.models import MODELS
    from protscope.modeling.optim import OPTIMIZERS, SCHEDULERS

    encoding, model = _entry(ENCODINGS, "encoding", v["encoding"]), _entry(MODELS, "model", v["model"])
    loss = _entry(LOSSES, "loss", AUTO[task] if v["loss"] == "auto" else v["loss"])
    shown = {*CHOICES, *encoding.params, *model.reads(encoding.level, task == "residue"), *loss.reads(task),
             *_entry(OPTIMIZERS, "optimizer", v["optimizer"]).reads(),
             *_entry(SCHEDULERS, "scheduler", v["scheduler"]).params}
    for section in ("data", "training"):
        shown |= {f.name for f in fields(SECTIONS[section]) if f.name not in SWITCHES}
    shown -= {key for key, (over, _) in OVERRIDDEN.items() if over in shown and v[over]}
    return shown | {*EVERY_MODEL, *(key for key, (switch, is_on, _) in SWITCHES.items() if is_on(v[switch]))}


def _entry(registry: dict, section: str, name):
    if name not in registry:
        raise ProtScopeError(f"{section} '{name}' is not one of the choices",
                             fix=f"choose one of: {', '.join(registry)}")
    return registry[name]


def ignored_settings(config: RunConfig, task: str) -> list[str]:
    """One sentence for each setting changed from its default that this configuration does not use."""
    values = config.flat()
    shown = relevant_fields(values, task)
    return [f"{key} {_words(value)} is ignored: {_why_ignored(key, values, task)}"
            for key, value in values.items() if key not in shown and value != DEFAULTS[key]]


def _words(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else "none" if value is None else str(value)


def _why_ignored(key: str, v: dict, task: str) -> str:
    from protscope.modeling.losses import AUTO, LOSSES
    from protscope.modeling.models import MODELS
    from protscope.modeling.optim import OPTIMIZERS, SCHEDULERS

    section = locate(key)[0]
    if key in SWITCHES:
        return SWITCHES[key][2]
    if key in OVERRIDDEN and v[OVERRIDDEN[key][0]]:
        return OVERRIDDEN[key][1]
    if section == "encoding":
        return f"the {v['encoding']} encoding does not use it"
    if section == "model":
        model = MODELS[v["model"]]
        if key in model.token_params:
            return f"the {model.title} uses it only with the tokens encoding"
        if key in model.pooled_params:
            return "per-residue predictions are not pooled"
        return f"the {model.title} does not use it"
    if section == "loss":
        task = task if task in TASKS else v["task"]
        if v["loss"] == "auto" and task not in TASKS:
            return "the loss that auto picks does not use it"
        name = AUTO[task] if v["loss"] == "auto" else v["loss"]
        other_tasks = key in {*LOSSES[name].params, *(LOSSES[name].binary_params or ()),
                              *(LOSSES[name].multilabel_params or ())}
        who = f"auto picks the {name} loss for a {task} task, which" if v["loss"] == "auto" else f"the {name} loss"
        return f"{who} does not use it" + (f" on a {task} task" if other_tasks and v["loss"] != "auto" else "")
    if section == "optimizer":
        return f"the {OPTIMIZERS[v['optimizer']].title} optimizer does not use it"
    return f"the {SCHEDULERS[v['scheduler']].title} schedule does not use it"
