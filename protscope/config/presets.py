"""Named presets: one click (or `--preset NAME`) sets every control for a course case study.

Each preset is a set of flat config values (the same names as the flags and the JSON), applied
on top of the defaults. A user's own flags still win over the preset. A preset with a `sweep`
describes several runs for `python -m protscope sweep` (see protscope/runs/sweeps.py); its values are their base.
"""
from __future__ import annotations

from dataclasses import dataclass

from protscope.errors import ProtScopeError

# The course notes' ProteinSolubilityClassifier: embedding 64, two Conv1d (k=5, 128 channels),
# masked average pooling, dropout 0.3, a linear head; Adam 1e-3 with ReduceLROnPlateau.
_SOLUBILITY_CNN = dict(encoding="tokens", model="cnn", embedding_dim=64, channels=128, kernel_size=5, layers=2,
                       pooling="mean", dropout=0.3, activation="relu", optimizer="adam", lr=1e-3,
                       scheduler="plateau", plateau_patience=5, early_stopping=True, patience=10,
                       epochs=50, batch_size=32)
# bf16 autocast where the CPU (or GPU) computes it natively, fp32 elsewhere, and batches of 16: the case study
# reaches its validation target in 9-12 epochs instead of 15-19, each a little slower, with the same or better test
# scores over 3 seeds (bench/bench_target.py, docs/RESULTS.md). Twice the learning rate, clipping at 1.0, or a
# warm-up and cosine at 2e-3 reached it sooner too but scored lower on test (MCC -0.02 to -0.04).
_SOLUBILITY_CNN_FAST = {**_SOLUBILITY_CNN, "precision": "auto", "batch_size": 16}


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    values: dict
    # {"grid": {field: values}, "per_value": {value of the first grid field: {field: value}}, "seeds": N}
    sweep: dict | None = None


# The best sequence-only neural network we found for eSOL (docs/RESULTS.md): an MLP on the 20
# amino-acid fractions and the log length. A CNN on the sequence (above) and an MLP that adds the
# 400 dipeptide frequencies both score lower on the held-out test set.
_COMPOSITION_MLP = dict(encoding="aac_length", model="mlp", hidden=(256, 64), dropout=0.3, activation="relu",
                        optimizer="adam", lr=3e-4, scheduler="none", early_stopping=True, patience=20,
                        epochs=200, batch_size=32)

# The lessons on how weights start and die: a small MLP on eSOL composition and length that trains in
# seconds, plain SGD so that nothing rescales the gradients (Adam would hide a vanishing gradient).
_LESSON_MLP = dict(dataset="esol", encoding="aac_length", model="mlp", hidden=(64, 64, 64, 64), dropout=0.0,
                   scheduler="none", epochs=15, batch_size=32)

PRESETS: dict[str, Preset] = {
    p.name: p for p in [
        Preset("first-run", "First run: the course's solubility CNN, 10 epochs",
               "The notes' ProteinSolubilityClassifier on binary eSOL for 10 epochs, validated four times per epoch "
               "so the validation curve starts within seconds: what the first screen's one-click start trains.",
               dict(dataset="esol", **{**{k: v for k, v in _SOLUBILITY_CNN_FAST.items()
                                          if k not in ("scheduler", "plateau_patience", "early_stopping", "patience")},
                                       "epochs": 10, "validate_every": 33})),
        Preset("solubility-cnn", "Solubility CNN (course case study)",
               "The notes' ProteinSolubilityClassifier on binary eSOL (GraphSol train/test split), in bf16 where "
               "the CPU computes it natively (precision auto; bench/bench_target.py).",
               dict(dataset="esol", **_SOLUBILITY_CNN_FAST)),
        Preset("solubility-mlp", "Solubility MLP on composition and length",
               "An MLP (256, 64) on amino-acid composition and log length, binary eSOL: the best sequence-only "
               "network in docs/RESULTS.md, trained in seconds.",
               dict(dataset="esol", **_COMPOSITION_MLP)),
        Preset("solubility-regression", "Solubility regression MLP",
               "The composition-and-length MLP predicting eSOL's measured solubility (0-1) with MSE; reports R² "
               "and Spearman. GraphSol reports R² 0.483 on this test set.",
               dict(dataset="esol-regression", **_COMPOSITION_MLP, loss="mse", monitor="val_loss")),
        Preset("deepsol", "DeepSol benchmark CNN",
               "The solubility CNN trained on DeepSol's 6,942-protein validation split (its 62k training "
               "proteins are not public), tested on its 2,001-protein test set.",
               # In batches of 8 at 1.5e-3: its validation target in 2 epochs for 2 of 3 seeds instead of 3-4, with
               # the same test scores within a standard deviation (bench/bench_target.py, docs/RESULTS.md).
               dict(dataset="deepsol", **{**_SOLUBILITY_CNN_FAST, "batch_size": 8, "lr": 1.5e-3, "epochs": 10,
                                             "patience": 5, "plateau_patience": 2})),
        Preset("qian-sejnowski", "Qian & Sejnowski window network (1988)",
               "13-residue one-hot windows (w = 6) into 40 sigmoid units into H/E/C, trained on NetSurfP-2.0 "
               "with unresolved residues masked, scored as Q3 on CB513. Adam at 3e-2 annealed along a cosine: "
               "Q3 0.66 on validation in 2 epochs (bench/bench_target.py).",
               dict(dataset="ss3", encoding="window", window=6, model="window_mlp", hidden=(40,),
                    activation="sigmoid", optimizer="adam", lr=3e-2, scheduler="cosine", epochs=20, batch_size=32,
                    early_stopping=True, patience=5, monitor="val_accuracy")),
        Preset("ss-cnn", "Secondary-structure CNN",
               "A per-residue CNN on one-hot residues (3 layers of 128 filters, 11 wide), same data as "
               "qian-sejnowski. Batches of 16 and one cycle of the learning rate up to 3e-3 and down over 2 "
               "epochs: Q3 0.69 on validation after the first epoch (bench/bench_target.py).",
               dict(dataset="ss3", encoding="onehot", model="cnn", channels=128, kernel_size=11, layers=3,
                    dropout=0.2, optimizer="adam", lr=1e-3, scheduler="onecycle", max_lr=3e-3, epochs=2,
                    batch_size=16, early_stopping=True, patience=3, monitor="val_accuracy", precision="auto")),
        Preset("gb1-regression", "GB1 fitness MLP",
               "An MLP on flattened one-hot GB1 variants, FLIP three-vs-rest split; reports Spearman.",
               dict(dataset="gb1", encoding="onehot", model="mlp", hidden=(128,), dropout=0.2,
                    optimizer="adam", lr=1e-3, epochs=30, batch_size=64, early_stopping=True, patience=5,
                    monitor="val_spearman")),
        Preset("optimizer-comparison", "Optimizer comparison (course exercise)",
               "The solubility CNN on binary eSOL trained with SGD (momentum 0.9, lr 0.01), Adam (lr 1e-3) and "
               "AdamW (lr 1e-3, weight decay 0.01), three seeds each. Run all nine with `python -m protscope sweep "
               "--preset optimizer-comparison`; `train` trains the base config (Adam) only.",
               dict(dataset="esol", **_SOLUBILITY_CNN),
               sweep={"grid": {"optimizer": ("sgd", "adam", "adamw")},
                      "per_value": {"sgd": {"lr": 0.01, "momentum": 0.9}, "adam": {"lr": 1e-3},
                                    "adamw": {"lr": 1e-3, "weight_decay": 0.01}},
                      "seeds": 3}),
        Preset("vanishing-gradients", "Lesson: vanishing gradients in a deep sigmoid network",
               "Six sigmoid layers of 64 with PyTorch's default start, SGD (lr 0.01, momentum 0.9), 15 epochs on "
               "binary eSOL. Each sigmoid passes back at most a quarter of the gradient, so the first layer's "
               "gradient starts some 70,000 times smaller than the head's: the validation loss stays at a blind "
               "guess's 0.69 and every protein gets the same class. `python -m protscope sweep --preset "
               "vanishing-gradients` also trains the same network with ReLU and He (kaiming_normal) weights, "
               "whose gradients keep their size through all six layers: it learns within a few epochs (then "
               "overfits; the best epoch's weights are kept).",
               dict(_LESSON_MLP, hidden=(64,) * 6, activation="sigmoid", init="default", optimizer="sgd", lr=0.01,
                    momentum=0.9),
               sweep={"grid": {"activation": ("sigmoid", "relu")},
                      "per_value": {"relu": {"init": "kaiming_normal"}}}),
        Preset("dying-relu", "Lesson: dying ReLUs from a far too high learning rate",
               "Four ReLU layers of 64 trained with plain SGD at lr 3 (about 30 times too high) for 15 epochs on "
               "binary eSOL. The first huge steps push most units' inputs below zero for every protein; a ReLU "
               "there outputs 0 and gets no gradient, so it never recovers. About half of the hidden units (most "
               "of the deeper layers) end dead: the loss stalls above 0.69 and one class is predicted for all. "
               "Set lr to 0.1 to compare: almost every unit stays alive and the loss falls.",
               dict(_LESSON_MLP, activation="relu", optimizer="sgd", lr=3.0, momentum=0.0, restore_best=False)),
        Preset("zeros-init", "Lesson: all-zero weights never break the symmetry",
               "The lessons' four layers of 64 with every weight and bias starting at 0 (init zeros), Adam lr "
               "1e-3, 15 epochs on binary eSOL. All units of a layer compute the same value and get the same "
               "update, so after training each layer's 64 rows of weights are still identical: the network "
               "learns, but no better than one unit per layer. Sigmoid, because with ReLU a zero layer outputs "
               "0 and nothing but the last bias would move at all.",
               dict(_LESSON_MLP, activation="sigmoid", init="zeros", optimizer="adam", lr=1e-3)),
    ]
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ProtScopeError(f"there is no preset '{name}'", fix=f"choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]
