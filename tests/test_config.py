"""bench.config: system and suite YAML → frozen configs; every mistake is a UserError."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.config import RunConfig, load_run_config, load_suite
from bench.errors import UserError
from bench.paths import CONFIG_ROOT

VALID = """\
name: tfidf-test
system: tfidf_linear
description: a test config
params:
  classifier: logreg
grid:
  C: [1.0, 4.0]
seed: 3
"""


def write(tmp_path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_system_config_loads(tmp_path):
    path = write(tmp_path, VALID)
    config = load_run_config(path)
    assert config == RunConfig(name="tfidf-test", system="tfidf_linear", params={"classifier": "logreg"},
                               grid={"C": [1.0, 4.0]}, seed=3, description="a test config", source=str(path))
    assert config.model is None and config.data is None
    assert "source" not in config.to_dict()


def test_every_shipped_system_config_loads():
    names = {load_run_config(path).name for path in (CONFIG_ROOT / "systems").glob("*.yaml")}
    assert {"majority", "cue-rules", "tfidf-logreg", "minilm-finetune"} <= names


@pytest.mark.parametrize("text, message", [
    (VALID + "epochs: 3\n", "unknown key 'epochs'"),
    (VALID.replace("seed: 3", "seed: three"), "key 'seed' must be int, not str"),
    (VALID.replace("seed: 3", "seed: true"), "key 'seed' must be int, not bool"),
    (VALID.replace("params:\n  classifier: logreg", "params: [logreg]"), "key 'params' must be dict, not list"),
    (VALID.replace("name: tfidf-test\n", ""), "missing required key 'name'"),
    (VALID.replace("system: tfidf_linear\n", ""), "missing required key 'system'"),
    (VALID.replace("system: tfidf_linear", "system: bert_magic"), "unknown system 'bert_magic'"),
    (VALID.replace("C: [1.0, 4.0]", "C: []"), "grid entry 'C' must be a non-empty list"),
    (VALID.replace("C: [1.0, 4.0]", "C: 1.0"), "grid entry 'C' must be a non-empty list"),
    ("name: x\nsystem: a: b\n", "malformed YAML at line 2"),
    ("- just\n- a list\n", "a config must be a YAML mapping"),
])
def test_config_mistakes_are_user_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        load_run_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="config file not found"):
        load_run_config(tmp_path / "absent.yaml")


def test_sha256_ignores_seed_and_description_but_not_params(tmp_path):
    config = load_run_config(write(tmp_path, VALID))
    assert replace(config, seed=99).sha256() == config.sha256()
    assert replace(config, description="other words").sha256() == config.sha256()
    assert replace(config, params={"classifier": "svm"}).sha256() != config.sha256()
    assert replace(config, grid={"C": [1.0]}).sha256() != config.sha256()
    assert replace(config, model="some/model").sha256() != config.sha256()
    assert len(config.sha256()) == 64


def test_load_suite_by_name():
    suite = load_suite("quick")
    assert suite.name == "quick"
    assert [entry.config.name for entry in suite.entries] == ["majority", "cue-rules", "tfidf-logreg"]
    assert all(entry.seeds == (0,) for entry in suite.entries)


def test_load_suite_by_path_with_seeds(tmp_path):
    path = write(tmp_path, "name: mine\nsystems:\n  - systems/majority.yaml\n"
                           "  - config: systems/cue-rules.yaml\n    seeds: [1, 2]\n", "suite.yaml")
    suite = load_suite(str(path))
    assert [(e.config.name, e.seeds) for e in suite.entries] == [("majority", (0,)), ("cue-rules", (1, 2))]


def test_unknown_suite_lists_the_known_ones():
    with pytest.raises(UserError, match=r"unknown suite 'nope' \(known: .*quick"):
        load_suite("nope")


@pytest.mark.parametrize("body, message", [
    ("systems: []\n", "a suite needs at least one system"),
    ("systems:\n  - config: systems/majority.yaml\n    seeds: [1, two]\n", "a seed must be an integer"),
    ("systems:\n  - config: systems/majority.yaml\n    seeds: [true]\n", "a seed must be an integer"),
    ("systems:\n  - config: systems/majority.yaml\n    seeds: [-1]\n", "a seed must be an integer from 0"),
    ("systems:\n  - config: systems/majority.yaml\n    seeds: [3, 3]\n", "seed 3 is given twice"),
    ("systems:\n  - seeds: [1]\n", "needs a 'config' path"),
    ("systems:\n  - config: systems/majority.yaml\n    epochs: 2\n", "unknown key 'epochs'"),
    ("systems:\n  - systems/absent.yaml\n", "config file not found"),
])
def test_suite_mistakes_are_user_errors(tmp_path, body, message):
    with pytest.raises(UserError, match=message):
        load_suite(str(write(tmp_path, "name: broken\n" + body, "suite.yaml")))


def test_an_install_without_its_checkout_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr("bench.config.CONFIG_ROOT", tmp_path / "configs")
    with pytest.raises(UserError, match="configs folder not found; ClaimFrame's configs and data live in a checkout"):
        load_suite("default")


def test_smoke_test_is_read_and_leaves_the_hash_of_other_configs_alone(tmp_path):
    import hashlib
    import json

    plain = RunConfig(name="m", system="majority")
    content = {k: v for k, v in plain.to_dict().items() if k not in ("seed", "description", "smoke_test")}
    assert plain.sha256() == hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    path = tmp_path / "smoke.yaml"
    path.write_text("name: m\nsystem: majority\nsmoke_test: true\n")
    smoke = load_run_config(path)
    assert smoke.smoke_test is True and smoke.sha256() != plain.sha256()
