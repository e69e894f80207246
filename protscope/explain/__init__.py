"""What a trained model looks at: per-residue attribution and in-silico saturation mutagenesis.

    model = load_explainable("runs/<id>/checkpoint.pt")
    attribute(model, "MKVLAAG...", method="ig")          # Attribution: one score per residue
    saturation_mutagenesis(model, "MKVLAAG...")           # Mutagenesis: (20, L) changes of the same target

`subject` loads a checkpoint and turns one sequence into tokens; `target` says which number is explained
(the log-odds of a class or label, or the regression value); `onehot` rebuilds every encoding from a
one-hot (L, 21) differentiably; `attribution` runs Captum's Integrated Gradients and saliency on it;
`mutagenesis` predicts every single substitution in batches; `task` runs both in a background thread.
"""
