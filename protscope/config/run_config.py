"""The run config: one frozen object made of per-part sections, validated as a whole.

    RunConfig(data, encoding, model, loss, optimizer, scheduler, training)

The UI builds it, the engine takes it once, and it is saved (as JSON) with every run and
checkpoint. `resolve(data)` fills in what depends on the loaded data (the task) and checks the
combinations that only make sense together, such as BCE on a multiclass task. Which settings
matter for the chosen model, encoding, loss, optimizer and schedule is protscope/config/relevance.py's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from protscope.config.sections import (
    CLASSIFICATION_LOSSES,
    REGRESSION_LOSSES,
    DataConfig,
    EncodingConfig,
    LossConfig,
    ModelConfig,
    OptimizerConfig,
    SchedulerConfig,
    TrainingConfig,
)
from protscope.errors import ProtScopeError

SECTIONS = {"data": DataConfig, "encoding": EncodingConfig, "model": ModelConfig, "loss": LossConfig,
            "optimizer": OptimizerConfig, "scheduler": SchedulerConfig, "training": TrainingConfig}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Frozen: change it with `replace` or `with_values`."""

    data: DataConfig = field(default_factory=DataConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def __post_init__(self):
        if self.data.task != "auto":
            check_combination(self, self.data.task)

    def to_dict(self) -> dict:
        return {name: getattr(self, name).to_dict() for name in SECTIONS}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        unknown = [k for k in values if k not in SECTIONS]
        if unknown:
            raise ProtScopeError(f"unknown config section '{unknown[0]}'",
                                 fix=f"sections are: {', '.join(SECTIONS)}")
        return cls(**{name: SECTIONS[name].from_dict(values.get(name)) for name in SECTIONS})

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtScopeError(f"the config is not valid JSON ({exc.msg})", where=f"line {exc.lineno}",
                                 fix="check the file's brackets, quotes and commas") from None
        if not isinstance(values, dict):
            raise ProtScopeError("the config must be a JSON object of sections", fix="see a saved config.json")
        return cls.from_dict(values)

    def flat(self) -> dict:
        """Every setting by its flat name (a choice by its section's name), as `with_values` takes them."""
        return {section if f.name == "name" else f.name: getattr(getattr(self, section), f.name)
                for section, cls in SECTIONS.items() for f in fields(cls)}

    def replace(self, **sections) -> RunConfig:
        return RunConfig(**{**{n: getattr(self, n) for n in SECTIONS}, **sections})

    def with_values(self, **values) -> RunConfig:
        """Set fields by their (unique) name, e.g. with_values(lr=0.01, model="cnn", epochs=3).

        A section's `name` field is set by the section's name: model="cnn", optimizer="sgd".
        """
        changes: dict[str, dict] = {}
        for key, value in values.items():
            section, field_name = locate(key)
            changes.setdefault(section, {})[field_name] = value
        sections = {}
        for section, updates in changes.items():
            merged = {**getattr(self, section).to_dict(), **updates}
            sections[section] = SECTIONS[section].from_dict(merged)
        return self.replace(**sections)

    def resolve(self, task: str) -> RunConfig:
        """The config with the data's task filled in, checked for combinations that cannot work."""
        config = self.replace(data=self.data.replace(task=task)) if self.data.task == "auto" else self
        check_combination(config, task)
        return config


def locate(key: str) -> tuple[str, str]:
    """Which section a flat field name belongs to: 'lr' -> ('optimizer', 'lr')."""
    if key in SECTIONS and "name" in {f.name for f in fields(SECTIONS[key])}:
        return key, "name"
    for section, cls in SECTIONS.items():
        if key in {f.name for f in fields(cls)} and key != "name":
            return section, key
    import difflib

    names = [f.name for cls in SECTIONS.values() for f in fields(cls) if f.name != "name"] + list(SECTIONS)
    hint = difflib.get_close_matches(key, names, n=1)
    raise ProtScopeError(f"unknown setting '{key}'", fix=f"did you mean '{hint[0]}'?" if hint else
                         "see `python -m protscope train --help`")


def check_combination(config: RunConfig, task: str) -> None:
    """Refuse settings that cannot work together for this task, saying what to change."""
    from protscope.modeling.encodings import ENCODINGS
    from protscope.modeling.models import MODELS

    enc = ENCODINGS[config.encoding.name]
    model = MODELS[config.model.name]
    loss = config.loss.name
    residue = task == "residue"
    if not model.accepts(enc):
        raise ProtScopeError(f"the {model.title} cannot read the '{config.encoding.name}' encoding",
                             fix=f"choose one of these encodings: {', '.join(model.encoding_names())}")
    if residue and not model.per_residue(enc.level):
        raise ProtScopeError(f"the {model.title} with the '{config.encoding.name}' encoding makes one prediction "
                             "per protein, but this task needs one per residue",
                             fix="use a per-residue encoding (onehot, window, blosum62) or a CNN, RNN or "
                                 "Transformer")
    if not residue and model.residue_only:
        raise ProtScopeError(f"the {model.title} predicts one label per residue, but this task is '{task}'",
                             fix="choose an MLP, CNN, RNN or Transformer for per-protein tasks")
    if task == "multilabel" and loss not in ("auto", "bce"):
        why = "it is for regression" if loss in REGRESSION_LOSSES else \
            "it makes the labels compete for one probability (a softmax), but a protein may carry several at once"
        raise ProtScopeError(f"loss '{loss}' does not fit a multi-label task: {why}",
                             fix="use bce (or auto): a sigmoid and binary cross-entropy for each label")
    if task == "regression" and loss in CLASSIFICATION_LOSSES:
        raise ProtScopeError(f"loss '{loss}' is for classification, but this task is regression",
                             fix=f"use {', '.join(REGRESSION_LOSSES)} (or auto)")
    if task != "regression" and loss in REGRESSION_LOSSES:
        raise ProtScopeError(f"loss '{loss}' is for regression, but this task is {task}",
                             fix="use ce, focal or auto" + (" (or bce)" if task == "binary" else ""))
    if loss == "bce" and task not in ("binary", "multilabel"):
        raise ProtScopeError(f"BCE is for binary tasks with one output, but this task is {task}",
                             fix="use cross-entropy (ce) or focal for more than two classes")
    s = config.scheduler
    if s.name == "warmup" and s.warmup_start_lr > config.optimizer.lr:
        raise ProtScopeError(f"the warm-up would start at warmup_start_lr {s.warmup_start_lr:g}, above the learning "
                             f"rate lr {config.optimizer.lr:g} it is meant to rise to",
                             fix="set warmup_start_lr below lr (1e-7, say), or raise lr")
