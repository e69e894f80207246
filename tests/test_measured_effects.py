"""Predicted mutation effects beside measured ones (protscope/explain/measured.py), on GB1's four sites."""
import numpy as np
import pytest

from protscope.config.layering import layered
from protscope.data.builtin import config_for, get_spec, load_data
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.explain.measured import predicted_against_measured, variants_of
from protscope.explain.mutagenesis import saturation_mutagenesis
from protscope.train.trainer import Trainer


@pytest.fixture(scope="module")
def gb1():
    return load_data(config_for("gb1"))


def test_gb1s_single_mutants_are_read_against_its_wild_type(gb1):
    variants = variants_of(gb1, get_spec("gb1").wild_type)
    assert list(variants.sites + 1) == [39, 40, 41, 54] and variants.wild_type_value == 1.0 and not variants.assumed
    assert int(np.isfinite(variants.singles).sum()) == 27  # the library's measured single mutants
    row = "ACDEFGHIKLMNPQRSTVWY".index("I")
    assert variants.singles[row, 0] == pytest.approx(1.4459050863 - 1.0)  # IDGV, as the file has it
    guessed = variants_of(gb1)
    assert guessed is None or guessed.assumed  # the consensus of a combinatorial library is only an assumption
    with pytest.raises(ProtScopeError, match="neither an id nor a sequence"):
        variants_of(gb1, "NOPE")
    assert variants_of(load_data(config_for("esol"))) is None  # not variants of one protein


def test_the_comparison_is_the_wild_types_mutagenesis_at_the_sites(gb1, tmp_path):
    config = layered(preset=dict(encoding="onehot", model="mlp", hidden=(16,), epochs=1, max_batches=5),
                     data=config_for("gb1").to_dict())
    run = Trainer(config, gb1, make_split(gb1, config.data), run_dir=tmp_path).run()
    variants = variants_of(gb1, "VDGV")
    found = predicted_against_measured(run.checkpoint, variants)
    scan = saturation_mutagenesis(run.checkpoint, variants.wild_type)
    assert np.allclose(found.predicted, scan.effects[:, variants.sites])
    assert found.count == 27 and -1 <= found.spearman <= 1 and found.labels()[0] == "V39A"
