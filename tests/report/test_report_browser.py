"""The report opens in headless Chromium with no JavaScript error, no network request, and every chart drawn.

Chromium is driven over the DevTools Protocol (:mod:`tests.report.cdp`). The
test records uncaught exceptions, console errors and error log entries, and
every URL the page requests (only ``file:`` and ``data:`` are allowed: the
page must work offline); checks that each plotly div holds traces with data
and drew SVG paths or markers of real size; clicks the map's "Hours to
12 °C" button and hovers a building; and takes screenshots, whose pixels are
counted (decoded by the browser itself) to prove they are not blank. Set
``TEPLO_REPORT_ARTIFACTS=<dir>`` to keep the report and the PNGs.

Skips only when no Chromium is installed; ``scripts/ensure_chromium.sh``
(run by ``make test``) installs Debian's when running as root.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from teplo.report import write_report
from teplo.report.maps import MAP_DIV_ID
from teplo.report.plots import COOLING_DIV_ID, GAS_DIV_ID, LOAD_DURATION_DIV_ID
from teplo.study import Study
from tests.report.cdp import Browser, find_chromium

PLOT_IDS = (MAP_DIV_ID, LOAD_DURATION_DIV_ID, GAS_DIV_ID, COOLING_DIV_ID)
SECTION_IDS = ("map", "demand", "supply", "network", "operation", "resilience", "costs", "assumptions")
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")

STATE_JS = """
(() => {
  const plots = {};
  for (const id of %s) {
    const el = document.getElementById(id);
    if (!el) { plots[id] = null; continue; }
    const r = el.getBoundingClientRect();
    const longPaths = Array.from(el.querySelectorAll('.scatterlayer path.js-line, .scatterlayer path.js-fill'))
      .filter(p => (p.getAttribute('d') || '').length > 40);
    plots[id] = {
      plotly: el.classList.contains('js-plotly-plot') && !!el._fullLayout,
      traces: (el.data || []).length,
      points: (el._fullData || []).reduce((n, t) => n + (t._length || 0), 0),
      svgs: el.querySelectorAll('svg.main-svg').length,
      drawn: el.querySelectorAll('.scatterlayer .trace').length,
      paths: longPaths.length,
      fills: longPaths.filter(p => p.classList.contains('js-fill')).length,
      markers: el.querySelectorAll('.scatterlayer path.point').length,
      modebar: Array.from(el.querySelectorAll('.modebar-btn')).map(b => b.getAttribute('data-title')),
      width: r.width, height: r.height,
    };
  }
  return {
    plots,
    sections: Array.from(document.querySelectorAll('main > section')).map(s => s.id),
    missing: Array.from(document.querySelectorAll('p.missing')).map(p => p.textContent),
    height: document.documentElement.scrollHeight,
  };
})()
"""

SWITCH_JS = """
(async () => {
  const gd = document.getElementById('%s');
  const buttons = gd.querySelectorAll('.updatemenu-button');
  buttons[1].dispatchEvent(new MouseEvent('click', {bubbles: true}));
  for (let i = 0; i < 50 && !/hours to 12/i.test(gd.layout.title.text); i++) {
    await new Promise(r => setTimeout(r, 50));
  }
  await new Promise(r => requestAnimationFrame(() => r()));
  const visible = (g) => gd.data.filter(t => t.legendgroup === g).map(t => t.visible !== false);
  return {buttons: buttons.length, title: gd.querySelector('.gtitle').textContent,
          load: visible('load'), cold: visible('cold'),
          coldFills: Array.from(gd.querySelectorAll('.scatterlayer path.js-fill'))
            .filter(p => (p.getAttribute('d') || '').length > 40).length};
})()
"""

HOVER_JS = """
(() => {
  const gd = document.getElementById('%s');
  const i = gd.data.findIndex(t => t.name === 'buildings (hover)');
  Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 0}]);
  return Array.from(gd.querySelectorAll('.hoverlayer .hovertext')).map(e => e.textContent).join(' | ');
})()
"""

PIXELS_JS = """
(async () => {
  const img = new Image();
  img.src = 'data:image/png;base64,%s';
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let ink = 0; const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
    if ((i >> 2) %% 5 === 0) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return {width: c.width, height: c.height, ink: ink / (d.length / 4), colours: colours.size};
})()
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None and os.environ.get("CI"):
        pytest.fail("no chromium in CI: .ci/run -> make test -> scripts/ensure_chromium.sh should install it")
    if path is None:
        pytest.skip("no chromium: install it with scripts/ensure_chromium.sh (as root; `make test` runs it) "
                    "or point TEPLO_CHROMIUM at a Chromium or Chrome binary")
    return path


@pytest.mark.timeout(90)
def test_report_renders_in_chromium(full_study: Study, chromium: str, tmp_path: Path) -> None:
    t0 = time.perf_counter()
    report = write_report(full_study, tmp_path / "report.html", stamp=False)
    with Browser(chromium, tmp_path / "profile") as br:
        br.send("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
        br.send("Page.navigate", url=report.as_uri())
        br.wait_for_event("Page.loadEventFired")
        state = _wait_for_plots(br)

        assert state["sections"] == list(SECTION_IDS)
        assert state["missing"] == [], "with every layer present no section may say 'not yet computed'"
        for div_id in PLOT_IDS:
            p = state["plots"][div_id]
            assert p is not None, f"#{div_id} missing"
            assert p["plotly"] and p["svgs"] >= 1, f"#{div_id} was not drawn by plotly: {p}"
            assert p["traces"] > 0 and p["points"] > 0, f"#{div_id} has no data: {p}"
            assert p["drawn"] > 0 and (p["paths"] > 0 or p["markers"] > 0), f"#{div_id} drew nothing: {p}"
            assert p["width"] > 400 and p["height"] > 300, f"#{div_id} has no size: {p}"
            assert not any("share" in t.lower() or "cloud" in t.lower() for t in p["modebar"]), p["modebar"]
        m = state["plots"][MAP_DIV_ID]
        assert m["fills"] >= 3, f"building polygons not filled: {m}"
        assert m["markers"] >= 20, f"site markers missing: {m}"

        switched = br.evaluate(SWITCH_JS % MAP_DIV_ID)
        assert switched["buttons"] == 2
        assert "hours to 12" in switched["title"].lower()
        assert switched["load"] and not any(switched["load"])
        assert switched["cold"] and all(switched["cold"])
        assert switched["coldFills"] >= 3

        hover = br.evaluate(HOVER_JS % MAP_DIV_ID)
        first_id = str(full_study.layers["buildings"]["building_id"].iloc[0])
        assert first_id in hover and "Gcal/h" in hover and "12 °C" in hover, hover

        page = br.screenshot(tmp_path / "report.png", {"x": 0, "y": 0, "width": 1400, "height": state["height"]},
                             scale=0.5)
        box = br.evaluate(f"JSON.stringify(document.getElementById('{MAP_DIV_ID}').getBoundingClientRect())")
        r = json.loads(box)
        scroll = br.evaluate("window.scrollY")
        shot = br.screenshot(tmp_path / "map.png", {"x": r["x"], "y": r["y"] + scroll,
                                                    "width": r["width"], "height": r["height"]})
        page_px = br.evaluate(PIXELS_JS % _b64(page))
        map_px = br.evaluate(PIXELS_JS % _b64(shot))
        errors = br.errors()
        urls = br.requested_urls()

    assert page_px["height"] >= 1500 and page_px["ink"] > 0.05 and page_px["colours"] > 50, page_px
    assert map_px["ink"] > 0.08 and map_px["colours"] > 30, f"the map screenshot looks blank: {map_px}"
    assert errors == [], "JavaScript errors:\n" + "\n".join(errors)
    external = [u for u in urls if not u.startswith(ALLOWED_SCHEMES)]
    assert external == [], f"the page fetched from outside the file: {external}"
    assert urls and all(u.startswith("file:") or u.startswith("data:") for u in urls)
    _keep_artifacts(report, tmp_path / "report.png", tmp_path / "map.png")
    elapsed = time.perf_counter() - t0
    assert elapsed < 30, f"browser test took {elapsed:.1f} s"


def _wait_for_plots(br: Browser, timeout_s: float = 15.0) -> dict[str, Any]:
    """Poll until every plot div is a drawn plotly plot (or time runs out); return the last state."""
    deadline = time.monotonic() + timeout_s
    while True:
        state: dict[str, Any] = br.evaluate(STATE_JS % json.dumps(list(PLOT_IDS)))
        done = all(p is not None and p["plotly"] and p["drawn"] > 0 for p in state["plots"].values())
        if done or time.monotonic() > deadline:
            return state
        time.sleep(0.1)


def _b64(png: bytes) -> str:
    import base64

    return base64.b64encode(png).decode("ascii")


def _keep_artifacts(*paths: Path) -> None:
    target = os.environ.get("TEPLO_REPORT_ARTIFACTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for p in paths:
            shutil.copy2(p, Path(target) / p.name)
