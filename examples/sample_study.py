"""Run teplo on the bundled sample from Python and look at the results.

    python examples/sample_study.py [OUT_DIR]

The same work as `teplo run --sample --out OUT_DIR`, scriptable in a notebook.
"""

from __future__ import annotations

import sys
from pathlib import Path

import teplo
from teplo.report.tables import demand_by_typology


def main(out_dir: Path) -> teplo.Study:
    """Run the whole job on the sample, print a few figures, reopen the saved study."""
    settings = teplo.Settings()
    settings.stress.temp_c = -20.0  # the 3 Feb 2026 strike came at about -20 °C
    study = teplo.run(teplo.sample_path(), settings, out_dir=out_dir)
    table = demand_by_typology(study.buildings)
    total = table.loc["total"]
    print(f"{int(total['buildings'])} buildings, design {total['design_mw']:.1f} MW "
          f"({total['design_gcal_h']:.1f} Gcal/h), {total['annual_gwh']:.1f} GWh/a")
    heated = study.buildings[study.buildings["heated"]]
    print("largest loads:")
    print(heated.nlargest(5, "design_load_kw")[["building_id", "typology", "design_load_kw"]])
    for stage, why in study.meta.get("skipped", {}).items():
        print(f"{stage}: not computed ({why})")
    again = teplo.open_study(out_dir / "study.gpkg")
    assert len(again.buildings) == len(study.buildings)
    print(f"report: {out_dir / 'report.html'}")
    return study


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out-example"))
