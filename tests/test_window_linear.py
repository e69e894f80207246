"""The window network's first layer reads tokens as a convolution (protscope.modeling.models.WindowLinear): the
same outputs and gradients as nn.Linear over the dense window encoding, and a run trains the same either way."""
import numpy as np
import pytest
import torch

from protscope.config.run_config import RunConfig
from protscope.config.sections import EncodingConfig
from protscope.modeling.encodings import window_fn
from protscope.modeling.models import WindowLinear
from protscope.train.prepare import prepare
from protscope.train.trainer import Trainer


@pytest.mark.parametrize("w", [0, 1, 6])
def test_reading_tokens_gives_the_dense_windows_outputs_and_gradients(w):
    torch.manual_seed(0)
    tokens = torch.randint(1, 22, (3, 17))  # X (21) included
    tokens[1, 11:] = 0  # a shorter protein: padding at its end
    lengths = (tokens != 0).sum(1)
    mask = torch.arange(17) < lengths[:, None]
    layer = WindowLinear(w, (2 * w + 1) * 21, 5)
    dense = layer(window_fn(tokens, lengths, EncodingConfig(name="window", window=w))[mask])  # (N_real, 5)
    (dense ** 2).sum().backward()
    expected = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    direct = layer(tokens, mask)
    (direct ** 2).sum().backward()
    torch.testing.assert_close(direct, dense, rtol=1e-5, atol=1e-5)
    for grad, want in zip((p.grad for p in layer.parameters()), expected):
        torch.testing.assert_close(grad, want, rtol=1e-4, atol=1e-5)


def test_a_window_network_trains_on_tokens_to_the_same_run(tiny, monkeypatch):
    data, split = tiny["residue"]
    config = RunConfig().with_values(model="window_mlp", encoding="window", window=3, hidden=(8,), epochs=2,
                                     batch_size=16, activation="sigmoid")
    assert prepare(config, data, split).tokens_only
    fast = Trainer(config, data, split).run()
    monkeypatch.setattr("protscope.train.prepare.Prepared.tokens_only", property(lambda self: False))
    dense = Trainer(config, data, split).run()
    assert np.allclose([r["train_loss"] for r in fast.history], [r["train_loss"] for r in dense.history], rtol=1e-4)
    assert fast.metrics["test"]["accuracy"] == pytest.approx(dense.metrics["test"]["accuracy"], abs=1e-6)
