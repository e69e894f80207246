"""The code snippets `protscope.script_export.script` puts together into a standalone training script.

Each is a template: `$name` marks are filled in from the run config (`fill`), and each one is copied
verbatim into the scripts that need it, so they are written for a student to read.
"""
from __future__ import annotations

import json
import textwrap
from string import Template


def fill(template: str, values: dict, **extra) -> str:
    """The dedented template with each `$name` replaced. A multi-line value is indented like the line it
    replaces into; a line that held only a `$name` whose value is empty is dropped."""
    values, lines = {**values, **extra}, []
    for line in textwrap.dedent(template).strip("\n").split("\n"):
        lead = line[:len(line) - len(line.lstrip())]
        text = Template(line).substitute({k: str(val).replace("\n", "\n" + lead) for k, val in values.items()})
        if text.strip() or not line.strip():
            lines.append(text)
    return "\n".join(lines)


def literal(value) -> str:
    """Python source for a config value; strings (and lists of them) in double quotes, like the rest."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (str, list)) else repr(value)


DATA = r'''
    # --- data: one protein per row -----------------------------------------------------------------
    df = pd.read_csv(DATA$sep)
    df[SEQUENCE] = df[SEQUENCE].fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)
    df[SEQUENCE] = df[SEQUENCE].str.removesuffix("*")  # a final stop codon
    df = df[df[SEQUENCE].str.len() > 0].reset_index(drop=True)
    $long
    TOKEN = {a: i for i, a in enumerate("ACDEFGHIKLMNPQRSTVWY", start=1)}  # 0 is padding, 21 unknown (X)
    tokens = [np.array([TOKEN.get(a, 21) for a in s]) for s in df[SEQUENCE]]
    $labels
'''
FILE_SPLIT = '''
    SPLIT_NAMES = $names
    part = df[$split_col].astype(str).str.strip().str.lower().map(SPLIT_NAMES)
    rows = {name: np.flatnonzero(part == name) for name in ("train", "val", "test")}
    assert all(len(r) for r in rows.values()), "the split column needs train, val and test rows"
'''
RANDOM_SPLIT = '''
    # A seeded random split. ProtScope's also stratifies by label and keeps identical sequences
    # together, so its parts hold other proteins and its numbers differ a little.
    order = np.random.default_rng($split_seed).permutation(len(df))
    n_val, n_test = round($val_fraction * len(df)), round($test_fraction * len(df))
    rows = {"train": order[n_val + n_test:], "val": order[:n_val], "test": order[n_val:n_val + n_test]}
'''
COMPOSITION = '''
    # --- encoding: $encoding, the frequencies of the 20**k runs of k standard amino acids (k = $k) ---
    def composition(t, k=$k):
        counts = np.zeros(20**k, dtype=np.float32)
        t = t - 1  # 0..19 amino acids, 20 unknown
        if len(t) >= k:
            runs = np.lib.stride_tricks.sliding_window_view(t, k)
            runs = runs[(runs < 20).all(1)]  # runs with an X are skipped
            np.add.at(counts, runs @ 20 ** np.arange(k - 1, -1, -1), 1)
        return counts / max(len(t) - k + 1, 1)


    features = torch.tensor(np.stack([composition(t) for t in tokens]))
    $length
    $standardize
    IN_FEATURES = features.shape[1]


    def batch(index):
        """Inputs, padding mask (none: one vector per protein) and targets of these rows."""
        return features[index].to(DEVICE), None, torch.as_tensor(y[index]).to(DEVICE)
'''
STANDARDIZE = '''
    mean, sd = features[rows["train"]].mean(0), features[rows["train"]].std(0)
    features = (features - mean) / torch.where(sd > 1e-8, sd, 1.0)  # z-scores with the training set's mean, sd
'''
PER_RESIDUE = '''
    # --- encoding: $encoding -----------------------------------------------------------------------
    $in_features


    def batch(index):
        """Tokens of these rows padded with 0 to the longest one, encoded; the padding mask; the targets."""
        x = nn.utils.rnn.pad_sequence([torch.as_tensor(tokens[i]) for i in index], batch_first=True)
        $pad
        mask = x != 0
        $onehot
        return x.to(DEVICE), mask.to(DEVICE), torch.as_tensor(y[index]).to(DEVICE)
'''
POOL = {"mean": '''
    def pool(h, mask):
        """Average over the real residues: (batch, length, channels) -> (batch, channels)."""
        weights = mask.unsqueeze(-1).float()
        return (h * weights).sum(1) / weights.sum(1).clamp(min=1)
''', "max": '''
    def pool(h, mask):
        """Maximum over the real residues: (batch, length, channels) -> (batch, channels)."""
        return h.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
'''}
LINEAR = '''
    class Linear($head):
        """$linear_doc"""

        def forward(self, x, mask):
            return super().forward(x.flatten(1))
'''
MLP = '''
    class MLP(nn.Module):
        """Fully connected hidden layers of sizes $hidden, then a linear head."""

        def __init__(self, in_features, out_features):
            super().__init__()
            self.hidden, width = nn.ModuleList(), in_features
            $hidden_loop
                self.hidden.append(nn.Sequential($layer))
                width = size
            self.head = $head(width, out_features)

        def forward(self, x, mask):
            x = x.flatten(1)
            for layer in self.hidden:
                $apply
            return self.head(x)
'''
CNN = '''
    class CNN(nn.Module):
        """1D convolutions along the sequence, then the $pool over the residues."""

        def __init__(self, in_features, out_features):
            super().__init__()
            self.embed = $embed
            width, self.convs = $width, nn.ModuleList()
            for $i in range($layers):
                $conv
                width = $channels
            self.activation = $act
            self.dropout = nn.Dropout($dropout)
            self.head = $head($channels, out_features)

        def forward(self, x, mask):
            h = self.embed(x).transpose(1, 2)  # (batch, channels, length)
            for conv in self.convs:
                h = self.activation(conv(h)) * mask.unsqueeze(1)  # padding stays zero
            return self.head(self.dropout(pool(h.transpose(1, 2), mask)))
'''
RNN = '''
    class RNN(nn.Module):
        """A bidirectional $cell (packed: padding is never read), then the $pool over the residues."""

        def __init__(self, in_features, out_features):
            super().__init__()
            self.embed = $embed
            width, self.rnns = $width, nn.ModuleList()
            for _ in range($layers):
                self.rnns.append(nn.$cell(width, $rnn_hidden, batch_first=True, bidirectional=True))
                width = 2 * $rnn_hidden
            self.dropout = nn.Dropout($dropout)
            self.head = $head(width, out_features)

        def forward(self, x, mask):
            h, lengths = self.embed(x), mask.sum(1).cpu()
            for i, rnn in enumerate(self.rnns):
                h = self.dropout(h) if i else h  # dropout between layers
                packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
                h = nn.utils.rnn.pad_packed_sequence(rnn(packed)[0], batch_first=True, total_length=mask.shape[1])[0]
            return self.head(self.dropout(pool(h, mask)))
'''
TRANSFORMER = '''
    def positions(length, dim):
        """(length, dim) fixed sine/cosine position codes (Vaswani et al., 2017)."""
        angle = torch.arange(length).unsqueeze(1) * torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        codes = torch.zeros(length, dim)
        codes[:, 0::2], codes[:, 1::2] = torch.sin(angle), torch.cos(angle[:, : dim // 2])
        return codes


    class EncoderLayer(nn.Module):
        """A pre-norm Transformer encoder layer; attention ignores the padding."""

        def __init__(self):
            super().__init__()
            self.norm1 = nn.LayerNorm($d_model)
            self.attention = nn.MultiheadAttention($d_model, $heads, batch_first=True)
            self.norm2 = nn.LayerNorm($d_model)
            self.feed_forward = nn.Sequential(nn.Linear($d_model, $ff_dim), $act, nn.Dropout($dropout),
                                              nn.Linear($ff_dim, $d_model))
            self.dropout = nn.Dropout($dropout)

        def forward(self, x, mask):
            h = self.norm1(x)
            x = x + self.dropout(self.attention(h, h, h, key_padding_mask=~mask, need_weights=False)[0])
            return x + self.dropout(self.feed_forward(self.norm2(x)))


    class Transformer(nn.Module):
        """Self-attention over the sequence, then the $pool over the residues."""

        def __init__(self, in_features, out_features):
            super().__init__()
            self.embed = $embed
            self.project = nn.Linear($width, $d_model)
            self.layers = nn.ModuleList(EncoderLayer() for _ in range($layers))
            self.norm = nn.LayerNorm($d_model)
            self.dropout = nn.Dropout($dropout)
            self.head = $head($d_model, out_features)

        def forward(self, x, mask):
            h = self.project(self.embed(x))
            h = h + positions(h.shape[1], h.shape[2]).to(h.device)
            for layer in self.layers:
                h = layer(h, mask)
            return self.head(self.dropout(pool(self.norm(h), mask)))
'''
INIT = '''
    def initialise(model):
        """$init_doc
        Every bias starts at 0; normalisation layers keep their weight 1 and bias 0."""
        generator = torch.Generator().manual_seed(SEED)  # as ProtScope: drawn from the seed's own generator
        $layer_gains
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d, nn.Embedding)):
                weights, nonlinearity = [module.weight], $linear_gain
            elif isinstance(module, (nn.GRU, nn.LSTM)):  # tanh cells: their input and hidden matrices
                weights = [w for name, w in module.named_parameters(recurse=False) if name.startswith("weight_")]
                nonlinearity = "tanh"
            elif isinstance(module, nn.MultiheadAttention):  # its out_proj is an nn.Linear
                weights, nonlinearity = [module.in_proj_weight], $nonlinearity
            else:
                continue
            with torch.no_grad():
                for w in weights:
                    $init_weight
                for name, bias in module.named_parameters(recurse=False):
                    if "bias" in name:
                        bias.zero_()
                if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                    module.weight[module.padding_idx] = 0  # the padding token's vector stays all zero
        return model
'''
HARMONIC = '''
    class HarmonicHead(nn.Linear):
        """The harmonic loss's output layer (Baek et al. 2025): weight row i is class i's centre, and the
        logits are -n * log(distance to each centre), so their softmax is p_i = d_i**-n / sum_j d_j**-n."""

        def __init__(self, in_features, out_features):
            super().__init__(in_features, out_features, bias=False)
            self.n = $exponent

        def forward(self, x):
            w = self.weight
            squared = (x * x).sum(-1, keepdim=True) - 2 * x @ w.T + (w * w).sum(-1)  # squared distances
            return -0.5 * self.n * torch.log(squared.clamp(min=0) + 1e-8)
'''
LOSSES = {
    "mse": "return F.mse_loss(logits.squeeze(-1), y)",
    "l1": "return F.l1_loss(logits.squeeze(-1), y)",
    "huber": "return F.huber_loss(logits.squeeze(-1), y, delta=$huber_delta)",
    "msle": '''
        """Mean squared logarithmic error; predictions below 0 count as 0, as in ProtScope and Keras."""
        return F.mse_loss(torch.log1p(logits.squeeze(-1).clamp(min=0)), torch.log1p(y))''',
    "bce": "return F.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float()$pos_weight)",
    "ce": "return F.cross_entropy(logits, y$weight$label_smoothing)",
    "harmonic": "return F.cross_entropy(logits, y$weight$label_smoothing)  # on HarmonicHead's logits",
    "focal1": '''
        """Focal loss (Lin et al. 2017): BCE times (1 - p_true)**gamma, to down-weight easy examples."""
        y, logits = y.float(), logits.squeeze(-1)
        p_true = torch.sigmoid(logits) * y + (1 - torch.sigmoid(logits)) * (1 - y)
        loss = F.binary_cross_entropy_with_logits(logits, y, reduction="none") * (1 - p_true) ** $focal_gamma
        $alpha
        return loss.mean()''',
    "focal": '''
        """Focal loss (Lin et al. 2017): cross-entropy times (1 - p_true)**gamma, to down-weight easy examples."""
        log_p = F.log_softmax(logits, dim=-1).gather(1, y.unsqueeze(1)).squeeze(1)
        loss = -((1 - log_p.exp()) ** $focal_gamma) * log_p
        $reduce''',
}
EVALUATE = '''
    def score(logits, y):
        """$score_doc"""
        $score


    @torch.no_grad()
    def evaluate(index):
        """Loss and $metric over these rows, in evaluation mode (no dropout)."""
        model.eval()
        logits, targets = [], []
        for start in range(0, len(index), 256):
            x, mask, target = batch(index[start:start + 256])
            logits.append(model(x, mask))
            targets.append(target)
        model.train()
        logits, targets = torch.cat(logits), torch.cat(targets)
        return loss_fn(logits, targets).item(), score(logits, targets)


    if os.environ.get("$dry"):  # a dry run builds everything and trains nothing
        raise SystemExit(0)
'''
LOOP = '''
    # --- training ----------------------------------------------------------------------------------
    rng = np.random.default_rng(SEED)  # batch order
    $setup
    for epoch in range(1, EPOCHS + 1):
        model.train()
        order = rng.permutation(rows["train"])
        batches = [order[i:i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]$max_batches
        train_loss = 0.0
        $batch_loop
            x, mask, target = batch(index)
            loss = loss_fn(model(x, mask), target)
            $update
            train_loss += loss.item() * len(index)
        val_loss, val_score = evaluate(rows["val"])
        print(f"epoch {epoch}: train loss {train_loss / sum(map(len, batches)):.4f}, val loss {val_loss:.4f}, "
              f"val $metric {val_score:.3f}")
        $after_epoch
    $restore
    test_loss, test_score = evaluate(rows["test"])
    print(f"test loss {test_loss:.4f}, test $metric {test_score:.3f}")
'''
