"""A plain-data summary of a ProteinData: what `inspect` prints and the dashboard shows."""
from __future__ import annotations

import numpy as np

from protscope.alphabet import TOKEN_LETTERS
from protscope.data.dataset import SPLITS, ProteinData


def summarise(data: ProteinData) -> dict:
    lengths = data.lengths
    summary = {
        "name": data.name,
        "rows": len(data),
        "task": data.task,
        "columns": {k: ",".join(v) if isinstance(v, tuple) else v for k, v in vars(data.columns).items() if v}
        if data.columns else {},
        "lengths": {"min": int(lengths.min()), "median": float(np.median(lengths)),
                    "mean": round(float(lengths.mean()), 1), "max": int(lengths.max())},
        "alphabet": residue_counts(data),
        "warnings": list(data.warnings),
        "fingerprint": data.fingerprint(),
    }
    if data.task == "regression":
        y = data.y
        summary["values"] = {"min": float(y.min()), "median": float(np.median(y)), "mean": float(y.mean()),
                             "std": float(y.std()), "max": float(y.max())}
    elif data.task == "residue":
        scored = data.residue_y[data.residue_mask]
        counts = np.bincount(scored, minlength=len(data.classes))
        summary["residues"] = {"total": int(lengths.sum()), "scored": int(scored.size)}
        summary["classes"] = _class_rows(data.classes, counts)
    elif data.task == "multilabel":  # each label's share of proteins: a protein counts under every label it carries
        per_protein = data.y.sum(axis=1)
        summary["classes"] = _class_rows(data.classes, data.y.sum(axis=0), total=len(data))
        summary["label_sets"] = {"none": int((per_protein == 0).sum()), "several": int((per_protein > 1).sum()),
                                 "mean": round(float(per_protein.mean()), 3)}
    elif data.y is not None:
        summary["classes"] = _class_rows(data.classes, np.bincount(data.y, minlength=len(data.classes)))
    if data.file_split is not None:
        counts = np.bincount(data.file_split, minlength=3)
        summary["file_split"] = {name: int(n) for name, n in zip(SPLITS, counts)}
    return summary


def residue_counts(data: ProteinData) -> dict[str, int]:
    """Residues of each letter (padding excluded), in alphabet order, X last."""
    counts = np.bincount(data.tokens[data.mask], minlength=len(TOKEN_LETTERS))
    return {TOKEN_LETTERS[t]: int(counts[t]) for t in range(1, len(TOKEN_LETTERS))}


def _class_rows(classes, counts, total: int = 0) -> list[dict]:
    """`total`: what the fractions are of (default: the counts' sum)."""
    total = max(int(total or counts.sum()), 1)
    return [{"class": c, "count": int(n), "fraction": round(int(n) / total, 4)}
            for c, n in zip(classes, counts)]


def format_summary(s: dict) -> str:
    """The summary as readable text for the terminal."""
    out = [f"{s['name']}: {s['rows']:,} proteins, task {s['task']}"]
    if s["columns"]:
        out.append("  columns   " + ", ".join(f"{k}='{v}'" for k, v in s["columns"].items()))
    if "classes" in s:
        out.append(("  labels    " if "label_sets" in s else "  classes   ") + "   ".join(
            f"{c['class']}: {c['count']:,} ({c['fraction']:.1%})" for c in s["classes"]))
    if "label_sets" in s:  # multi-label: the shares above are of all proteins, and need not add up to 100 %
        sets = s["label_sets"]
        out.append(f"  per protein {sets['none']:,} carry no label, {sets['several']:,} more than one (mean "
                   f"{sets['mean']:.2f} labels)")
    if "residues" in s:
        out.append(f"  residues  {s['residues']['total']:,} in all, {s['residues']['scored']:,} scored")
    if "values" in s:
        v = s["values"]
        out.append(f"  values    min {v['min']:.4g}, median {v['median']:.4g}, mean {v['mean']:.4g} "
                   f"± {v['std']:.3g}, max {v['max']:.4g}")
    n = s["lengths"]
    out.append(f"  lengths   min {n['min']:,}, median {n['median']:,.0f}, mean {n['mean']:,}, max {n['max']:,}")
    letters = s["alphabet"]
    used = [a for a, c in letters.items() if c and a != "X"]
    out.append(f"  alphabet  {len(used)} of 20 standard amino acids; unknown X: {letters.get('X', 0):,}")
    if "file_split" in s:
        out.append("  split     " + ", ".join(f"{k} {v:,}" for k, v in s["file_split"].items())
                   + " (from the file)")
    if s["warnings"]:
        out.append("  warnings")
        out += [f"    - {w}" for w in s["warnings"]]
    return "\n".join(out)


def composition_by_class(data: ProteinData) -> dict[str, np.ndarray]:
    """Mean amino-acid composition (fractions of the 20 standard residues) of each class; per-residue
    tasks count the residues in each state, regression splits at the median value, and a multi-label
    protein counts under each label it carries."""
    mask = data.mask
    vocab = len(TOKEN_LETTERS)
    if data.task == "multilabel":
        per_protein = np.bincount(np.nonzero(mask)[0] * vocab + data.tokens[mask],
                                  minlength=len(data) * vocab).reshape(len(data), vocab)  # (N, vocab)
        counts = (data.y.T.astype(np.float64) @ per_protein)[:, 1:21]  # (L, 20): residues of each label's proteins
        counts /= np.maximum(counts.sum(axis=1, keepdims=True), 1)
        return {str(name): counts[i] for i, name in enumerate(data.classes)}
    if data.task == "residue":
        group, mask = data.residue_y, mask & data.residue_mask
        names = data.classes
    elif data.task == "regression":
        high = (data.y >= np.median(data.y)).astype(np.int64)
        group, names = np.broadcast_to(high[:, None], data.tokens.shape), ("below median", "at or above median")
    else:
        group, names = np.broadcast_to(data.y[:, None], data.tokens.shape), data.classes
    counts = np.bincount(group[mask].astype(np.int64) * vocab + data.tokens[mask],
                         minlength=len(names) * vocab).reshape(len(names), vocab)[:, 1:21].astype(float)
    counts /= np.maximum(counts.sum(axis=1, keepdims=True), 1)
    return {str(name): counts[i] for i, name in enumerate(names)}
