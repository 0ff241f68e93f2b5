"""Battery carbon-footprint declaration: functional unit, stages, Battery Pass names."""

from __future__ import annotations

import pytest

from connectors import battery

GWP = "gwp100_kg_co2e"
STAGES = {"raw_materials": 4000.0, "production": 1500.0, "distribution": 100.0,
          "use": 9000.0, "end_of_life": 400.0}
RESULT = {"status": "complete", "snapshot_hash": "s" * 64,
          "by_stage": {k: {GWP: v, "so2_kg": 1.0} for k, v in STAGES.items()},
          "ghg": {"total": sum(STAGES.values())}}
PRODUCT = {"part_number": "PACK-60", "name": "60 kWh pack", "unit": "piece"}


def declare(**kwargs) -> dict:
    args = {"result": RESULT, "product": PRODUCT, "rated_capacity_kwh": 60.0,
            "cycles_per_year": 60.0, "service_life_years": 8.0, **kwargs}
    return battery.declaration(**args)


def test_per_kwh_is_total_over_capacity_cycles_years() -> None:
    data = declare()
    energy = 60.0 * 60.0 * 8.0
    declared = 4000.0 + 1500.0 + 100.0 + 400.0  # use excluded
    cf = data["carbonFootprint"]
    assert data["functionalUnit"]["totalEnergyKwh"] == pytest.approx(energy)
    assert cf["batteryCarbonFootprint"] == pytest.approx(declared / energy)
    assert cf["absoluteCarbonFootprint"] == pytest.approx(declared)
    assert data["tanji"]["excluded"] == {"use": 9000.0}


def test_stages_in_battery_pass_names() -> None:
    data = declare()
    stages = data["carbonFootprint"]["carbonFootprintPerLifecycleStage"]
    assert [s["lifecycleStage"] for s in stages] == [
        "RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"]
    energy = data["functionalUnit"]["totalEnergyKwh"]
    assert [s["carbonFootprint"] for s in stages] == pytest.approx(
        [4000.0 / energy, 1500.0 / energy, 100.0 / energy, 400.0 / energy])
    assert sum(s["carbonFootprint"] for s in stages) == pytest.approx(
        data["carbonFootprint"]["batteryCarbonFootprint"])
    assert set(data["carbonFootprint"]) == {
        "batteryCarbonFootprint", "carbonFootprintPerLifecycleStage",
        "carbonFootprintPerformanceClass", "carbonFootprintStudy", "absoluteCarbonFootprint"}
    assert data["dataModel"]["version"] == "1.2.0"


def test_depth_factor_and_vehicle_default_cycles() -> None:
    base = declare()["carbonFootprint"]["batteryCarbonFootprint"]
    assert declare(depth_factor=0.8)["carbonFootprint"]["batteryCarbonFootprint"] == (
        pytest.approx(base / 0.8))
    bus = declare(cycles_per_year=None, vehicle_category="m3")
    assert bus["functionalUnit"]["cyclesPerYear"] == 250
    assert "default" in bus["functionalUnit"]["cyclesPerYearSource"]


def test_unassigned_stage_counts_with_a_warning() -> None:
    result = {**RESULT, "by_stage": {**RESULT["by_stage"], "unknown": {GWP: 50.0}}}
    data = declare(result=result)
    assert data["carbonFootprint"]["absoluteCarbonFootprint"] == pytest.approx(6050.0)
    assert data["tanji"]["unassigned"] == {"unknown": 50.0}
    assert any("without a life-cycle stage" in w for w in data["tanji"]["warnings"])


@pytest.mark.parametrize("bad", [{"rated_capacity_kwh": 0}, {"service_life_years": -1},
                                 {"cycles_per_year": None}, {"depth_factor": float("nan")}])
def test_bad_functional_unit(bad: dict) -> None:
    with pytest.raises(battery.BatteryError):
        declare(**bad)


def test_no_footprint() -> None:
    with pytest.raises(battery.BatteryError, match="by life-cycle stage"):
        declare(result={"status": "no-snapshot"})
