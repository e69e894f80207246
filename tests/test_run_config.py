"""The run config: JSON round trip, flat names, and combinations refused with advice."""
import dataclasses

import pytest

from protscope.config.relevance import matters
from protscope.config.run_config import SECTIONS, RunConfig, locate
from protscope.errors import ProtScopeError


def test_json_round_trip():
    cfg = RunConfig().with_values(model="cnn", lr=0.01, hidden=(32, 16), epochs=3, scheduler="cosine",
                                  class_weights="balanced", binarize_at=0.5)
    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_field_names_are_unique_across_sections():
    names = [f.name for cls in SECTIONS.values() for f in dataclasses.fields(cls) if f.name != "name"]
    assert len(names) == len(set(names))
    assert locate("lr") == ("optimizer", "lr") and locate("model") == ("model", "name")


def test_every_field_has_help():
    for cls in SECTIONS.values():
        for field in cls.describe():
            assert field["help"], f"{cls.__name__}.{field['name']} has no help text"


@pytest.mark.parametrize("values, message", [
    (dict(task="multiclass", loss="bce", encoding="aac"), "BCE is for binary"),
    (dict(task="regression", loss="ce", encoding="aac"), "for classification"),
    (dict(task="binary", loss="mse", encoding="aac"), "for regression"),
    (dict(task="binary", model="window_mlp", encoding="window"), "one label per residue"),
    (dict(task="residue", model="mlp", encoding="aac"), "needs one per residue"),
    (dict(task="binary", model="cnn", encoding="aac"), "cannot read the 'aac' encoding"),
    (dict(task="residue", model="window_mlp", encoding="onehot"), "cannot read the 'onehot'"),
    (dict(model="transformer", d_model=30, heads=4), "not divisible"),
    (dict(lr=100.0), "between"),
    (dict(monitor="accuracy"), "validation metric"),
    (dict(class_weights="1,x"), "class_weights"),
])
def test_impossible_combinations_are_refused(values, message):
    with pytest.raises(ProtScopeError, match=message) as info:
        RunConfig().with_values(**values)
    assert "Fix:" in str(info.value)


def test_unknown_keys_get_suggestions():
    with pytest.raises(ProtScopeError, match="did you mean 'lr'"):
        RunConfig.from_dict({"optimizer": {"lrr": 0.1}})
    with pytest.raises(ProtScopeError, match="did you mean 'dropout'"):
        RunConfig().with_values(dropuot=0.1)
    with pytest.raises(ProtScopeError, match="not valid JSON"):
        RunConfig.from_json("{bad")


def test_relevant_fields_follow_the_choice():
    model = RunConfig().model.replace(name="cnn")
    assert matters(model, "kernel_size") and not matters(model, "rnn_hidden") and matters(model, "dropout")


def test_every_data_field_has_a_group_and_the_dashboards_lists_come_from_them():
    import dataclasses

    from dashboard.logic.workspace import COLUMN_FIELDS, SPLIT_FIELDS
    from protscope.config.sections import DataConfig

    assert {f.metadata["group"] for f in dataclasses.fields(DataConfig)} == set(DataConfig.GROUPS)
    assert DataConfig.fields_in("columns") == COLUMN_FIELDS and COLUMN_FIELDS[1] == "sequence_col"
    assert DataConfig.fields_in("split") == SPLIT_FIELDS and "val_fraction" in SPLIT_FIELDS
    assert sum(len(DataConfig.fields_in(g)) for g in DataConfig.GROUPS) == len(dataclasses.fields(DataConfig))


def test_settings_layer_defaults_preset_saved_data_flags():
    from protscope.config.layering import layered

    saved = RunConfig().with_values(lr=0.02, epochs=7, dataset="esol").to_dict()
    config = layered(preset={"lr": 0.5, "model": "cnn", "encoding": "tokens", "dataset": "esol"}, saved=saved,
                     data={"dataset": "", "path": "mine.csv"}, flags={"epochs": 3, "dropout": None})
    assert config.optimizer.lr == 0.02  # the saved config over the preset
    assert config.model.name == "mlp"  # the saved config holds every field, so it wins whole
    assert config.data.path == "mine.csv" and config.data.dataset == ""  # the data over the saved config
    assert config.training.epochs == 3 and config.model.dropout == RunConfig().model.dropout  # flags last
    assert layered(preset={"lr": 0.5}).optimizer.lr == 0.5 and layered() == RunConfig()
