from teplo.study import Study


def test_full_study_has_every_layer(full_study: Study) -> None:
    for name in ("buildings", "pipes", "sites", "units", "districts", "operation_daily", "scenarios",
                 "building_outcomes", "cooling_curves"):
        assert name in full_study.layers, name
    assert isinstance(full_study.meta["resilience_cost"], list)
