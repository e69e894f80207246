"""`python -m protscope check lr|overfit|init`: the sanity checks from the command line.

The run config is built exactly as for `train` (defaults, --preset, --config, the data, then one
flag per config field), so a check tests the run that `train` with the same flags would start.
Exit status: 0 when the check passed, 1 when it failed or could not decide, 2 for bad input.
"""
from __future__ import annotations

import json
import math

from protscope.cli.flags import add_section_flags
from protscope.serialise import clean_json

NUMBERS = {  # result fields worth a line in the plain output, per check
    "lr": ("suggestion", "start_loss", "min_loss", "min_lr", "noise", "chance_loss", "diverged_at"),
    "overfit": ("lr", "steps", "proteins", "initial_loss", "final_loss", "chance_loss", "batch_accuracy",
                "batch_r2", "weight_change"),
    "init": ("initial_loss", "expected_loss", "limit_loss", "mean_loss", "ratio", "output_rms", "predictions"),
}


# The keys of protscope.checks.sanity.CHECKS, spelled out so that building the parser does not import torch.
KINDS = {"lr": "find a learning rate", "overfit": "overfit one batch", "init": "loss at initialisation"}


def add_check_parser(sub) -> None:
    from protscope.config.run_config import SECTIONS

    kinds = "; ".join(f"{kind}: {title}" for kind, title in KINDS.items())
    check = sub.add_parser("check", help="run a sanity check (lr, overfit or init) on a run's settings",
                           description=f"Run one sanity check on the model, loss and optimizer a run with these "
                                       f"settings would train ({kinds}). Settings are given as for `train`.")
    check.add_argument("kind", choices=list(KINDS), help="which check: " + kinds)
    check.add_argument("--data", dest="path", help="a CSV, TSV or FASTA file")
    check.add_argument("--preset", help="a named preset (see protscope/config/presets.py), e.g. solubility-cnn")
    check.add_argument("--config", help="a run config JSON (e.g. runs/<id>/config.json)")
    check.add_argument("--steps", type=int, help="steps of the LR test (default 100) or of fitting one batch "
                                                 "(default 100), or batches for init (default 4)")
    check.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    for name, section in SECTIONS.items():
        add_section_flags(check, section, skip=("path",), name_flag=name)
    check.set_defaults(run=cmd_check)


def cmd_check(args) -> int:
    from protscope.checks.sanity import CHECKS
    from protscope.cli.train import build_config, field_flags
    from protscope.data.builtin import load_data
    from protscope.data.splits import make_split

    config = build_config(args.preset, args.config, field_flags(args))
    data = load_data(config.data)
    split = make_split(data, config.data)
    spec = CHECKS[args.kind]
    options = {} if args.steps is None else {"steps": args.steps}
    result = spec.fn(config, data, split, **options)
    if args.json:
        print(json.dumps(clean_json({"check": args.kind, "title": spec.title, **result.to_dict()})))
    else:
        print(f"{spec.title}: {result.verdict}")
        print(result.message)
        values = result.to_dict()
        shown = [f"{name} {_show(values.get(name))}" for name in NUMBERS[args.kind]
                 if values.get(name) is not None]
        print("  " + "  ".join(shown))
    return 0 if result.passed else 1


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return str(value)
