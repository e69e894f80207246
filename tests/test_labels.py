import numpy as np
import pytest

from protscope.data.labels import parse_labels, parse_masks, parse_residue_labels
from protscope.errors import ProtScopeError

where = lambda i: f"row {i + 1}"  # noqa: E731


@pytest.mark.parametrize("values, task, classes", [
    (["0", "1"] * 10, "binary", ("0", "1")),
    (["1.0", "0.0"] * 10, "binary", ("0", "1")),
    (["soluble", "insoluble"] * 10, "binary", ("insoluble", "soluble")),
    (["yes", "no"] * 10, "binary", ("no", "yes")),
    (["H", "E", "C"] * 10, "multiclass", ("C", "E", "H")),
    ([str(i % 4) for i in range(60)], "multiclass", ("0", "1", "2", "3")),
    ([f"{i * 0.37:.2f}" for i in range(30)], "regression", ()),
])
def test_task_is_inferred(values, task, classes):
    parsed = parse_labels(values, "auto", None, where)
    assert parsed.task == task
    assert parsed.classes == classes
    if task != "regression":
        assert parsed.y.dtype == np.int64 and parsed.y.max() == len(classes) - 1


def test_positive_class_is_index_one():
    parsed = parse_labels(["soluble", "insoluble", "soluble"] * 8, "auto", None, where)
    assert parsed.y[:3].tolist() == [1, 0, 1]


def test_regression_values_are_float32():
    parsed = parse_labels(["0.5", "1.25", "3"] * 5, "auto", None, where)
    assert parsed.y.dtype == np.float32
    np.testing.assert_allclose(parsed.y[:3], [0.5, 1.25, 3])


def test_binarize_at_threshold():
    parsed = parse_labels(["0.1", "0.5", "0.9", "0.49"] * 5, "auto", 0.5, where)
    assert parsed.task == "binary"
    assert parsed.y[:4].tolist() == [0, 1, 1, 0]


def test_task_override_regression_on_binary_numbers():
    assert parse_labels(["0", "1"] * 10, "regression", None, where).task == "regression"


@pytest.mark.parametrize("values, task, message", [
    (["1", "nan", "0"] * 8, "auto", "have no label"),
    (["1", "", "0"] * 8, "auto", "have no label"),
    (["1", "inf", "0"] * 8, "auto", "not a finite number"),
    (["1"] * 20, "auto", "same label"),
    (["a"] * 20, "auto", "same label"),
    ([f"class{i}" for i in range(30)], "auto", "too many classes"),
    (["0.2", "x", "0.4", "0.5"] * 6, "auto", "not a number"),
    (["a", "b"] * 10, "regression", "not numbers"),
    (["a", "b", "c"] * 10, "binary", "needs 2 classes"),
    ([str(i * 0.1) for i in range(30)], "binary", "binarize_at"),
])
def test_bad_labels_are_rejected(values, task, message):
    with pytest.raises(ProtScopeError, match=message) as info:
        parse_labels(values, task, None, where)
    assert "Fix:" in str(info.value)


def test_residue_labels_keep_dssp_order():
    classes, codes = parse_residue_labels(["CCHHE", "EEC"])
    assert classes == ("H", "E", "C")
    assert codes.tolist() == [2, 2, 0, 0, 1, 1, 1, 2]


def test_residue_labels_other_alphabet_sorted():
    classes, codes = parse_residue_labels(["ab", "ca"])
    assert classes == ("a", "b", "c")
    assert codes.tolist() == [0, 1, 2, 0]


def test_masks_parse_and_reject_other_characters():
    assert parse_masks(["101", "1"], where).tolist() == [True, False, True, True]
    with pytest.raises(ProtScopeError, match="only 0 and 1"):
        parse_masks(["10", "1x"], where)
