"""How a run's settings are layered, each layer over the last: the one place that says so.

    defaults  <  preset  <  saved config (a config.json)  <  the data  <  flags

The command line (`train`, `check`, `sweep`), the benchmarks and the dashboard's sweep buttons all
build their config here. `preset` and `flags` are flat settings (`{"lr": 1e-3, "model": "cnn"}`);
`saved` is a RunConfig dict by section, as config.json holds it; `data` is the data section of the
chosen file or built-in dataset, which replaces the saved one's where given.
"""
from __future__ import annotations

from protscope.config.run_config import SECTIONS, RunConfig

DATA_CHOICE = ("dataset", "path")  # flat keys that pick the data; the caller resolves them into `data`


def layered(*, preset: dict | None = None, saved: dict | None = None, data: dict | None = None,
            flags: dict | None = None) -> RunConfig:
    config = RunConfig()
    preset = {k: v for k, v in (preset or {}).items() if k not in DATA_CHOICE}
    if preset:
        config = config.with_values(**preset)
    sections = config.to_dict()
    for name, values in (saved or {}).items():
        sections[name] = {**sections.get(name, {}), **values}
    if data:
        sections["data"] = {**sections["data"], **data}
    config = RunConfig.from_dict({name: sections.get(name, {}) for name in SECTIONS})
    flags = {k: v for k, v in (flags or {}).items() if v is not None and k not in DATA_CHOICE}
    return config.with_values(**flags) if flags else config
