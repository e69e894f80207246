"""Each training lesson's paragraph, computed from its finished runs (LessonRun), never written in advance.

Every function takes the lesson's runs and returns plain text with their numbers; the tests change the
runs and see the text change.
"""
from __future__ import annotations

import math

from protscope.lessons.lesson import LessonRun
from protscope.lessons.reading import (
    best,
    grouped,
    last,
    left_out,
    mean_sd,
    metric,
    name_of,
    percent,
    sentence,
    separated,
    settled_epoch,
    spread,
    still_falling,
    usable,
)

NOTHING = "No run of this lesson finished, so there is nothing to read yet."


def compare_settings(runs: list[LessonRun], key: str, what: str = "") -> str:
    """Which value of `key` reached the lowest validation loss (over seeds), how fast each settled, which were
    still falling: the optimizer comparison, and any lesson that compares settings by their curves."""
    groups = grouped(runs, key)
    if not groups:
        return left_out(runs) + NOTHING
    losses = {value: [best(r)[0] for r in group] for value, group in groups.items()}
    order = sorted(groups, key=lambda v: mean_sd(losses[v])[0])
    winner, others = order[0], order[1:]
    name = lambda v: name_of(v, key)  # noqa: E731
    text = (f"{name(winner)} reached the lowest validation loss, {spread(losses[winner])}"
            + (f" ({', '.join(f'{name(v)} {spread(losses[v])}' for v in others)})" if others else "") + ". ")
    if others and not separated(losses[winner], losses[others[0]]):
        text += (f"Its lead over {name(others[0])} is smaller than the seeds' spread: on this evidence they are "
                 "not different. ")
    settled = {v: sum(settled_epoch(r) for r in g) / len(g) for v, g in groups.items()}
    fastest = min(settled, key=settled.get)
    text += (f"{name(fastest)} came within 5 % of its best soonest (epoch {settled[fastest]:.0f} on average"
             + "".join(f"; {name(v)} {settled[v]:.0f}" for v in settled if v != fastest) + "). ")
    falling = [v for v, g in groups.items() if sum(still_falling(r) for r in g) * 2 > len(g)]
    epochs = max(int(r.history[-1].get("epoch", len(r.history))) for r in usable(runs))
    if falling:
        text += (f"{' and '.join(name(v) for v in falling)} {'was' if len(falling) == 1 else 'were'} still "
                 f"falling at epoch {epochs}: {'it' if len(falling) == 1 else 'they'} would gain from more epochs.")
    else:
        text += f"None was still falling at epoch {epochs}."
    return left_out(runs) + (what + " " if what else "") + text


def optimizers(runs: list[LessonRun]) -> str:
    return compare_settings(runs, "optimizer")


def warmup(runs: list[LessonRun]) -> str:
    """Warm-up against none, same target learning rate: how the first epochs differ, and where each ended."""
    groups = grouped(runs, "scheduler")
    warm, plain = groups.get("warmup", []), groups.get("none", [])
    if not warm or not plain:
        return left_out(runs) + NOTHING
    w, p = warm[0], plain[0]
    target = max(row.get("lr", 0) for row in p.history)
    reached = next((row.get("epoch") for row in w.history if row.get("lr", 0) >= 0.999 * target), None)
    ramp = (f"With warm-up the learning rate climbed from almost 0 and reached {target:g} at epoch {reached}"
            if reached else f"With warm-up the learning rate had not yet reached {target:g} when training ended")
    first = {name: r.history[0].get("train_loss", math.nan) for name, r in (("w", w), ("p", p))}
    early = (f"lower than without warm-up ({first['p']:.3f}), where the full rate hit the untrained weights at once"
             if first["w"] < first["p"] else f"higher than without warm-up ({first['p']:.3f}): at tiny rates the "
             "first steps barely move the weights, so the ramp costs time where the full rate was already safe")
    return left_out(runs) + (
        f"{ramp}. In the first epoch its training loss was {first['w']:.3f}, {early}. Best validation loss: "
        f"{best(w)[0]:.3f} at epoch {best(w)[1]} with warm-up, {best(p)[0]:.3f} at epoch {best(p)[1]} without. "
        "Warm-up matters most when early gradients are large (big learning rates, Adam's first steps, "
        "Transformers); on a small, well-scaled model both end in much the same place.")


def accumulation(runs: list[LessonRun]) -> str:
    """Accumulated small batches against one big batch: the same curve, to how many digits."""
    groups = grouped(runs, "accumulation")
    small = next((g[0] for v, g in groups.items() if v and v > 1), None)
    big = groups.get(1, [None])[0]
    if small is None or big is None:
        return left_out(runs) + NOTHING
    gaps = {key: max((abs(a.get(key, math.nan) - b.get(key, math.nan)) for a, b in zip(small.history, big.history)),
                     default=math.nan) for key in ("train_loss", "val_loss")}
    k = small.values["accumulation"]
    same = all(math.isfinite(g) and g < 1e-4 for g in gaps.values())
    return left_out(runs) + (
        f"Accumulating {k} batches before each step and stepping once with the big batch gave "
        + ("the same curves" if same else "curves that differ")
        + f": at most {gaps['train_loss']:.1e} apart in training loss and {gaps['val_loss']:.1e} in validation "
        f"loss over {min(len(small.history), len(big.history))} epochs. "
        + ("Summing the gradients of the small batches, each weighted by its share of the group, is exactly the big "
           "batch's gradient, so only memory differs: the small batches fit where the big one would not."
           if same else _why_apart(small, big)))


def _why_apart(small: LessonRun, big: LessonRun) -> str:
    """Why accumulated and big-batch runs differ, read off their configs."""
    reasons = []
    for run in (small, big):
        t, m = run.config.get("training") or {}, run.config.get("model") or {}
        if t.get("max_batches"):
            reasons.append(f"max_batches {t['max_batches']} cuts each epoch after that many batches of "
                           f"{t.get('batch_size')}, so the two runs see different proteins")
        if m.get("dropout"):
            reasons.append(f"dropout {m['dropout']} draws different masks for small and big batches")
        if t.get("length_bucketing"):
            reasons.append("length bucketing groups proteins into batches differently for each batch size")
    reasons = list(dict.fromkeys(reasons))
    return ("They differ because " + "; ".join(reasons) + "." if reasons else
            "They should match: with no dropout, no length bucketing and whole epochs, the updates are the same.")


def mcc_vs_accuracy(runs: list[LessonRun]) -> str:
    """On data that is mostly one class: accuracy against MCC, without and with class weights."""
    groups = grouped(runs, "class_weights")
    if not groups:
        return left_out(runs) + NOTHING
    share = (next(iter(groups.values()))[0].config.get("data") or {}).get("positive_share") or math.nan
    parts, scores = [], {}
    for weights, group in groups.items():
        r = group[0]
        acc, mcc, top = metric(r, "accuracy"), metric(r, "mcc"), metric(r, "top_class_share")
        scores[weights] = (acc, mcc)
        how = "without class weights" if weights == "none" else f"with {weights} class weights"
        parts.append(f"{how} the model scored accuracy {acc:.2f} and MCC {two(mcc)}, predicting its most common "
                     f"answer for {percent(top)} of proteins")
    trade = ""
    if "none" in scores and "balanced" in scores:
        (a0, m0), (a1, m1) = scores["none"], scores["balanced"]
        disagree = (a1 - a0) * (m1 - m0) < 0
        trade = (f" Class weights moved accuracy {a0:.2f} → {a1:.2f} and MCC {two(m0)} → {two(m1)}: "
                 + ("they found more insoluble proteins at the cost of some soluble ones, and the two scores disagree "
                    "on which run is better." if disagree else "both scores moved the same way this time."))
    return left_out(runs) + sentence("; ".join(parts)) + "." + trade + (
        f" Always answering 'soluble' would already score an accuracy of about {share:.2f} "
        f"here, since {percent(share)} of the proteins are soluble: accuracy mostly counts the majority. MCC is 0 "
        "for any such constant answer and 1 only for perfect predictions, so it shows how much the model really "
        "tells the classes apart (undefined when it predicts a single class).")


def regression_losses(runs: list[LessonRun]) -> str:
    """MSE, Huber and MAE (and MSLE) on the same model: each wins the error it minimises."""
    groups = grouped(runs, "loss")
    if not groups:
        return left_out(runs) + NOTHING
    scores = {loss: {m: [metric(r, m) for r in g] for m in ("rmse", "mae", "spearman")} for loss, g in groups.items()}
    lowest = {m: min(scores, key=lambda loss: mean_sd(scores[loss][m])[0] * (-1 if m == "spearman" else 1))
              for m in ("rmse", "mae", "spearman")}
    table = "; ".join(f"{loss}: RMSE {spread(s['rmse'])}, MAE {spread(s['mae'])}, Spearman {spread(s['spearman'])}"
                      for loss, s in scores.items())
    return left_out(runs) + (
        f"On the validation proteins, {table}. The lowest RMSE came from {lowest['rmse']}, the lowest MAE from "
        f"{lowest['mae']}, the best ranking (Spearman) from {lowest['spearman']}. MSE squares each miss, so it "
        "chases the big ones (and the outliers); MAE weighs every miss alike and predicts the median; Huber is "
        "squared near the target and absolute far from it. Differences smaller than the seeds' spread are noise.")


def early_stopping(runs: list[LessonRun]) -> str:
    """Small against large model, with and without early stopping: bias, variance and where to stop."""
    out = []
    for run in usable(runs):
        hidden = run.values.get("hidden") or ()
        size = f"{' × '.join(map(str, hidden))}-unit" if hidden else "linear"
        stopping = run.values.get("early_stopping")
        low, at = best(run)
        end_train, end_val = last(run, "train_loss"), last(run, "val_loss")
        epochs = int(run.history[-1].get("epoch", len(run.history)))
        rise = (end_val - low) / low if low > 0 else math.nan
        if stopping:
            out.append(f"with early stopping the {size} network stopped at epoch {epochs} and kept epoch {at}'s "
                       f"weights (test MCC {metric(run, 'mcc', 'test'):.2f})")
        else:
            gap = end_val - end_train
            kind = ("memorising the training proteins (high variance)" if rise > 0.1 and gap > 0.1 * end_val else
                    "the two curves stayed together, so what error remains is bias (a bigger model or better "
                    "features could lower both)" if gap < 0.05 * end_val else "a small gap: a little variance")
            out.append(f"the {size} network trained all {epochs} epochs: validation loss was lowest at epoch {at} "
                       f"({low:.3f}) and ended {percent(max(rise, 0))} above it while training loss reached "
                       f"{end_train:.3f}, {kind}; its last weights scored test MCC {metric(run, 'mcc', 'test'):.2f}")
    if not out:
        return left_out(runs) + NOTHING
    return left_out(runs) + sentence("; ".join(out)) + (". The gap between the two curves is the variance; a high "
                                                          "floor under both is the bias.")


def homology_split(runs: list[LessonRun]) -> str:
    """The same model tested on a random split and on whole sequence clusters: the leak the notes warn about."""
    groups = grouped(runs, "split")
    if "random" not in groups or "homology" not in groups:
        return left_out(runs) + NOTHING
    score = {s: [metric(r, "mcc", "test") for r in g] for s, g in groups.items()}
    auc = {s: [metric(r, "roc_auc", "test") for r in g] for s, g in groups.items()}
    gap = mean_sd(score["random"])[0] - mean_sd(score["homology"])[0]
    real = separated(score["random"], score["homology"])
    if real and gap > 0:
        verdict = (f"The random split reads {gap:.3f} MCC higher, more than the spread over seeds: test proteins with "
                   "close relatives in training make a model look better than it is on new families.")
    elif real:
        verdict = (f"The homology split reads {-gap:.3f} MCC higher, beyond the spread over seeds: no leak shows "
                   "here, and its test proteins happened to be easier. Each split draws a different test set, so "
                   "compare splits over several split seeds; where few proteins have close relatives (as in eSOL), "
                   "the leak is small.")
    else:
        verdict = (f"The difference ({gap:+.3f}) is within the spread over seeds: the leak is too small to measure "
                   "here, because few test proteins have close relatives in training. On data with many homologues "
                   "it is not.")
    return left_out(runs) + (
        f"Test MCC on a random split: {spread(score['random'])}; on clusters of similar sequences kept whole "
        f"(homology split): {spread(score['homology'])} (ROC AUC {spread(auc['random'])} and "
        f"{spread(auc['homology'])}). {verdict}")


def seeds(runs: list[LessonRun]) -> str:
    """The same settings, several seeds: how much a result moves by chance alone."""
    done = usable(runs)
    if not done:
        return left_out(runs) + NOTHING
    mcc = [metric(r, "mcc") for r in done]
    loss = [best(r)[0] for r in done]
    epochs = [best(r)[1] for r in done]
    mean, sd = mean_sd(mcc)
    noise = (f"Two settings whose MCC differs by less than about {2 * sd:.2f} (twice that spread) cannot be told "
             "apart with one run each: repeat a comparison over 3 to 5 seeds." if math.isfinite(sd) else "")
    return left_out(runs) + (
        f"{len(done)} runs that differ only in their seed (the initial weights, dropout and batch order) reached "
        f"validation MCC {spread(mcc)} (from {min(mcc):.3f} to {max(mcc):.3f}) and best validation loss "
        f"{spread(loss)}, at epochs {min(epochs)} to {max(epochs)}. {noise}")


def harmonic(runs: list[LessonRun]) -> str:
    return compare_settings(runs, "loss", "Both losses are the negative log of the predicted probability of the "
                                          "true class, so their validation losses compare directly.") + (
        " " + _scores(runs, "loss", "mcc", "validation MCC") if usable(runs) else "")


def _scores(runs: list[LessonRun], key: str, name: str, title: str) -> str:
    groups = grouped(runs, key)
    return sentence(title) + ": " + "; ".join(f"{name_of(v, key)} {spread([metric(r, name) for r in g])}"
                                                   for v, g in groups.items()) + "."


def finite(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def two(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.2f}"
