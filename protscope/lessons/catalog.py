"""The lessons: every exercise of the course notes (../shared/seeds) ProtScope can show, one entry each.

Each names its note and section, what to look at, the runs it trains (or the check it runs) and the
function that writes its paragraph from the results. `budget_s` is the class-size lesson's measured
wall time on a 2-core CPU (`python -m bench.bench_lessons`, bench/README.md); the full size trains the
notes' own epochs.
"""
from __future__ import annotations

from protscope.config.presets import PRESETS
from protscope.lessons import inside, seeing, summaries, tasks
from protscope.lessons.lesson import Lesson, Note

NOTE2 = "Preliminary Note 2: Introduction to AI and Deep Learning"
NOTE3 = "Preliminary Note 3: Training Neural Networks for Protein Science"
LOOPS = "Training Loops, Loss, Optimizers"
NIDA = "GSAS @NIDA: Deep Learning MLP"

# A small network on amino-acid composition and length: trains an epoch of eSOL in a tenth of a second.
_COMPOSITION = dict(dataset="esol", encoding="aac_length", model="mlp", hidden=(64,), dropout=0.0, optimizer="adam",
                    lr=1e-3, scheduler="none", epochs=30, batch_size=32, early_stopping=False)
_CNN = {k: v for k, v in PRESETS["optimizer-comparison"].values.items()}  # the notes' CNN, as the notes train it
# In class: 8 epochs of 30 batches, sequences cut at 256 residues (about 13 s a run on a 2-core CPU), where Adam
# already pulls ahead of SGD; the full size trains the notes' 50 epochs on whole sequences.
_CNN_CLASS = dict(epochs=8, max_batches=30, early_stopping=False, max_length=256)

LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in [
    Lesson("optimizers", "SGD with momentum, Adam and AdamW", Note(NOTE2, "Exercise 4: Optimizer Comparison",
                                                                   "Exercise 4: Optimizer Comparison", "Exercise 5"),
           "Train the course's solubility CNN three times, with SGD (momentum 0.9), Adam and AdamW (weight decay "
           "0.01), three seeds each, and compare their curves (in class: 8 short epochs of 30 batches, sequences cut "
           "at 256 residues).",
           ("Compare: the validation loss curves, one colour per optimizer: which falls fastest, which ends lowest?",
            "The spread of the three seeds of each: a lead smaller than it is no lead."),
           _CNN, summaries.optimizers, budget_s=105, grid={"optimizer": ("sgd", "adam", "adamw")},
           linked=PRESETS["optimizer-comparison"].sweep["per_value"], seeds=3, class_size=_CNN_CLASS),
    Lesson("warmup", "Learning-rate warm-up", Note(NOTE2, "Exercise 2: Learning Rate Warmup",
                                                   "Exercise 2: Learning Rate Warmup", "Exercise 3"),
           "Start from a learning rate of 1e-7 and raise it linearly to 1e-3 over the first 1,000 steps; compare "
           "with starting at 1e-3.",
           ("Train page: the learning-rate chart ramps up, then stays flat.",
            "Compare: the first epochs' training loss with and without warm-up."),
           _COMPOSITION, summaries.warmup, budget_s=3, grid={"scheduler": ("none", "warmup")},
           linked={"warmup": {"warmup_steps": 1000, "warmup_start_lr": 1e-7}}),
    Lesson("accumulation", "Gradient accumulation", Note(NOTE2, "Exercise 3: Gradient Accumulation",
                                                         "Exercise 3: Gradient Accumulation", "Exercise 4"),
           "Simulate a batch of 128 with batches of 32: add up the gradients of four batches, then step once. "
           "Compare with a real batch of 128.",
           ("Compare: the two runs' loss curves lie on top of each other.",
            "The accumulated run makes four times as many forward passes for the same number of steps."),
           {**_COMPOSITION, "epochs": 20, "length_bucketing": False}, summaries.accumulation, budget_s=2,
           grid={"accumulation": (1, 4)}, linked={1: {"batch_size": 128}, 4: {"batch_size": 32}}),
    Lesson("mcc-accuracy", "MCC against accuracy on imbalanced data", Note(NOTE2, "Exercise 5: Custom Metric",
                                                                           "Exercise 5: Custom Metric", "References"),
           "On a version of eSOL where 90 % of the proteins are soluble (insoluble ones left out at random), "
           "compare accuracy with the Matthews correlation coefficient, without and with class weights.",
           ("Evaluate: the confusion matrix; how many insoluble proteins were found?",
            "The accuracy beside the share of soluble proteins; MCC beside 0."),
           {**_COMPOSITION, "positive_share": 0.9}, summaries.mcc_vs_accuracy, budget_s=2,
           grid={"class_weights": ("none", "balanced")}),
    Lesson("regression-losses", "MSE, Huber and MAE",
           Note(LOOPS, "Practice Exercise 1: Loss Function Comparison", "# Regression Loss Functions",
                "# Classification Loss Functions"),
           "Train the same regression model on eSOL's measured solubility with mean squared error, Huber loss and "
           "mean absolute error (and MSLE), three seeds each.",
           ("Evaluate: the parity plot of each; where do the big misses fall?",
            "Compare: RMSE, MAE and Spearman per loss."),
           {**_COMPOSITION, "dataset": "esol-regression", "hidden": (256, 64), "dropout": 0.3, "lr": 3e-4,
            "epochs": 40, "monitor": "val_loss"}, summaries.regression_losses, budget_s=36,
           grid={"loss": ("mse", "huber", "l1", "msle")}, seeds=3),
    Lesson("lr-finder", "The learning-rate finder",
           Note(LOOPS, "Practice Exercise 3: LR Finder", "Practice Exercises", "Advertisement"),
           "Raise the learning rate exponentially over a few hundred steps, watch the loss, and read a good rate "
           "off the curve (Smith 2017), for an MLP on amino-acid composition and length.",
           ("The curve: flat at tiny rates, falling, then blowing up.", "Where the fall is steepest."),
           {**_COMPOSITION, "hidden": (256, 64)}, inside.lr_finder, budget_s=1, check="lr"),
    Lesson("overfit-batch", "Overfit one batch",
           Note(NOTE2, "Debugging Neural Networks: can the model overfit a single batch?", "Debugging Neural Networks",
                "Reproducibility"),
           "Before a long run, train on one batch only: a model and a loop that work should fit it almost perfectly.",
           ("The loss on the batch: down to near 0 within 100 steps.",), _CNN, inside.overfit, budget_s=5,
           check="overfit"),
    Lesson("early-stopping", "Early stopping and the bias-variance picture",
           Note(NOTE3, "Detecting Overfitting, and What Overfitting Looks Like", "### Detecting Overfitting",
                "### Why Protein Models"),
           "Train a small (4 units) and a large (two layers of 1,024) network on amino-acid composition and length for "
           "60 epochs, each with and without early stopping, and watch training and validation loss part ways.",
           ("Compare: the large network's validation loss turns up while its training loss keeps falling.",
            "Evaluate → Over- or underfitting? for each run."),
           {**_COMPOSITION, "epochs": 60, "patience": 8}, summaries.early_stopping, budget_s=33,
           grid={"early_stopping": (False, True), "hidden": ((4,), (1024, 1024))},
           linked={False: {"restore_best": False}, True: {"restore_best": True}}),
    Lesson("homology-split", "Random against homology-aware splits",
           Note(NOTE3, "Why Protein Models Are Especially Prone to Overfitting", "### Why Protein Models",
                "## Key Takeaways"),
           "Split eSOL at random, then again keeping clusters of similar sequences (MMseqs2, 30 % identity) whole, "
           "and test the same model on each, over three split seeds each (each draws another test set).",
           ("Compare: test MCC and ROC AUC of the two splits.",
            "Data: the homology split's note on how many clusters it found."),
           {**_COMPOSITION, "hidden": (256, 64), "dropout": 0.3, "lr": 3e-4, "epochs": 60, "early_stopping": True,
            "patience": 10, "split": "random"}, summaries.homology_split, budget_s=38,
           grid={"split": ("random", "homology"), "split_seed": (0, 1, 2)}),
    Lesson("seeds", "The spread over seeds", Note(NIDA, "The Multi-Run Strategy", "The Multi-Run Strategy", "EX 2"),
           "Train the same settings five times, changing only the seed, to see how much a result moves by chance.",
           ("Compare: the five curves and the spread of their scores.",), _COMPOSITION, summaries.seeds,
           budget_s=10, seeds=5),
    Lesson("per-residue", "Per-residue secondary structure", Note(NOTE2, "Exercise 1: Per-Residue Secondary "
                                                                  "Structure Prediction", "Exercise 1: Per-Residue",
                                                                  "Exercise 2"),
           "Predict helix, strand or coil for every residue with a 3-layer MLP, scoring real residues only (padding "
           "masked); first from the residue alone, then from a 13-residue window around it.",
           ("Evaluate: Q3 and the per-class confusion matrix.", "How much the neighbours add."),
           dict(dataset="ss3", encoding="window", model="window_mlp", hidden=(64, 64), activation="relu",
                optimizer="adam", lr=1e-3, epochs=5, batch_size=32, early_stopping=False, monitor="val_accuracy"),
           tasks.per_residue, budget_s=7, grid={"window": (0, 6)}, class_size=dict(epochs=3, max_batches=40)),
    Lesson("harmonic", "Harmonic loss against cross-entropy", Note(NIDA, "Harmonic Loss to Replace CE Loss",
                                                                   "## Harmonic Loss", "Transactions on ML"),
           "Train the same network with cross-entropy and with harmonic loss (distances to learned class centres, "
           "Baek et al. 2025), three seeds each.",
           ("Compare: the validation curves.", "Evaluate: the class centres of the harmonic runs."),
           {**_COMPOSITION, "epochs": 40}, summaries.harmonic, budget_s=25, grid={"loss": ("ce", "harmonic")},
           seeds=3),
    Lesson("multilabel", "Several labels per protein", Note(NOTE2, "Matching Problems to Formulations: "
                                                            "multi-label classification", "Multi-label classification",
                                                            "Sequence-to-sequence tasks"),
           "Predict which of three labels each protein carries (helix-rich, strand-rich, with an unresolved stretch: "
           "any combination), one sigmoid and one binary cross-entropy per label; then weigh each label's rarer "
           "answer up (pos_weight balanced).",
           ("Evaluate: the per-label table, ROC and PR curves, and the label co-occurrence maps.",
            "Micro against macro F1: common labels against every label alike."),
           dict(dataset="structure-content", encoding="aac_length", model="mlp", hidden=(64,), dropout=0.0,
                optimizer="adam", lr=1e-3, scheduler="none", epochs=20, batch_size=64, early_stopping=False),
           tasks.multilabel, budget_s=9, grid={"pos_weight": ("none", "balanced")}),
    Lesson("vanishing-gradients", "Vanishing gradients", Note(NIDA, "Hyperparameter checklist: weight "
                                                              "initialization, activation function in each layer",
                                                              "Hyperparameter checklist", "Thank You"),
           "Six sigmoid layers with PyTorch's default start, against the same network with ReLU and He initialisation.",
           ("Train → Layer health: the gradient flow chart, input to output.",
            "The warning above the curves."), PRESETS["vanishing-gradients"].values, inside.vanishing, budget_s=8,
           grid={"activation": ("sigmoid", "relu")}, linked={"relu": {"init": "kaiming_normal"}}),
    Lesson("dying-relu", "Dying ReLUs", Note(NIDA, "Hyperparameter checklist: initial learning rate",
                                             "Hyperparameter checklist", "Thank You"),
           "Four ReLU layers trained with plain SGD at a far too high learning rate (3), against a sane one (0.1).",
           ("Layer health: the dead % column.", "The loss curve at lr 3: flat above a blind guess."),
           PRESETS["dying-relu"].values, inside.dying_relu, budget_s=5, grid={"lr": (3.0, 0.1)}),
    Lesson("zeros-init", "All-zero weights", Note(NIDA, "Hyperparameter checklist: weight initialization",
                                                  "Hyperparameter checklist", "Thank You"),
           "The same sigmoid network from all-zero weights and from PyTorch's default random start.",
           ("Layer health: the symmetry warning.", "Evaluate: how the two compare."),
           PRESETS["zeros-init"].values, inside.zeros_init, budget_s=5, grid={"init": ("zeros", "default")}),
    Lesson("planted-motif", "Find a planted motif",
           Note(NOTE2, "7. Case Study: Predicting Protein Solubility, The Model Architecture", "The Model Architecture",
                "import torch.nn.functional"),
           "On a synthetic dataset whose label is only whether the protein carries W-H-[KR]-C-[YF], train a one-layer "
           "CNN on one-hot residues, then check that its filters spell the motif and that the residues its "
           "predictions rest on are the motif's.",
           ("Evaluate → Learned motifs: the top filter's logo, and how it forms over the epochs.",
            "Predict → What the model looks at: paste a test protein; the tall letters sit on the motif."),
           dict(dataset="planted-motif", encoding="onehot", model="cnn", channels=16, kernel_size=5, layers=1,
                pooling="max", dropout=0.0, optimizer="adam", lr=3e-3, scheduler="none", epochs=10, batch_size=32,
                early_stopping=False), seeing.planted_motif, budget_s=5),
]}

# How the Lessons page and `lessons list` group them, in the order of the course.
TOPICS: dict[str, tuple[str, ...]] = {
    "Before a long run": ("overfit-batch", "lr-finder"),
    "Optimizers and learning rates": ("optimizers", "warmup", "accumulation"),
    "Losses and metrics": ("regression-losses", "mcc-accuracy", "harmonic", "multilabel"),
    "Generalisation": ("early-stopping", "homology-split", "seeds"),
    "Inside the network": ("vanishing-gradients", "dying-relu", "zeros-init"),
    "What the model looks at": ("planted-motif",),
    "Case studies": ("per-residue",),
}
