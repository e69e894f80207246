"""`python -m protscope explain --run ID --method motifs|space`: what a whole run learned, not one sequence.

The two entries of protscope.cli.explain's METHODS that read a stored run: `motifs` (a CNN's first-layer
filters as PWMs ordered by influence, or the window network's hidden units; protscope.explain.motifs) and
`space` (the learned space of the validation proteins per recorded epoch, projected with --projection;
protscope.explain.space). Both need --run: they read the run store, not only a checkpoint.
"""
from __future__ import annotations

import numpy as np

from protscope.errors import ProtScopeError


def _repository(args):
    from protscope.cli.runs import store_for
    from protscope.runs.repository import RunRepository

    if not args.run_id:
        raise ProtScopeError(f"--method {args.method} reads what a stored run recorded", where="--checkpoint",
                             fix="name the run with --run RUN_ID (`python -m protscope runs list`)")
    return RunRepository(store_for(args))


def motifs(args) -> dict:
    from protscope.explain.motifs import LearnedMotifs, run_motifs

    found = run_motifs(_repository(args), args.run_id, device=args.device)
    return {"run": args.run_id, **(found.to_json(args.top) if isinstance(found, LearnedMotifs) else found.to_json())}


def motifs_text(result: dict, _args) -> str:
    if result["kind"] == "window":
        return _units_text(result)
    lines = [f"first-layer filters of run {result['run']} (checkpoint from epoch {result['checkpoint_epoch']}): "
             f"PWMs from {result['scanned']}, influence on {result['influence_on']}",
             f"the {len(result['filters'])} most influential (the mean change of the predictions when the filter's "
             "output is replaced by its mean):", "  filter  influence     sites  consensus"]
    for f in result["filters"]:
        influence = "—" if f["influence"] is None else f"{f['influence']:.4g}"
        lines.append(f"  {f['filter']:>6}  {influence:>9}  {f['sites']:>8,}  {f['consensus']}")
    return "\n".join(lines + [f"note: {n}" for n in result["notes"]])


def _units_text(result: dict) -> str:
    what = "output" if result["output_units"] else "hidden"
    lines = [f"{len(result['units'])} {what} units of the window network, each reading positions "
             f"{result['offsets'][0]:+d}..{result['offsets'][-1]:+d}; the strongest weights:"]
    letters, offsets = result["letters"], result["offsets"]
    for unit in result["units"]:
        weights = np.asarray(unit["weights"])  # (2w+1, 21)
        top = np.argsort(-np.abs(weights), axis=None)[:3]
        cells = ", ".join(f"{letters[c]} at {offsets[r]:+d} {weights[r, c]:+.3f}"
                          for r, c in (np.unravel_index(i, weights.shape) for i in top))
        out = "" if unit["outgoing"] is None else "; to " + ", ".join(
            f"{name} {w:+.2f}" for name, w in zip(result["classes"], unit["outgoing"]))
        lines.append(f"  unit {unit['unit']:>3}: {cells}{out}")
    return "\n".join(lines)


def space(args) -> dict:
    from protscope.explain.space import project

    repo = _repository(args)
    return {"run": args.run_id, "classes": list(repo.run(args.run_id).classes),
            **project(repo.learned(args.run_id), args.projection).to_json()}


def space_text(result: dict, _args) -> str:
    coords = np.asarray(result["coords"], dtype=float)  # (E, P, 2)
    lines = [f"the learned space of run {result['run']}: {coords.shape[1]:,} validation points at "
             f"{len(result['epochs'])} recorded epochs ({result['epochs'][0]}..{result['epochs'][-1]}), "
             f"{result['method'].upper()} fitted on the last"]
    if result["method"] == "pca":
        shares = ", ".join(f"{e}: {s:.0%}" for e, s in zip(result["epochs"], result["explained"]) if s is not None)
        lines.append(f"share of each epoch's spread on the two axes: {shares}")
    labels = result["points"]["labels"]
    if labels is not None and np.asarray(labels).ndim == 1 and np.issubdtype(np.asarray(labels).dtype, np.integer):
        lines.append("class centres on the plane at the last epoch:")
        for label in sorted(set(labels)):
            centre = coords[-1][np.asarray(labels) == label].mean(0)
            name = result["classes"][label] if label < len(result["classes"]) else label
            lines.append(f"  {name}: ({centre[0]:+.3f}, {centre[1]:+.3f})")
    return "\n".join(lines + ["--json gives every point's coordinates at every epoch"])


def measured(args) -> dict:
    """A run trained on variants of one protein (GB1): its predicted single-mutant effects at the varied sites
    beside the measured ones of the same variants, from the run's own dataset."""
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_data
    from protscope.explain.measured import predicted_against_measured, variants_of, wild_type_of

    run = _repository(args).store.get_run(args.run_id)
    if not run["checkpoint"]:
        raise ProtScopeError(f"run {args.run_id} has no saved model", where=args.run_id,
                             fix="choose a finished run (`python -m protscope runs list`)")
    config = DataConfig.from_dict(run["config"]["data"])
    wild_type = args.wild_type or wild_type_of(config)
    variants = variants_of(load_data(config), wild_type)
    if variants is None:
        raise ProtScopeError("the run's data is not variants of one protein with measured single mutants",
                             where=config.dataset or config.path,
                             fix="this compares a run trained on a mutational scan (GB1, say) with its measurements")
    return {"run": args.run_id, **predicted_against_measured(run["checkpoint"], variants, args.device).to_json()}


def measured_text(result: dict, args) -> str:
    sites = ", ".join(f"{result['wild_type'][s - 1]}{s}" for s in result["sites"])
    lines = [f"run {result['run']}: predicted against measured single mutants at {sites}",
             f"wild type: {''.join(result['wild_type'][s - 1] for s in result['sites'])} at those sites, "
             f"{len(result['wild_type'])} residues" + (" (ASSUMED: the most common residue at each position; give "
                                                    "--wild-type to name it)" if result["wild_type_assumed"] else "")]
    if result["count"] < 3:
        return "\n".join(lines + [f"only {result['count']} measured single mutants: too few to correlate"])
    lines.append(f"{result['count']} measured single mutants: Spearman {result['spearman']:.3f}, "
                 f"Pearson {result['pearson']:.3f} (change from the wild type, predicted against measured)")
    pairs = [(f"{result['wild_type'][s - 1]}{s}{a}", p, m) for a, predicted, measured in
             zip(result["amino_acids"], result["predicted"], result["measured"])
             for s, p, m in zip(result["sites"], predicted, measured) if m is not None]
    lines.append(f"the {min(args.top, len(pairs))} with the largest measured change:  mutant  predicted  measured")
    for name, p, m in sorted(pairs, key=lambda t: -abs(t[2]))[:args.top]:
        lines.append(f"  {name:<8} {p:+9.3f} {m:+9.3f}")
    return "\n".join(lines)
