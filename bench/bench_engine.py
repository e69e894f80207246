"""Engine benchmarks: the Trainer against a bare PyTorch loop, and against the course notes' recipes.

Every comparison is a ratio measured side by side in one process, the contenders interleaved
(A B C, C B A, ...) and each whole run timed at its median round (single epochs and micro-timings at
their best). Data: the built-in eSOL set (binary solubility) and its own split, CPU, 2 torch threads.

1. Engine overhead: `Trainer(config, data, split).start()` with its events, validation every
   epoch and a reader thread calling `trainer.snapshot()` at 2 Hz, against a bare hand-written
   loop doing the same work: the same model (`protscope.modeling.models.build_model`, same dims and seed),
   tensors pre-encoded once outside the timing and padded to the dataset width, batch size 32,
   Adam 1e-3, validation loss and accuracy every epoch, the best epoch's weights restored and
   val and test evaluated at the end (as the engine does). Cases: MLP on AAC; CNN on one-hot,
   with and without length bucketing.
2. The course notes' recipes against our engine with the same model and batch size: the
   solubility CNN fed by `ProteinDataset` (a per-residue Python loop per protein), the MLP on a
   pre-encoded flattened one-hot `TensorDataset`, and per-item Python amino-acid composition.

Run: `python -m bench.bench_engine` (writes its section of bench/README.md), or `--quick` for a
smoke run at tiny sizes (prints only, unless `--readme PATH` is given).
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from bench.report import HEADER, Row, bench_main, fmt_time, machine_info, row_cells, text_table
from protscope.alphabet import ALPHABET
from protscope.config.run_config import RunConfig
from protscope.data.builtin import config_for, load_data
from protscope.data.dataset import SPLITS, ProteinData
from protscope.data.splits import Split, make_split
from protscope.modeling.encodings import ENCODINGS
from protscope.modeling.models import MLP, ModelDims, build_model
from protscope.modeling.optim import make_optimizer
from protscope.train import trainer as trainer_module
from protscope.train.batches import BUCKET_BATCHES, WIDTH_STEP, make_batch
from protscope.train.events import EpochEnd, RunFinished, RunStarted
from protscope.train.prepare import model_dims, prepare
from protscope.train.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

README = ROOT / "bench" / "README.md"

NAME = "engine"

THREADS = 2

SEED = 0

BATCH = 32

LR = 1e-3

EVAL_BATCH = 256  # the engine's evaluation batch (protscope.train.inference.EVAL_BATCH); the bare loop uses the same

SIZES = {
    # epochs: the CNN runs of section 1; mlp_epochs: the MLP-on-AAC runs of section 1 (a 3-epoch AAC run
    # lasts ~75 ms, shorter than one dashboard redraw, so setup would swamp it); notes_epochs: section 2 runs (at least 2); repeats: interleaved rounds of the
    # MLP-on-AAC cases; cnn_repeats: rounds of the CNN cases and the per-residue AAC loop; mlp_repeats: rounds
    # of the MLP on one-hot; cnn_subset: train/val/test proteins drawn for the CNN cases; full_split: the MLP
    # cases use the whole eSOL split, else mlp_subset; keep_width: subsets keep eSOL's full width (so padding
    # costs what it costs on the whole set); loop_aac_train: training proteins for the per-residue AAC loop;
    # micro_calls: calls per timing of the per-batch and per-update micro-measurements.
    "full": dict(epochs=2, mlp_epochs=10, notes_epochs=2, repeats=5, cnn_repeats=3, mlp_repeats=3, cnn_subset=(256, 64, 64),
                 full_split=True, mlp_subset=None, keep_width=True, loop_aac_train=512, micro_calls=300),
    "quick": dict(epochs=1, mlp_epochs=1, notes_epochs=2, repeats=1, cnn_repeats=1, mlp_repeats=1, cnn_subset=(16, 8, 8),
                  full_split=False, mlp_subset=(32, 8, 8), keep_width=False, loop_aac_train=16, micro_calls=10),
}


# --- data ------------------------------------------------------------------------------------------

def subset(data: ProteinData, split: Split, sizes: tuple[int, int, int], seed: int,
           keep_width: bool) -> tuple[ProteinData, Split]:
    """A fixed random draw of `sizes` train/val/test proteins from the split (the same for every contender)."""
    rng = np.random.default_rng(seed)
    picks = [np.sort(rng.choice(split.index(name), min(n, split.index(name).size), replace=False))
             for name, n in zip(SPLITS, sizes)]
    part = data.subset(np.concatenate(picks))
    if keep_width and part.width < data.width:  # pad back to the dataset's width
        part = dataclasses.replace(part, tokens=np.pad(part.tokens, ((0, 0), (0, data.width - part.width))))
    assignment = np.repeat(np.arange(3, dtype=np.int8), [p.size for p in picks])
    return part, Split(assignment, "file", ("benchmark subset",))


@dataclasses.dataclass
class Part:
    """One split, pre-encoded for the bare loop: inputs at the dataset width, mask, labels, lengths."""

    x: torch.Tensor
    mask: torch.Tensor | None
    y: torch.Tensor
    lengths: torch.Tensor

    def __len__(self) -> int:
        return self.y.numel()


def pre_encode(config: RunConfig, data: ProteinData, split: Split) -> dict[str, Part]:
    """Encode every split once, padded to the dataset width (what a bare loop would keep in memory)."""
    enc = ENCODINGS[config.encoding.name]
    tokens = torch.from_numpy(np.array(data.tokens))
    lengths = torch.from_numpy(data.lengths.astype(np.int64))
    parts = {}
    for name in SPLITS:
        rows = torch.from_numpy(split.index(name))
        x = torch.cat([enc.fn(tokens[rows[s:s + 4096]], lengths[rows[s:s + 4096]], config.encoding)
                       for s in range(0, rows.numel(), 4096)])
        mask = None if enc.level == "sequence" else torch.arange(data.width) < lengths[rows, None]
        parts[name] = Part(x, mask, torch.from_numpy(data.y[rows.numpy()]), lengths[rows])
    return parts


# --- running things --------------------------------------------------------------------------------

def isolated(fn: Callable, *args):
    """fn(*args) in a fresh thread, like the engine's own training thread.

    libgomp (torch's OpenMP) keeps a worker pool per thread that has run a parallel region; while
    two such threads live on a 2-core machine every parallel region gets slower (a 100,000-element
    add took ~7 µs alone and ~40-60 µs with a second pool alive when this was written; the 'pool
    held' row measures the effect on a whole run). So every contender runs in a thread of its own
    and the main thread never runs a parallel torch op.
    """
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="bench-contender")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class PoolHolder:
    """A live thread that has run one parallel torch op, so its OpenMP pool exists (for the hazard row)."""

    def __enter__(self):
        self._stop, ready = threading.Event(), threading.Event()

        def hold():
            torch.ones(1 << 20).sum()  # 1M elements: above torch's grain size, so an OpenMP parallel region
            ready.set()
            self._stop.wait()

        self._thread = threading.Thread(target=hold, name="bench-pool-holder", daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_engine(config: RunConfig, data: ProteinData, split: Split, pool_holder: bool = False) -> dict:
    """One whole engine run as the dashboard does it: start(), a reader polling snapshot() at 2 Hz, wait()."""
    with PoolHolder() if pool_holder else contextlib.nullcontext():
        gc.collect()
        wall0, start = time.time(), time.perf_counter()
        trainer = Trainer(config, data, split).start()
        stop, polls = threading.Event(), []

        def read():
            while not stop.wait(0.5):
                polls.append(trainer.snapshot().status)

        reader = threading.Thread(target=read, name="bench-reader", daemon=True)
        reader.start()
        result = trainer.wait()
        seconds = time.perf_counter() - start
        stop.set()
        reader.join()
    if result is None or result.status != "completed":
        raise RuntimeError(f"engine run did not complete: {result and result.status}: {result and result.message}")
    events, _ = trainer.events.since(0)
    started = next(e for e in events if isinstance(e, RunStarted))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    finished = next(e for e in events if isinstance(e, RunFinished))
    return {"seconds": seconds, "setup": started.time - wall0, "epoch_times": [e.seconds for e in epochs],
            "train_times": [started.n_train / e.samples_per_s for e in epochs],
            "finish": finished.time - epochs[-1].time, "val_loss": [e.val_loss for e in epochs],
            "polls": len(polls), "n_train": started.n_train}


def timed_isolated(fn: Callable, *args) -> dict:
    """Run fn(*args) -> dict in a fresh thread; add the wall time of the call, thread start included."""
    gc.collect()
    start = time.perf_counter()
    out = isolated(fn, *args)
    out["seconds"] = time.perf_counter() - start
    return out


def interleave(contenders: dict[str, Callable[[], dict]], rounds: int, log) -> dict[str, list[dict]]:
    """Run every contender once per round, alternating the order (A B C, C B A, ...)."""
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            results[name].append(contenders[name]())
        log("  round " + str(r + 1) + ": " + ", ".join(f"{n} {fmt_time(results[n][-1]['seconds'])}" for n in names))
    return results


# --- the bare loop ---------------------------------------------------------------------------------

def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if logits.shape[-1] == 1:
        return F.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float())
    return F.cross_entropy(logits, y)


@torch.no_grad()
def bare_evaluate(model: nn.Module, part: Part) -> tuple[float, float]:
    """Loss and accuracy over one split, in batches of EVAL_BATCH, in index order."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for s in range(0, len(part), EVAL_BATCH):
        mask = None if part.mask is None else part.mask[s:s + EVAL_BATCH]
        logits, y = model(part.x[s:s + EVAL_BATCH], mask), part.y[s:s + EVAL_BATCH]
        loss_sum += float(_loss(logits, y)) * y.numel()
        predicted = (logits.squeeze(-1) > 0).long() if logits.shape[-1] == 1 else logits.argmax(-1)
        correct += int((predicted == y).sum())
    model.train()
    return loss_sum / len(part), correct / len(part)


def bare_run(config: RunConfig, dims: ModelDims, parts: dict[str, Part], cut: bool = False,
             fused: bool = False, device: str = "cpu") -> dict:
    """The hand-written loop: same model, seed, optimizer, batches of 32 from pre-encoded tensors.

    With `cut`, each batch is cut to its longest protein, rounded up to a multiple of WIDTH_STEP (no
    bucketing): what the engine computes with length_bucketing=False. With `fused`, Adam runs as one fused kernel, as the engine's does;
    by default it is `torch.optim.Adam(params, lr)` as a hand-written loop (and the notes) would have it.
    """
    t = config.training
    generator = torch.Generator()
    generator.manual_seed(t.seed)
    torch.manual_seed(t.seed)
    model = build_model(config.model, dims, generator).to(device)
    train, val, test = parts["train"], parts["val"], parts["test"]
    if dims.standardize:
        model.scale.fit(train.x)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.optimizer.lr, **({"fused": True} if fused else {}))
    rng = np.random.default_rng(t.seed)  # the engine's batch order too, when it does not bucket
    best_loss, best_state, val_losses, epoch_times, train_times = math.inf, None, [], [], []
    for _ in range(t.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.from_numpy(rng.permutation(len(train))).to(device)
        train_loss = 0.0
        for s in range(0, len(train), t.batch_size):
            rows = order[s:s + t.batch_size]
            x, mask, y = train.x[rows], None if train.mask is None else train.mask[rows], train.y[rows]
            if cut and mask is not None:  # as protscope.train.batches.make_batch cuts: longest, rounded up
                width = min(-(-int(train.lengths[rows].max()) // WIDTH_STEP) * WIDTH_STEP, x.shape[1])
                x, mask = x[:, :width], mask[:, :width]
            loss = _loss(model(x, mask), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * y.numel()
        train_times.append(time.perf_counter() - start)
        val_loss, _ = bare_evaluate(model, val)
        val_losses.append(val_loss)
        if val_loss < best_loss:
            best_loss, best_state = val_loss, {k: v.detach().clone() for k, v in model.state_dict().items()}
        epoch_times.append(time.perf_counter() - start)
    model.load_state_dict(best_state)  # as the engine's restore_best, then its final evaluation
    bare_evaluate(model, val)
    bare_evaluate(model, test)
    return {"epoch_times": epoch_times, "train_times": train_times, "val_loss": val_losses, "n_train": len(train)}


def initial_weights_equal(config: RunConfig, data: ProteinData, split: Split, dims: ModelDims) -> bool:
    """The engine's prepared model and the bare loop's model start from the same weights."""
    engine_model = prepare(config, data, split).model
    generator = torch.Generator()
    generator.manual_seed(config.training.seed)
    torch.manual_seed(config.training.seed)
    bare_model = build_model(config.model, dims, generator)
    a, b = engine_model.state_dict(), bare_model.state_dict()
    keys = [k for k in a if not k.startswith("scale.")]  # the scaling is fitted later, on the same features
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in keys)


# --- the course notes' recipes (Preliminary Notes 2 and 3), reproduced as written ------------------

class ProteinDataset(Dataset):
    """A dataset of protein sequences and their labels (Preliminary Note 2, section 6, verbatim)."""

    def __init__(self, sequences, labels, max_len=512):
        self.sequences = sequences
        self.labels = labels
        self.max_len = max_len

        # Map each of the 20 standard amino acids to an integer (1–20)
        # Index 0 is reserved for padding
        self.aa_to_idx = {aa: i + 1 for i, aa in enumerate('ACDEFGHIKLMNPQRSTVWY')}

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, idx):
        seq = self.sequences[idx]
        label = self.labels[idx]

        # Convert amino acid characters to integers
        # Truncate sequences longer than max_len
        encoded = torch.zeros(self.max_len, dtype=torch.long)
        for i, aa in enumerate(seq[:self.max_len]):
            encoded[i] = self.aa_to_idx.get(aa, 0)  # Unknown amino acids → 0

        # Create a mask: 1 for real positions, 0 for padding
        seq_len = min(len(seq), self.max_len)
        mask = torch.zeros(self.max_len, dtype=torch.float)
        mask[:seq_len] = 1.0

        return {
            'sequence': encoded,        # Shape: (max_len,)
            'mask': mask,               # Shape: (max_len,)
            'label': torch.tensor(label, dtype=torch.long)
        }


class ProteinSolubilityClassifier(nn.Module):
    """A 1D-CNN for predicting protein solubility from amino acid sequence (Preliminary Note 2, section 7)."""

    def __init__(self, vocab_size=21, embed_dim=64, hidden_dim=128, num_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.conv1 = nn.Conv1d(embed_dim, hidden_dim, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(hidden_dim, hidden_dim, kernel_size=5, padding=2)
        self.fc = nn.Linear(hidden_dim, num_classes)
        self.dropout = nn.Dropout(0.3)

    def forward(self, x, mask=None):
        x = self.embedding(x)
        x = x.transpose(1, 2)
        x = F.relu(self.conv1(x))
        x = self.dropout(x)
        x = F.relu(self.conv2(x))
        if mask is not None:
            mask = mask.unsqueeze(1)
            x = (x * mask).sum(dim=2) / mask.sum(dim=2).clamp(min=1)
        else:
            x = x.mean(dim=2)
        x = self.fc(x)
        return x


class CompositionDataset(Dataset):
    """Per-item amino-acid composition with collections.Counter (20 fractions of the sequence length)."""

    def __init__(self, sequences, labels):
        self.sequences = sequences
        self.labels = labels

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, idx):
        seq = self.sequences[idx]
        counts = Counter(seq)
        features = torch.tensor([counts[aa] / len(seq) for aa in ALPHABET], dtype=torch.float32)
        return features, torch.tensor(self.labels[idx], dtype=torch.float32)


class LoopCompositionDataset(CompositionDataset):
    """Per-item amino-acid composition counted one residue at a time into a tensor, in the style of
    the notes' ProteinDataset (which writes one tensor element per residue)."""

    aa_to_idx = {aa: i for i, aa in enumerate(ALPHABET)}

    def __getitem__(self, idx):
        seq = self.sequences[idx]
        composition = torch.zeros(20)
        for aa in seq:
            if aa in self.aa_to_idx:
                composition[self.aa_to_idx[aa]] += 1
        composition /= len(seq)
        return composition, torch.tensor(self.labels[idx], dtype=torch.float32)


def _unpack(batch):
    """(model inputs, labels) of a DataLoader batch: the notes' dict batches or (x, y) tuples."""
    if isinstance(batch, dict):
        return (batch['sequence'], batch['mask']), batch['label']
    batch_x, batch_y = batch
    return (batch_x, None), batch_y


def train_one_epoch(model, dataloader, criterion, optimizer):
    """The notes' train_one_epoch (Preliminary Note 2, section 5, and Note 3, section 3), on the CPU."""
    model.train()
    total_loss = 0
    for batch in dataloader:
        inputs, batch_y = _unpack(batch)
        predictions = model(*inputs)
        loss = criterion(predictions, batch_y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        total_loss += loss.item()
    return total_loss / len(dataloader)


@torch.no_grad()
def evaluate(model, dataloader, criterion):
    """The notes' evaluate (Preliminary Note 2, section 5)."""
    model.eval()
    total_loss = 0
    all_predictions, all_labels = [], []
    for batch in dataloader:
        inputs, batch_y = _unpack(batch)
        predictions = model(*inputs)
        loss = criterion(predictions, batch_y)
        total_loss += loss.item()
        all_predictions.append(predictions.cpu())
        all_labels.append(batch_y.cpu())
    return total_loss / len(dataloader), torch.cat(all_predictions), torch.cat(all_labels)


def train_model(model, train_loader, val_loader, criterion, epochs, patience=10, path="best_model.pt"):
    """The notes' train_model (Preliminary Note 2, section 5): Adam 1e-3, ReduceLROnPlateau, early stopping."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', patience=5, factor=0.5)
    best_val_loss, patience_counter = float('inf'), 0
    for _ in range(epochs):
        train_one_epoch(model, train_loader, criterion, optimizer)
        val_loss, _, _ = evaluate(model, val_loader, criterion)
        scheduler.step(val_loss)
        if val_loss < best_val_loss:
            best_val_loss, patience_counter = val_loss, 0
            torch.save(model.state_dict(), path)
        else:
            patience_counter += 1
            if patience_counter >= patience:
                break
    model.load_state_dict(torch.load(path))
    return model


def bce_criterion(predictions, y):
    return F.binary_cross_entropy_with_logits(predictions.squeeze(-1), y.float())


def notes_run(make_model: Callable[[], nn.Module], datasets: dict[str, Dataset], criterion, epochs: int) -> dict:
    """The notes' whole recipe: DataLoaders (train 32 shuffled, val/test 64), train_model, then the test set."""
    torch.manual_seed(SEED)
    model = make_model()
    train_loader = DataLoader(datasets["train"], batch_size=BATCH, shuffle=True)
    val_loader = DataLoader(datasets["val"], batch_size=64, shuffle=False)
    test_loader = DataLoader(datasets["test"], batch_size=64, shuffle=False)
    with tempfile.TemporaryDirectory() as folder:
        train_model(model, train_loader, val_loader, criterion, epochs, path=os.path.join(folder, "best_model.pt"))
    evaluate(model, test_loader, criterion)
    return {"n_train": len(datasets["train"])}


def split_sequences(data: ProteinData, split: Split) -> dict[str, tuple[list[str], list[int]]]:
    return {name: ([data.sequences[i] for i in split.index(name)], data.y[split.index(name)].tolist())
            for name in SPLITS}


# --- the benchmark ---------------------------------------------------------------------------------

def engine_config(data_cfg, **values) -> RunConfig:
    return RunConfig().replace(data=data_cfg).with_values(device="cpu", lr=LR, batch_size=BATCH, seed=SEED,
                                                          **values)


# Our engine set up like the notes' train_model and train_one_epoch: plateau schedule (x0.5 after 5
# epochs), early stopping after 10, best weights restored, gradient norm clipped at 1.0.
NOTES_LOOP = dict(scheduler="plateau", plateau_factor=0.5, plateau_patience=5, early_stopping=True, patience=10,
                  grad_clip=1.0)


def median_run(runs: list[dict]) -> dict:
    """The run with the median time (the slower middle one for an even count)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def throughput(runs: list[dict], epochs: int) -> float:
    """Training proteins per second: train proteins x epochs / the median run's time.

    The median, not the best: on this shared machine single rounds are off by tens of percent in
    either direction (a lucky round as much as a slow one), and the median ignores both.
    """
    return runs[0]["n_train"] * epochs / median_run(runs)["seconds"]


def epoch_throughput(runs: list[dict], key: str = "epoch_times") -> float:
    """Training proteins per second of the fastest single epoch over all runs (less noisy than whole runs)."""
    return runs[0]["n_train"] / min(min(run[key]) for run in runs)


def spread(runs: dict[str, list[dict]]) -> float:
    """The largest ratio of slowest to fastest run of one contender."""
    return max(max(r["seconds"] for r in rs) / min(r["seconds"] for r in rs) for rs in runs.values())


def fmt_speed(x: float) -> str:
    return f"{x:,.0f} prot/s"


def per_call(fn: Callable, calls: int, repeats: int = 5) -> float:
    """Best mean seconds per call of fn over `repeats` runs of `calls` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return min(times)


def speed_row(what: str, ours: float, ref: float, target: float | None = None, digits: int = 2) -> Row:
    ratio = ours / ref
    return Row(what, fmt_speed(ours), fmt_speed(ref), f"{ratio:.{digits}f}x",
               "—" if target is None else f"≥ {target:g}x", None if target is None else ratio >= target)


class Bench:
    """The data and settings shared by the sections, and the rows and notes they add."""

    def __init__(self, size: dict, log):
        self.size, self.log = size, log
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.epochs, self.notes_epochs = size["epochs"], size["notes_epochs"]
        self.data_cfg = config_for("esol")
        self.data = load_data(self.data_cfg)
        self.split = make_split(self.data, self.data_cfg)
        if size["full_split"]:
            self.mlp_data, self.mlp_split = self.data, self.split
        else:
            self.mlp_data, self.mlp_split = subset(self.data, self.split, size["mlp_subset"], SEED, size["keep_width"])
        self.cnn_data, self.cnn_split = subset(self.data, self.split, size["cnn_subset"], SEED, size["keep_width"])
        n = self.cnn_split.counts()
        self.cnn_desc = (f"subset of train {n['train']}, val {n['val']}, test {n['test']} at width "
                         f"{self.cnn_data.width:,}")
        n = self.mlp_split.counts()
        self.mlp_desc = (f"whole split (train {n['train']:,})" if size["full_split"] else
                         f"subset of train {n['train']}, val {n['val']}, test {n['test']}")
        self.aac_parts: dict[str, Part] = {}

    def dims(self, config: RunConfig, data: ProteinData) -> ModelDims:
        return model_dims(config.resolve(data.task), data)

    # 1a ---------------------------------------------------------------------------------------------
    def engine_vs_bare_aac(self) -> None:
        self.log("1a. MLP on AAC: engine vs bare loop")
        data, split, epochs = self.mlp_data, self.mlp_split, self.size["mlp_epochs"]
        config = engine_config(self.data_cfg, encoding="aac", model="mlp", epochs=epochs)
        dims = self.dims(config, data)
        parts = self.aac_parts = isolated(pre_encode, config, data, split)
        assert isolated(initial_weights_equal, config, data, split, dims), "MLP initial weights differ"
        # Same work, checked: without bucketing the engine's batches are the bare loop's, so every
        # epoch's validation loss agrees.
        same = config.with_values(length_bucketing=False)
        engine_losses = run_engine(same, data, split)["val_loss"]
        bare_losses = timed_isolated(bare_run, same, dims, parts, False, True)["val_loss"]
        assert np.allclose(engine_losses, bare_losses, rtol=1e-4, atol=1e-6), (engine_losses, bare_losses)
        runs = interleave({
            "engine": lambda: run_engine(config, data, split),
            "bare": lambda: timed_isolated(bare_run, config, dims, parts),
            "bare, fused Adam": lambda: timed_isolated(bare_run, config, dims, parts, False, True),
            "engine, pool held": lambda: run_engine(config, data, split, pool_holder=True),
        }, self.size["repeats"], self.log)
        ours, ref = throughput(runs["engine"], epochs), throughput(runs["bare"], epochs)
        self.rows.append(speed_row(f"MLP on AAC, {self.mlp_desc}, {epochs} epochs: engine (Trainer, events, "
                                   "2 Hz snapshot reader) vs bare loop, whole run", ours, ref, 0.95))
        self.rows.append(speed_row("… the engine vs the bare loop with fused Adam too (the engine's own overhead)",
                                   ours, throughput(runs["bare, fused Adam"], epochs)))
        self.rows.append(speed_row("… fastest single epoch, training + validation (the engine's "
                                   "EpochEnd.seconds; no setup, no final evaluation), vs the bare loop",
                                   epoch_throughput(runs["engine"]), epoch_throughput(runs["bare"])))
        self.rows.append(speed_row("… the same, vs the bare loop with fused Adam",
                                   epoch_throughput(runs["engine"]), epoch_throughput(runs["bare, fused Adam"])))
        self.rows.append(speed_row("… fastest single epoch, training batches only (the engine's own samples/s), vs the "
                                   "bare loop with fused Adam", epoch_throughput(runs["engine"], "train_times"),
                                   epoch_throughput(runs["bare, fused Adam"], "train_times")))
        middle = median_run(runs["engine"])
        self.rows.append(Row(f"… engine setup, `Trainer(...)` to RunStarted (prepare: model, tokens to the device, "
                             f"AAC of all {len(data):,} proteins, standardisation), in the median run",
                             fmt_time(middle["setup"]), ratio=f"{middle['setup'] / middle['seconds']:.0%} of that run"))
        held = throughput(runs["engine, pool held"], epochs)
        self.rows.append(speed_row("… engine while another live thread holds a torch OpenMP pool (it ran one "
                                   "parallel op) vs the engine alone", held, ours))
        self.log("   " + ", ".join(f"{k} {fmt_speed(throughput(v, epochs))}" for k, v in runs.items()))
        self.rows += isolated(self.engine_costs, config, data, split)
        self.notes.append(
            "Engine side: `Trainer(config, data, split).start()`, a reader thread calling `trainer.snapshot()` "
            "every 0.5 s, then `trainer.wait()`, on the CPU without a run folder (no checkpoint written). Timed from "
            "`Trainer(...)` to `wait()` returning: prepare (model, tokens to the device, per-protein features such "
            "as AAC for the whole dataset, standardisation), every epoch's training, validation (prediction and "
            "metrics), EpochEnd event and best-weights copy, and the final prediction of val and test.")
        self.notes.append(
            "Bare loop: the same model from `protscope.modeling.models.build_model` with the same ModelDims and seed (initial "
            "weights asserted equal to the engine's), standardisation fitted on the same training features, inputs "
            "pre-encoded once outside the timing and padded to the dataset width, batches of 32 from a seeded "
            "permutation, `torch.optim.Adam(params, lr=1e-3)` as a hand-written loop has it (the engine's "
            "`make_optimizer` builds a fused Adam, so one row gives the bare loop `fused=True` too), BCE, "
            "`loss.item()` per batch, validation loss and accuracy every epoch in batches of 256, a copy of the best "
            "epoch's weights, then those weights restored and val and test evaluated, as the engine does. With "
            "`length_bucketing=False` the engine draws the same batches, and every epoch's validation loss of the "
            "two agrees (asserted, rtol 1e-4): they do the same work.")
        self.notes.append(
            "Threads: every contender runs in a fresh thread (the engine in its own training thread) and the "
            "main thread never runs a parallel torch op. torch's OpenMP runtime (libgomp) keeps a worker pool for "
            "each thread that has run a parallel region; while two such threads are alive on this 2-core machine "
            "every parallel region costs more (the 'pool held' row: a helper thread that ran one 1M-element sum "
            "stays alive during the run). Any other live thread that has run a parallel torch op (the main thread "
            "of a script that encoded or predicted with torch before starting the Trainer, a dashboard thread "
            "while it is alive) slows the engine's training thread the same way.")

    def engine_costs(self, config: RunConfig, data: ProteinData, split: Split) -> list[Row]:
        """Micro-measurements of what the engine adds per batch and per update (MLP on AAC)."""
        p = prepare(config, data, split)
        rows_index = p.rows["train"][:BATCH]
        index = torch.as_tensor(rows_index)
        calls = self.size["micro_calls"]
        made = per_call(lambda: make_batch(p.dd, rows_index, config.encoding), calls)
        plain = per_call(lambda: p.dd.features[torch.as_tensor(rows_index)], calls)
        model, optimizer = p.model, p.optimizer
        x, y = p.dd.features[index], p.dd.y[index]

        def step():
            loss = p.loss_fn(model(x, None), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        step_s = per_call(step, calls)
        params = [w for w in model.parameters() if w.requires_grad]
        p.loss_fn(model(x, None), y).backward()
        norm_s = per_call(lambda: torch.nn.utils.get_total_norm([w.grad for w in params]), calls)
        every = getattr(trainer_module, "GRAD_NORM_EVERY", 1)
        default = torch.optim.Adam(params, lr=LR)
        default.step()
        engine_s, default_s = per_call(optimizer.step, calls), per_call(default.step, calls)
        kind = ", ".join(k for k in ("fused", "foreach") if optimizer.defaults.get(k)) or "default"
        return [
            Row("… per batch: `make_batch` with precomputed features vs `features[index]`", fmt_time(made),
                fmt_time(plain), f"+{fmt_time(made - plain)} = {(made - plain) / step_s:.0%} of a training step "
                f"({fmt_time(step_s)}: forward, backward, the engine's Adam)"),
            Row(f"… per update: the gradient norm (`get_total_norm`), measured every {every} updates without "
                "clipping", fmt_time(norm_s), ratio=f"{norm_s / every / step_s:.1%} of a training step, amortised"),
            Row(f"… per update: Adam step of this MLP, the engine's (`make_optimizer`: {kind}) vs default "
                "`torch.optim.Adam` (the bare loop's and the notes')", fmt_time(engine_s), fmt_time(default_s),
                f"{default_s / engine_s:.1f}x faster"),
        ]

    # 1b ---------------------------------------------------------------------------------------------
    def engine_vs_bare_cnn(self) -> None:
        self.log("1b. CNN on one-hot: engine vs bare loop")
        data, split, epochs = self.cnn_data, self.cnn_split, self.epochs
        config = engine_config(self.data_cfg, encoding="onehot", model="cnn", channels=128, kernel_size=5,
                               layers=2, epochs=epochs)
        flat = config.with_values(length_bucketing=False)
        dims = self.dims(config, data)
        parts = isolated(pre_encode, config, data, split)
        assert isolated(initial_weights_equal, config, data, split, dims), "CNN initial weights differ"
        runs = interleave({
            "engine": lambda: run_engine(config, data, split),
            "engine, no bucketing": lambda: run_engine(flat, data, split),
            "bare": lambda: timed_isolated(bare_run, config, dims, parts),
            "bare, cut": lambda: timed_isolated(bare_run, config, dims, parts, True),
        }, self.size["cnn_repeats"], self.log)
        speed = {name: throughput(r, epochs) for name, r in runs.items()}
        self.rows.append(speed_row(f"CNN on one-hot (128 channels, kernel 5, 2 layers), {self.cnn_desc}, {epochs} "
                                   "epochs: engine (per-batch padding, length bucketing) vs bare loop padded to the "
                                   "dataset width, whole run", speed["engine"], speed["bare"], 0.95))
        self.rows.append(speed_row("… engine with `length_bucketing=False` vs the same bare loop",
                                   speed["engine, no bucketing"], speed["bare"], 0.95))
        self.rows.append(speed_row("… engine with `length_bucketing=False` vs a bare loop cutting each batch to its "
                                   "longest protein (the same training tensors: the engine's own overhead)",
                                   speed["engine, no bucketing"], speed["bare, cut"]))
        self.rows.append(speed_row("… the same two, fastest single epoch of training batches only",
                                   epoch_throughput(runs["engine, no bucketing"], "train_times"),
                                   epoch_throughput(runs["bare, cut"], "train_times")))
        self.log("   " + ", ".join(f"{k} {fmt_speed(v)}" for k, v in speed.items()))
        order = np.random.default_rng(SEED).permutation(split.index("train"))
        batch_widths = [int(data.lengths[order[i:i + BATCH]].max()) for i in range(0, order.size, BATCH)]
        self.notes.append(
            f"CNN cases: {self.cnn_desc.replace('subset', 'a fixed random subset (seed 0) of the eSOL split')}, "
            f"padded back to eSOL's full width so a batch padded to the dataset width costs what it costs on the "
            f"whole set (the whole split at that width would take minutes per run). The engine pads each batch "
            f"only to its own longest protein, rounded up to a multiple of {WIDTH_STEP} (a few dozen sizes of "
            f"activations, so the allocator reuses their memory); with length bucketing (the default) it also sorts proteins by length "
            f"within buckets of {BUCKET_BATCHES} batches, so batches hold similar lengths. Without bucketing its "
            f"batches are random but still cut to their longest protein (here a mean width of "
            f"{np.mean(batch_widths):.0f} against {data.width:,}), so it still beats the width-padded bare loop. "
            "The bare loop cutting each batch trains on exactly the engine's tensors (the same batches, in the "
            "same order), so its training-only row is the engine's pure overhead; whole runs still differ in "
            "evaluation, which the bare loops do on their tensors padded to the dataset width and the engine in "
            "length-sorted batches cut to their longest protein. On this shared machine one contender's CNN run "
            f"took up to {spread(runs) - 1:.0%} longer in one round than in another, so differences of a few "
            "percent between whole runs are noise; the fastest-epoch row (one sample per epoch of every round) is "
            "steadier.")

    # 2a ---------------------------------------------------------------------------------------------
    def notes_cnn(self) -> None:
        self.log("2a. the notes' ProteinDataset + ProteinSolubilityClassifier vs our engine")
        data, split, epochs = self.cnn_data, self.cnn_split, self.notes_epochs
        config = engine_config(self.data_cfg, encoding="tokens", model="cnn", embedding_dim=64, channels=128,
                               kernel_size=5, layers=2, dropout=0.3, pooling="mean", loss="ce", epochs=epochs,
                               **NOTES_LOOP)
        max_len = data.width
        datasets = {name: ProteinDataset(s, y, max_len=max_len) for name, (s, y) in split_sequences(data, split).items()}
        first = split.index("train")[0]
        assert torch.equal(datasets["train"][0]["sequence"], torch.from_numpy(data.tokens[first].astype(np.int64)))
        dims = self.dims(config, data)
        parts = isolated(pre_encode, config, data, split)
        runs = interleave({
            "ours": lambda: run_engine(config, data, split),
            "notes": lambda: timed_isolated(notes_run, ProteinSolubilityClassifier, datasets, nn.CrossEntropyLoss(),
                                            epochs),
            "plain tensor loop": lambda: timed_isolated(bare_run, config, dims, parts),
        }, self.size["cnn_repeats"], self.log)
        ours, ref = throughput(runs["ours"], epochs), throughput(runs["notes"], epochs)
        plain = throughput(runs["plain tensor loop"], epochs)
        self.rows.append(speed_row(f"solubility CNN, {self.cnn_desc}, {epochs} epochs: our engine (tokens, CNN, "
                                   "embedding 64, 128 channels, kernel 5, 2 layers, dropout 0.3, mean pooling) vs "
                                   f"the course notes (`ProteinDataset` per-residue loop, max_len {max_len:,}, "
                                   "DataLoader, `ProteinSolubilityClassifier`, `train_model`)", ours, ref, 2))
        self.rows.append(speed_row("… a plain tensor loop (the bare loop above: our CNN on tokens pre-encoded to the "
                                   "dataset width, no per-item Python) vs the notes", plain, ref))
        self.log(f"   ours {fmt_speed(ours)}, notes {fmt_speed(ref)}, plain tensor loop {fmt_speed(plain)}")
        theirs = sum(p.numel() for p in ProteinSolubilityClassifier().parameters())
        mine = sum(p.numel() for p in build_model(config.resolve(data.task).model, dims).parameters())
        over = {n: int((self.data.lengths > n).sum()) for n in (512, 1000)}
        self.notes.append(
            "Course notes, common to section 2: the notes' `train_model` (Adam 1e-3, ReduceLROnPlateau x0.5 after 5 "
            "epochs, early stopping after 10 that `torch.save`s the best weights, here to a temporary folder, and "
            "loads them at the end) with `train_one_epoch` (`clip_grad_norm_` at 1.0, `loss.item()` per batch) and "
            "`evaluate`, DataLoaders of batch 32 shuffled for training and 64 for val and test, "
            "`num_workers=0` as in the case study (the 4-worker example of the DataLoader section is about feeding "
            "a GPU; this machine has 2 cores), then the test set evaluated once. Our engine runs with the same "
            "loop settings: `scheduler=plateau` (x0.5, patience 5), early stopping (patience 10), best weights "
            "restored, `grad_clip=1.0`.")
        self.notes.append(
            f"Solubility CNN: `ProteinDataset` and `ProteinSolubilityClassifier` as printed in the notes "
            f"({theirs:,} parameters; embedding 64, two Conv1d k=5 of 128 channels, ReLU, dropout 0.3 after the "
            f"first, masked mean pooling, linear head of 2 classes, cross-entropy), with max_len = {max_len:,}, the "
            f"dataset width, so no protein is truncated (the notes' default 512 would truncate {over[512]} of "
            f"eSOL's {len(self.data):,} proteins, 1,000 would truncate {over[1000]}). Ours: `encoding=tokens, "
            f"model=cnn, embedding_dim=64, channels=128, kernel_size=5, layers=2, dropout=0.3, pooling=mean, "
            f"loss=ce` ({mine:,} parameters: a 22-token vocabulary with X, masking after each convolution, dropout "
            f"before the head). The plain tensor loop is section 1's bare loop on this config (cross-entropy).")

    # 2b ---------------------------------------------------------------------------------------------
    def notes_mlp(self) -> None:
        self.log("2b. the notes' flattened one-hot TensorDataset + MLP vs our engine")
        data, split, epochs = self.mlp_data, self.mlp_split, self.notes_epochs
        config = engine_config(self.data_cfg, encoding="onehot", model="mlp", epochs=epochs, **NOTES_LOOP)
        dims = self.dims(config, data)
        flat_dims = ModelDims(in_features=dims.seq_len * dims.in_features, out_features=dims.out_features,
                              level="sequence", per_residue=False, seq_len=dims.seq_len)
        parts = isolated(pre_encode, config, data, split)  # (N, width, 21) one-hot
        datasets = {name: TensorDataset(part.x.flatten(1), part.y) for name, part in parts.items()}

        def flat_mlp():
            return MLP(config.model, flat_dims)

        runs = interleave({
            "ours": lambda: run_engine(config, data, split),
            "notes": lambda: timed_isolated(notes_run, flat_mlp, datasets, bce_criterion, epochs),
            "bare": lambda: timed_isolated(bare_run, config, dims, parts),
        }, self.size["mlp_repeats"], self.log)
        ours, ref = throughput(runs["ours"], epochs), throughput(runs["notes"], epochs)
        bare = throughput(runs["bare"], epochs)
        self.rows.append(speed_row(f"MLP on one-hot, {self.mlp_desc}, {epochs} epochs: our engine (onehot, MLP, "
                                   "encoded and flattened per batch to the dataset width) vs the course notes "
                                   f"(pre-encoded flattened one-hot (N, {flat_dims.in_features:,}) `TensorDataset`, "
                                   "DataLoader, `train_model`)", ours, ref, 1.2))
        self.rows.append(speed_row("… a bare loop with the notes' default Adam (same MLP, one-hot pre-encoded; no "
                                   "DataLoader, clipping or scheduler) vs the notes", bare, ref))

        def adam_steps():
            model = MLP(config.model, dims)
            for w in model.parameters():
                w.grad = torch.rand_like(w)
            ours, default = make_optimizer(model, config.optimizer), torch.optim.Adam(model.parameters(), lr=LR)
            calls = max(2, self.size["micro_calls"] // 30)
            kind = ", ".join(k for k in ("fused", "foreach") if ours.defaults.get(k)) or "default"
            return per_call(ours.step, calls, 3), per_call(default.step, calls, 3), kind

        engine_s, default_s, kind = isolated(adam_steps)
        n_weights = sum(w.numel() for w in MLP(config.model, flat_dims).parameters())
        batches = math.ceil(split.counts()["train"] / BATCH)
        self.rows.append(Row(f"… per update: Adam step of this MLP ({n_weights:,} weights), ours (`make_optimizer`: "
                             f"{kind}) vs the notes' `torch.optim.Adam`", fmt_time(engine_s), fmt_time(default_s),
                             f"{default_s / engine_s:.1f}x faster; the notes' Adam = "
                             f"{default_s * batches * epochs / median_run(runs['notes'])['seconds']:.0%} of their run"))
        self.log(f"   ours {fmt_speed(ours)}, notes {fmt_speed(ref)}, bare {fmt_speed(bare)}; Adam ours "
                 f"{fmt_time(engine_s)} vs default {fmt_time(default_s)}")
        self.notes.append(
            f"MLP on one-hot: the notes' recipe pre-encodes every protein once (outside the timing) as one-hot padded "
            f"to max_len = {dims.seq_len:,} and flattened, `features_flat` of shape (N, {flat_dims.in_features:,}) "
            f"in a `TensorDataset`. It uses our 21 channels (20 amino acids and X) rather than the notes' 20, so the "
            f"model is exactly ours: `protscope.modeling.models.MLP` with one hidden layer of 128 on {flat_dims.in_features:,} "
            "inputs and BCE. Our engine keeps uint8 tokens and one-hot encodes each batch to its own width, then "
            "the model pads it to the dataset width and flattens. Both sides compute the same matrix products and "
            f"update the same {n_weights:,} weights, the notes with `torch.optim.Adam` as printed, our engine with "
            "the optimizer `make_optimizer` builds: the Adam update of those weights is the largest single cost of "
            "this model (the Adam row).")

    # 2c ---------------------------------------------------------------------------------------------
    def notes_aac(self) -> None:
        self.log("2c. per-item Python AAC in a Dataset + MLP vs our engine")
        data, split, epochs = self.mlp_data, self.mlp_split, self.notes_epochs
        config = engine_config(self.data_cfg, encoding="aac", model="mlp", epochs=epochs, **NOTES_LOOP)
        dims = self.dims(config, data)
        parts = self.aac_parts or isolated(pre_encode, config, data, split)
        fitted = parts["train"].x  # the fractions both Datasets compute (asserted below)
        sequences = split_sequences(data, split)
        counter_sets = {name: CompositionDataset(s, y) for name, (s, y) in sequences.items()}
        assert torch.allclose(counter_sets["train"][0][0], fitted[0], atol=1e-6)
        assert torch.allclose(LoopCompositionDataset(*sequences["train"])[0][0], fitted[0], atol=1e-6)

        def aac_mlp():
            model = build_model(config.model, dims)  # our MLP, with its standardisation layer
            model.scale.fit(fitted)
            return model

        runs = interleave({
            "ours": lambda: run_engine(config, data, split),
            "Counter": lambda: timed_isolated(notes_run, aac_mlp, counter_sets, bce_criterion, epochs),
            "bare": lambda: timed_isolated(bare_run, config, dims, parts),
        }, self.size["repeats"], self.log)
        ours, ref = throughput(runs["ours"], epochs), throughput(runs["Counter"], epochs)
        bare = throughput(runs["bare"], epochs)
        train_set = counter_sets["train"]
        item_s = isolated(per_call, lambda: [train_set[i] for i in range(len(train_set))], 1, 3) / len(train_set)
        recipe_s = 1 / ref  # the Counter recipe's seconds per training protein and epoch
        # The per-residue tensor loop is slow: run it on a subset of the training proteins.
        n = split.counts()
        sizes = (self.size["loop_aac_train"], n["val"], n["test"])
        loop_data, loop_split = subset(data, split, sizes, SEED, keep_width=True)
        loop_sets = {name: LoopCompositionDataset(s, y) for name, (s, y) in split_sequences(loop_data, loop_split).items()}
        loop_runs = interleave({
            "ours": lambda: run_engine(config, loop_data, loop_split),
            "per-residue loop": lambda: timed_isolated(notes_run, aac_mlp, loop_sets, bce_criterion, epochs),
        }, self.size["cnn_repeats"], self.log)
        ours_l = throughput(loop_runs["ours"], epochs)
        ref_l = throughput(loop_runs["per-residue loop"], epochs)
        self.rows.append(speed_row(f"MLP on AAC, subset of train {sizes[0]}, val {sizes[1]}, test {sizes[2]}, {epochs} "
                                   "epochs: our engine vs per-item composition counted residue by residue into a "
                                   "tensor (the notes' `ProteinDataset` style)", ours_l, ref_l, 20, digits=1))
        self.rows.append(speed_row(f"… the same, {self.mlp_desc}: our engine vs a faster Python than the notes "
                                   "write: per-item `Counter` composition in `__getitem__`, DataLoader, "
                                   "`train_model` (no target: its ceiling is the next row and the notes below)",
                                   ours, ref, digits=1))
        self.rows.append(speed_row("… a bare loop on pre-computed AAC (section 1's: default Adam; no DataLoader, "
                                   "clipping or scheduler) vs the same `Counter` recipe", bare, ref, digits=1))
        self.log(f"   ours {fmt_speed(ours)}, Counter {fmt_speed(ref)}, bare {fmt_speed(bare)}; per-residue loop: "
                 f"ours {fmt_speed(ours_l)}, loop {fmt_speed(ref_l)}")
        self.notes.append(
            "Per-item AAC: the notes have no composition recipe, so two Datasets in their style: one computes the "
            "20 fractions with `collections.Counter` and a list comprehension (the fast way to write it in Python), "
            "the other counts residue by residue into a `torch.zeros(20)` as `ProteinDataset` writes its tokens "
            "(run on a subset of the training proteins, with the whole val and test splits). Both give exactly our "
            "AAC values (asserted) and feed our AAC MLP, standardisation fitted on the training fractions. "
            f"`CompositionDataset[i]` (Counter) costs {fmt_time(item_s)} per protein, of the "
            f"{fmt_time(recipe_s)} per training protein and epoch that the whole Counter recipe takes (training, "
            "collation, validation): precomputing the composition alone can make it at most "
            f"{recipe_s / max(recipe_s - item_s, 1e-12):.1f}x faster, and the rest of any ratio must come from a "
            "faster training step. The 20x target is taken against the per-residue loop, which is how the notes "
            "write per-item encoding (`ProteinDataset.__getitem__`).")

def run(quick: bool = False, log=print) -> dict:
    """Run every measurement; returns {"rows": [Row], "info": {...}, "notes": [str]}."""
    size = SIZES["quick" if quick else "full"]
    torch.set_num_threads(THREADS)
    info = machine_info()
    info["torch threads"] = str(torch.get_num_threads())
    began = time.perf_counter()
    bench = Bench(size, log)
    data, counts = bench.data, bench.split.counts()
    info["data"] = (f"eSOL ({data.task}), {len(data):,} proteins, width {data.width:,}, mean length "
                    f"{data.lengths.mean():.0f}, median {np.median(data.lengths):.0f}; split '{bench.split.method}': "
                    + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    log(info["data"])
    bench.engine_vs_bare_aac()
    bench.engine_vs_bare_cnn()
    bench.notes_cnn()
    bench.notes_mlp()
    bench.notes_aac()
    bench.notes.insert(0, (
        f"Throughput is training proteins x epochs / wall time of the whole run, validation included. Contenders "
        f"are interleaved, the order alternating each round (A B C, C B A, ...), {size['repeats']} rounds for the "
        f"MLP-on-AAC cases, {size['cnn_repeats']} for the CNN cases and the per-residue loop and "
        f"{size['mlp_repeats']} for the MLP on one-hot. Whole runs are timed at each contender's median round: "
        "on this shared machine a round can be off by tens of percent either way. The 'fastest single epoch' rows "
        "take the best epoch over all rounds instead (noise only adds time, and there are many epochs). Micro-"
        "measurements are the best of 5 timings of many calls, after a warm-up call. The first optimizer built in a "
        "process imports torch._dynamo (about 1 s); the equality checks do that before any timing."))
    if hasattr(os, "getloadavg"):
        info["load (1/5/15 min) at end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    info["total run time"] = fmt_time(time.perf_counter() - began)
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": bench.rows, "info": info, "notes": bench.notes}


# --- output ----------------------------------------------------------------------------------------

def markdown(report: dict) -> str:
    rows, info = report["rows"], report["info"]
    out = ["## Engine", "",
           "`python -m bench.bench_engine` — the training engine against a bare PyTorch loop and against the "
           "course notes' Dataset/DataLoader recipes, in proteins per second of training (training proteins x "
           "epochs / wall time of the whole run, validation included).", "",
           "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row_cells(r)) + " |" for r in rows]
    out += ["", "Notes:", ""] + [f"- {note}" for note in report["notes"]]
    out += ["", "Machine and run:", ""] + [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
