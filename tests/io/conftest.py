"""Fixtures for the importer tests: the bundled sample and tiny hand-written OSM files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from teplo.area import Area
from teplo.io import load_area, sample_path

# Tiny test areas sit in Kharkiv (36.23 E, 49.99 N; UTM zone 36N). At this
# latitude 0.0001 deg is about 11.1 m north-south and 7.2 m east-west.
LON0, LAT0 = 36.2300, 49.9900


@pytest.fixture(scope="session")
def sample_area() -> Area:
    """The bundled Moscow extract, read once per test session (about 1 s)."""
    return load_area(sample_path())


def osm_xml(
    nodes: dict[int, tuple[float, float]],
    ways: Iterable[tuple[int, Sequence[int], dict[str, str]]] = (),
    relations: Iterable[tuple[int, Sequence[tuple[str, int, str]], dict[str, str]]] = (),
) -> str:
    """OSM XML 0.6 text from nodes {id: (dx, dy)} in units of 0.0001 deg from (LON0, LAT0)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="teplo-tests">']
    for nid, (dx, dy) in sorted(nodes.items()):
        lines.append(f'  <node id="{nid}" version="1" lat="{LAT0 + dy * 1e-4:.7f}" lon="{LON0 + dx * 1e-4:.7f}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    for rid, members, tags in relations:
        lines.append(f'  <relation id="{rid}" version="1">')
        lines += [f'    <member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </relation>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def square(first_id: int, dx: float, dy: float, size: float = 2.0) -> dict[int, tuple[float, float]]:
    """Four corner nodes (ids first_id..first_id+3) of a square of ``size`` x 0.0001 deg."""
    return {
        first_id: (dx, dy),
        first_id + 1: (dx + size, dy),
        first_id + 2: (dx + size, dy + size),
        first_id + 3: (dx, dy + size),
    }


def ring(first_id: int) -> list[int]:
    """Closed node list of a :func:`square`."""
    return [first_id, first_id + 1, first_id + 2, first_id + 3, first_id]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
