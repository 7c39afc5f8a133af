"""Settings files: the example round-trips, bad keys and values name the line and the range."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from teplo.cli import app
from teplo.errors import InputError
from teplo.settings import Settings, example_toml, load_settings


def test_example_is_valid_and_equals_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "teplo.toml"
    path.write_text(example_toml())
    assert load_settings(path) == Settings()


def _leaves(model: type[BaseModel], header: str) -> list[tuple[str, str, FieldInfo]]:
    """(section header, name, field) of every leaf setting; nested models are sections."""
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _leaves(ann, f"{header}.{name}")
        else:
            out.append((header, name, field))
    return out


def test_every_setting_appears_with_its_description() -> None:
    text = example_toml()
    leaves = _leaves(Settings, "")
    assert len(leaves) > 30
    for header, name, field in leaves:
        assert f"[{header.lstrip('.')}]" in text
        assert f"{name} =" in text, name
        assert field.description and field.description in text, f"{header}.{name} has no description"


def test_unknown_key_names_line_and_allowed_keys(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[stress]\ntemp_c = -20\nradius = 300\n")
    with pytest.raises(InputError, match=r"bad\.toml:3: setting 'stress\.radius': unknown key.*radius_m"):
        load_settings(path)


def test_out_of_range_value_names_line_and_range(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[network]\nregime = "95/70"\nmax_dp_pa_per_m = -5\n')
    with pytest.raises(InputError, match=r"bad\.toml:3: .*max_dp_pa_per_m.*> 0, <= 1000"):
        load_settings(path)


def test_unknown_section_and_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[netwrk]\nrings = true\n")
    with pytest.raises(InputError, match=r"bad\.toml:1: setting 'netwrk': unknown key"):
        load_settings(path)
    path.write_text("[network\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_settings(path)


def test_cli_config(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["config", "--example"])
    assert out.exit_code == 0 and "[network]" in out.output
    path = tmp_path / "s.toml"
    path.write_text("[stress]\nduration_h = 0\n")
    res = runner.invoke(app, ["config", "--check", str(path)])
    assert res.exit_code == 1 and "duration_h" in res.output and "Traceback" not in res.output
