"""`python -m protscope explain`: what a trained model looks at in one sequence.

    python -m protscope explain --run RUN_ID --sequence MKVLAAG... [--method ig|saliency|ism]
    python -m protscope explain --run RUN_ID --method motifs|space|measured
                                [--target CLASS_OR_LABEL] [--position N] [--json]

The methods are a registry, METHODS: each entry computes its result from the parsed flags (one JSON-able
dict, printed as is with --json) and says it in lines for a person. Another way of explaining a run is one
more entry; `--sequence` is checked by the methods that read one.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from protscope.cli import explain_learned
from protscope.errors import ProtScopeError
from protscope.serialise import clean_json


@dataclass(frozen=True)
class ExplainMethod:
    help: str
    compute: Callable[[argparse.Namespace], dict]  # the flags -> the result, JSON-able
    text: Callable[[dict, argparse.Namespace], str]  # the result (and the flags) in lines for a person


def add_explain_parser(sub) -> None:
    explain = sub.add_parser("explain", help="which residues a trained model's prediction for a sequence rests on",
                             description="Explain one prediction of a trained model: per-residue attribution "
                                         "(Integrated Gradients, saliency) or in-silico saturation mutagenesis.")
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", dest="run_id", metavar="RUN_ID", help="a run id from `python -m protscope runs list`")
    source.add_argument("--checkpoint", metavar="PATH", help="a checkpoint.pt saved by `train`")
    explain.add_argument("--sequence", metavar="SEQ", help="the protein sequence, in one-letter codes")
    explain.add_argument("--method", choices=list(METHODS), default="ig",
                         help="; ".join(f"{name}: {m.help}" for name, m in METHODS.items()) + " (default: ig)")
    explain.add_argument("--target", metavar="CLASS_OR_LABEL",
                         help="the class (or label) explained; default: the predicted class, the positive class of a "
                              "binary model, the most probable label")
    explain.add_argument("--position", type=int, metavar="N",
                         help="per-residue models: the residue (1-based) whose prediction is explained")
    explain.add_argument("--steps", type=int, metavar="N",
                         help="Integrated Gradients' first number of steps, doubled until the scores add up (64)")
    explain.add_argument("--top", type=int, default=10, metavar="N",
                         help="residues (or substitutions) listed (default 10)")
    explain.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    explain.add_argument("--projection", choices=("pca", "umap"), default="pca",
                         help="--method space: PCA fitted on the last recorded epoch (default), or UMAP (needs "
                              "umap-learn)")
    explain.add_argument("--wild-type", metavar="ID_OR_SEQ", default="",
                         help="--method measured: the wild type's row id or sequence (default: the one the built-in "
                              "dataset names, else the most common residue at each position, said to be assumed)")
    explain.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    explain.set_defaults(run=cmd_explain)


def cmd_explain(args) -> int:
    method = METHODS[args.method]
    result = method.compute(args)
    print(json.dumps(clean_json(result)) if args.json else method.text(result, args))
    return 0


def checkpoint_of(args) -> str:
    """The checkpoint named by --checkpoint, or the run --run's, from the run store."""
    if args.checkpoint:
        return args.checkpoint
    from protscope.cli.runs import store_for

    run = store_for(args).get_run(args.run_id)
    if not run["checkpoint"] or not Path(run["checkpoint"]).is_file():
        raise ProtScopeError(f"run {args.run_id} has no saved model to explain (it is {run['status']})",
                             where=run["checkpoint"] or args.run_id,
                             fix="choose a finished run (`python -m protscope runs list`), or give --checkpoint")
    return run["checkpoint"]


def sequence_of(args) -> str:
    if not args.sequence:
        raise ProtScopeError(f"--method {args.method} explains one sequence", where="--sequence",
                             fix="give it with --sequence MKVLAAG...")
    return args.sequence


# --- attribution and mutagenesis ----------------------------------------------------------------

def _attribution(args) -> dict:
    from protscope.explain.attribution import attribute

    steps = {} if args.steps is None else {"steps": args.steps}
    found = attribute(checkpoint_of(args), sequence_of(args), args.method, args.target, args.position,
                      device=args.device, **steps)
    return {"run": args.run_id, **found.to_dict(), "relative_error": found.relative_error}


def _mutagenesis(args) -> dict:
    from protscope.explain.mutagenesis import saturation_mutagenesis

    return {"run": args.run_id, **saturation_mutagenesis(checkpoint_of(args), sequence_of(args), args.target,
                                                      args.position, device=args.device).to_dict()}


def _header(result: dict) -> list[str]:
    from protscope.explain.target import prediction_text

    return [f"prediction: {prediction_text(result['prediction'])}",
            f"explained: {result['target']['explained']}"]


def _attribution_text(result: dict, args) -> str:
    import numpy as np

    scores, sequence = np.asarray(result["scores"]), result["sequence"]
    lines = _header(result)
    change = result["score"] - result["baseline_score"]
    lines.append(f"at the sequence {result['score']:.4g}; at the all-zero baseline (no residue anywhere) "
                 f"{result['baseline_score']:.4g}")
    if result["method"] == "ig":
        lines.append(f"Integrated Gradients, {result['steps']} steps: the scores add up to {scores.sum():.4g}, "
                     f"f(sequence) - f(baseline) is {change:.4g} (gap {result['relative_error']:.1%})")
    else:
        lines.append("saliency (gradient x input): local sensitivities; they need not add up to the change")
    lines.append(f"the {min(args.top, len(sequence))} residues with the largest |score|:")
    lines.append("  position  residue     score")
    for i in np.argsort(-np.abs(scores), kind="stable")[:args.top]:
        lines.append(f"  {i + 1:>8}  {sequence[i]:<7} {scores[i]:+9.4f}")
    return "\n".join(lines + [f"note: {n}" for n in result["notes"]])


def _mutagenesis_text(result: dict, args) -> str:
    import numpy as np

    matrix, sequence, letters = np.asarray(result["matrix"]), result["sequence"], result["amino_acids"]
    lines = _header(result)
    lines.append(f"wild type {result['wild_type_score']:.4g}; every single substitution at each of "
                 f"{len(sequence):,} positions predicted ({matrix.size:,} sequences, the wild type's cells 0)")
    lines.append(f"the {min(args.top, matrix.size)} substitutions that change it most:")
    for flat in np.argsort(-np.abs(matrix), axis=None, kind="stable")[:args.top]:
        row, column = np.unravel_index(flat, matrix.shape)
        lines.append(f"  {sequence[column]}{column + 1}{letters[row]:<6} {matrix[row, column]:+9.4f}")
    return "\n".join(lines + [f"note: {n}" for n in result["notes"]])


METHODS: dict[str, ExplainMethod] = {
    "ig": ExplainMethod("Integrated Gradients from an all-zero input, per residue", _attribution, _attribution_text),
    "saliency": ExplainMethod("gradient x input per residue (quick, local)", _attribution, _attribution_text),
    "ism": ExplainMethod("in-silico saturation mutagenesis: every single substitution predicted (--json: the "
                         "20 x L matrix)", _mutagenesis, _mutagenesis_text),
    "motifs": ExplainMethod("a CNN run's first-layer filters as motifs (PWMs of the training windows that activate "
                            "them) ordered by influence, or the window network's hidden units; no --sequence",
                            explain_learned.motifs, explain_learned.motifs_text),
    "space": ExplainMethod("a run's learned space: the validation proteins' features per recorded epoch, projected "
                           "with --projection; no --sequence", explain_learned.space, explain_learned.space_text),
    "measured": ExplainMethod("a run trained on variants of one protein (GB1): predicted single-mutant effects "
                              "at the varied sites against the measured ones, with their correlation; no "
                              "--sequence", explain_learned.measured, explain_learned.measured_text),
}
