"""ProtScope's engine: protein data, encodings, models, training, metrics and the run store, without Streamlit.

For a notebook or a script:

    import protscope as ps

    config = ps.RunConfig().with_values(dataset="esol", model="mlp", encoding="aac", epochs=5)
    data = ps.load_data(config.data)
    result = ps.Trainer(config, data, ps.make_split(data, config.data)).run()
    result.metrics["test"]

The names below are loaded on first use, so `import protscope` stays cheap (torch is imported only
when a model-side name is asked for). docs/ARCHITECTURE.md maps the sub-packages.
"""
from __future__ import annotations

import importlib

__version__ = "0.3.0"

API = {
    "RunConfig": "protscope.config.run_config",
    "get_preset": "protscope.config.presets",
    "PRESETS": "protscope.config.presets",
    "load_data": "protscope.data.builtin",
    "load_bytes": "protscope.data.builtin",
    "dataset_names": "protscope.data.builtin",
    "config_for": "protscope.data.builtin",
    "make_split": "protscope.data.splits",
    "summarise": "protscope.data.summary",
    "Trainer": "protscope.train.trainer",
    "RunResult": "protscope.train.trainer",
    "predict_sequences": "protscope.train.predict",
    "class_centres": "protscope.train.class_centres",
    "attribute": "protscope.explain.attribution",
    "saturation_mutagenesis": "protscope.explain.mutagenesis",
    "compute_metrics": "protscope.evaluation.metrics",
    "diagnose": "protscope.evaluation.diagnosis",
    "open_store": "protscope.runs.store",
    "RunRepository": "protscope.runs.repository",
    "Status": "protscope.status",
    "ProtScopeError": "protscope.errors",
    "ENCODINGS": "protscope.modeling.encodings",
    "MODELS": "protscope.modeling.models",
    "LOSSES": "protscope.modeling.losses",
    "OPTIMIZERS": "protscope.modeling.optim",
    "SCHEDULERS": "protscope.modeling.optim",
}
__all__ = sorted(API)


def __getattr__(name: str):
    if name not in API:
        raise AttributeError(f"module 'protscope' has no attribute '{name}'")
    value = getattr(importlib.import_module(API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
