"""The settings of a whole run: one TOML file, one section per stage.

Each stage owns a pydantic model (``extra="forbid"``, bounds, a unit and a
source in every description); :class:`Settings` nests them. ``teplo config
--example`` prints a fully commented file generated from those models, so
defaults, units and sources cannot drift from the code. A file with an
unknown key or a value out of range is rejected with the key, what is
allowed, and the line in the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from teplo.errors import InputError, InputFileNotFound
from teplo.network.design import NetworkSettings
from teplo.supply.dispatch import DispatchSettings
from teplo.supply.settings import SitingSettings


class DemandSettings(BaseModel):
    """Demand stage: weather and per-building overrides."""

    model_config = ConfigDict(extra="forbid")

    weather: str | None = Field(
        None, description="Hourly temperature CSV (time,temp_c) or EPW; default: bundled Kharkiv 2015-16."
    )
    overrides: str | None = Field(
        None, description="CSV keyed by building_id overriding typology or demand (metered MWh)."
    )
    design_temp_c: float = Field(
        -23.0, ge=-45, le=5, description="Design outdoor temperature, degC (kharkiv-figures §1: -23)."
    )
    indoor_temp_c: float = Field(
        20.0, ge=14, le=26, description="Design indoor temperature, degC (kharkiv-figures §2.5)."
    )


Family = Literal["n-1", "n-2", "strike", "blackout", "gas", "pipe"]
FAMILIES: tuple[Family, ...] = ("n-1", "n-2", "strike", "blackout", "gas", "pipe")


class StressRunSettings(BaseModel):
    """Stress stage: which scenario families, at what temperature, radius and duration."""

    model_config = ConfigDict(extra="forbid")

    families: list[Family] = Field(
        default_factory=lambda: list(FAMILIES),
        description="Scenario families to run.",
    )
    temp_c: float = Field(
        -20.0, ge=-40, le=10, description="Outdoor temperature, degC (kharkiv-figures §1: -20 on 3 Feb 2026)."
    )
    radius_m: float = Field(300.0, gt=0, le=5000, description="Strike radius, m (issue #5 default R).")
    duration_h: float = Field(48.0, gt=0, le=720, description="Scenario window, h.")
    dask: str | None = Field(None, description="'local' or a dask scheduler address; none: in process.")


class Settings(BaseModel):
    """All settings of ``teplo run``."""

    model_config = ConfigDict(extra="forbid")

    demand: DemandSettings = Field(default_factory=DemandSettings)
    plan: SitingSettings = Field(default_factory=SitingSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    operation: DispatchSettings = Field(default_factory=DispatchSettings)
    stress: StressRunSettings = Field(default_factory=StressRunSettings)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) in the TOML ``text`` where the key path ``loc`` is set, if found."""
    section, key = (str(loc[0]), str(loc[-1])) if len(loc) > 1 else (None, str(loc[0]))
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        head = re.match(r"^\[([^\]]+)\]", stripped)
        if head:
            current = head.group(1).strip()
            if section is None and current == key:
                return number
            continue
        if re.match(rf"^{re.escape(key)}\s*=", stripped) and (section is None or current == section):
            return number
    return None


_BOUND_SYMBOLS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _bounds(info: FieldInfo) -> str:
    """The numeric bounds of a field as text, e.g. '> 0, <= 1000'."""
    parts = []
    for meta in info.metadata:
        for attr, symbol in _BOUND_SYMBOLS.items():
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value}")
    return ", ".join(parts)


def _allowed(loc: tuple[Any, ...]) -> str:
    """What the model allows at ``loc``: its bounds or choices, for the error message."""
    model: type[BaseModel] = Settings
    info: FieldInfo | None = None
    for part in loc:
        fields = model.model_fields
        if str(part) not in fields:
            allowed = ", ".join(fields)
            return f"allowed keys here: {allowed}"
        info = fields[str(part)]
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    if info is None:
        return ""
    bounds = _bounds(info)
    text = f"allowed: {bounds}" if bounds else ""
    if info.description:
        text = f"{text} ({info.description})" if text else info.description
    return text


def load_settings(path: str | os.PathLike[str] | None) -> Settings:
    """Read and validate a settings TOML; no path gives the defaults."""
    if path is None:
        return Settings()
    p = Path(path)
    if not p.exists():
        raise InputFileNotFound(f"{p}: no such settings file")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(x) for x in loc)
        line = _line_of(text, loc)
        where = f"{p}:{line}" if line else str(p)
        what = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise InputError(f"{where}: setting '{key}': {what}; {_allowed(loc)}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _emit_model(
    lines: list[str], header: str, model: type[BaseModel], values: BaseModel, description: str = ""
) -> None:
    """Append ``[header]`` with every field of ``model``; nested models become ``[header.name]``."""
    lines.append(f"[{header}]")
    doc = (model.__doc__ or "").strip().splitlines()
    if description:
        lines.append(f"# {description}")
    if doc:
        lines.append(f"# {doc[0]}")
    nested: list[tuple[str, type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            nested.append((name, ann, field.description or ""))
            continue
        bounds = _bounds(field)
        lines.append(f"# {field.description or ''}" + (f" [{bounds}]" if bounds else ""))
        value = getattr(values, name)
        lines.append(f"# {name} = " if value is None else f"{name} = {_toml_value(value)}")
    lines.append("")
    for name, sub, text in nested:
        _emit_model(lines, f"{header}.{name}", sub, getattr(values, name), text)


def example_toml() -> str:
    """A fully commented settings file with every setting, its default, unit and source."""
    lines = [
        "# teplo settings: `teplo run AREA --config this.toml`.",
        "# Every value below is the default; delete what you do not change.",
        "",
    ]
    defaults = Settings()
    for section, info in Settings.model_fields.items():
        model = info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        _emit_model(lines, section, model, getattr(defaults, section))
    return "\n".join(lines)
