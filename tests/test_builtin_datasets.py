"""The built-in datasets load and match the counts stated in their provenance."""
import numpy as np
import pytest

from protscope.data.builtin import SAMPLE_DIR, config_for, dataset_names, get_spec, load_data
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError

# (rows, task, train/val/test of the published split) as given in shared/data/PROVENANCE.md
EXPECTED = {
    "esol": (3147, "binary", (2364, 0, 783)),
    "esol-regression": (3147, "regression", (2364, 0, 783)),
    "deepsol": (8943, "binary", (6942, 0, 2001)),
    "ss3": (11301, "residue", (9712 - 1, 1080 - 1, 511)),  # 2 CB513 overlaps dropped from train/val
    "ss3-new364": (11156, "residue", (9712, 1080, 364)),
    "ss3-ts115": (10906, "residue", (9712 - 1, 1080, 115)),
    "ss3-casp12": (10812, "residue", (9712, 1080, 20)),
    "gb1": (8733, "regression", (2691, 299, 5743)),
    "structure-content": (11156, "multilabel", (9712, 1080, 364)),  # derived: sample_data/README.md
    "planted-motif": (2000, "binary", (1400, 300, 300)),  # synthetic: sample_data/README.md
}


@pytest.fixture(scope="module")
def loaded():
    return {}


def get(loaded, name):
    if name not in loaded:
        loaded[name] = load_data(config_for(name))
    return loaded[name]


def test_manifest_lists_every_dataset_with_its_files():
    assert set(dataset_names()) == set(EXPECTED)
    for name in dataset_names():
        spec = get_spec(name)
        assert spec.title and spec.description and spec.citation
        for f in spec.files:
            assert (SAMPLE_DIR / f.path).is_file(), f.path


@pytest.mark.parametrize("name", EXPECTED)
def test_builtin_dataset_matches_provenance(loaded, name):
    data = get(loaded, name)
    rows, task, split = EXPECTED[name]
    assert (len(data), data.task) == (rows, task)
    assert tuple(np.bincount(data.file_split, minlength=3)) == split
    assert data.tokens.dtype == np.uint8 and data.tokens.shape[0] == rows
    make_split(data, config_for(name))  # the default split works


def test_cb513_is_scored_only_on_eval_mask(loaded):
    """PROVENANCE: 83,427 CB513 residues are evaluated, 34.9% H / 22.4% E / 42.7% C."""
    data = get(loaded, "ss3")
    test = data.file_split == 2
    scored = data.residue_y[test][data.residue_mask[test]]
    assert scored.size == 83427
    shares = np.bincount(scored, minlength=3) / scored.size
    np.testing.assert_allclose(shares, [0.349, 0.224, 0.427], atol=0.001)


def test_netsurfp_unresolved_residues_are_masked(loaded):
    """PROVENANCE: 2,479,773 train residues, 2,319,963 resolved."""
    data = get(loaded, "ss3-new364")
    train = data.file_split == 0
    assert int(data.lengths[train].sum()) == 2479773
    assert int(data.residue_mask[train].sum()) == 2319963


def test_esol_binary_label_is_solubility_at_half(loaded):
    binary, values = get(loaded, "esol"), get(loaded, "esol-regression")
    np.testing.assert_array_equal(binary.y, (values.y >= 0.5).astype(int))


def test_unknown_dataset_name():
    with pytest.raises(ProtScopeError, match="no built-in dataset 'esl'.*esol"):
        config_for("esl")


def test_structure_content_labels_match_its_readme(loaded):
    """sample_data/README.md: helix 9,505, strand 7,649, unresolved 4,634 of 11,156; helix+strand 6,049."""
    data = get(loaded, "structure-content")
    assert data.classes == ("helix", "strand", "unresolved") and data.y.shape == (11156, 3)
    assert data.y.sum(axis=0).tolist() == [9505, 7649, 4634]
    assert int((data.y[:, 0] * data.y[:, 1]).sum()) == 6049
    assert [int(data.y[data.file_split == 0][:, j].sum()) for j in range(3)] == [8293, 6718, 4051]


def test_a_derived_file_that_differs_from_its_sha256_is_refused(tmp_path, monkeypatch):
    import protscope.data.builtin as builtin

    spec = get_spec("structure-content")
    assert len(spec.files[0].sha256) == 64
    copy = tmp_path / spec.files[0].path
    copy.parent.mkdir(parents=True)
    copy.write_bytes((SAMPLE_DIR / spec.files[0].path).read_bytes() + b"\n")
    monkeypatch.setattr(builtin, "SAMPLE_DIR", tmp_path)
    with pytest.raises(ProtScopeError, match="not the one the manifest names.*run the script"):
        load_data(config_for("structure-content"))


def test_the_planted_motif_is_where_the_file_says_and_nowhere_else():
    import pandas as pd

    from protscope.data.builtin import get_spec

    table = pd.read_csv(SAMPLE_DIR / get_spec("planted-motif").files[0].path)
    carries = table["sequence"].str.contains("WH[KR]C[YF]")
    assert (carries == (table["label"] == 1)).all()
    planted = table[table["label"] == 1]
    found = [s[start - 1:start + 4] for s, start in zip(planted["sequence"], planted["motif_start"])]
    assert all(m[:2] == "WH" and m[3] == "C" for m in found) and (table.loc[~carries, "motif_start"] == 0).all()
