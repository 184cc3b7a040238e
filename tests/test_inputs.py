"""Every bad input of docs/instances.md is an InputError naming the file, key or column and value."""
import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml

from ruimtepuzzel.model.errors import InputError
from ruimtepuzzel.model.inputs.instance import load_instance
from ruimtepuzzel.model.prepare.pairs import prepare

from .helpers import row_units, write_instance

BASE = {"claims": {"housing": {"value_per_ha": 10}, "business": {"value_per_ha": 6}}}


def load(tmp_path, config=None, units=None, scenario=None, scenarios=None):
    folder = write_instance(tmp_path / "inst", {**BASE, **(config or {})}, units if units is not None else row_units(3),
                            scenarios=scenarios)
    return load_instance(folder, scenario)


def expect(tmp_path, *fragments, **kw):
    with pytest.raises(InputError) as err:
        load(tmp_path, **kw)
    for f in fragments:
        assert f in str(err.value), f"{f!r} not in: {err.value}"
    return str(err.value)


def test_unknown_top_level_key(tmp_path):
    expect(tmp_path, "instance.yaml", "demnd", "unknown key", config={"demnd": []})


def test_unknown_nested_key(tmp_path):
    expect(tmp_path, "claims.housing.valu_per_ha", "unknown key",
           config={"claims": {"housing": {"valu_per_ha": 1}}})


def test_unknown_claim_in_demand(tmp_path):
    expect(tmp_path, "demand[0]", "'hosuing'", config={"demand": [{"level": "national", "claim": "hosuing", "min_ha": 1}]})


def test_unknown_region(tmp_path):
    expect(tmp_path, "demand[0]", "'PV99'", config={"demand": [{"level": "province", "region": "PV99", "claim": "housing", "min_ha": 1}]})


def test_unknown_region_level(tmp_path):
    expect(tmp_path, "balance[0]", "'gemeente'", config={"balance": [
        {"level": "gemeente", "work_claims": ["business"], "housing_claim": "housing", "work_ha_per_housing_ha": 0.1}]})


def test_missing_region_column(tmp_path):
    expect(tmp_path, "'corop'", "units.csv", config={"regions": ["province", "corop"]})


def test_missing_unit_id_column(tmp_path):
    units = [{k: v for k, v in u.items() if k != "unit_id"} for u in row_units(2)]
    expect(tmp_path, "units.csv", "'unit_id'", units=units)


@pytest.mark.parametrize("area", [0, -1, "abc"])
def test_non_positive_area(tmp_path, area):
    units = row_units(2)
    units[1]["area_ha"] = area
    expect(tmp_path, "area_ha", "'u2'", units=units)


def test_duplicate_ids(tmp_path):
    units = row_units(2)
    units[1]["unit_id"] = "u1"
    expect(tmp_path, "duplicate unit_id", "'u1'", units=units)


def test_invalid_crs(tmp_path):
    expect(tmp_path, "crs", "EPSG:999999", config={"crs": "EPSG:999999"})


def test_geographic_crs_is_refused(tmp_path):
    expect(tmp_path, "crs", "not a projected CRS", config={"crs": "EPSG:4326"})


def gpkg_instance(tmp_path, geometries, crs="EPSG:28992", config_crs="EPSG:28992"):
    folder = tmp_path / "gp"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"unit_id": [f"p{i}" for i in range(len(geometries))], "area_ha": 1.0, "province": "A"},
                             geometry=geometries, crs=crs)
    frame.to_file(folder / "units.gpkg", layer="units", driver="GPKG")
    (folder / "instance.yaml").write_text(yaml.safe_dump({"name": "gp", "regions": ["province"], "crs": config_crs, **BASE}))
    return folder


def test_mixed_crs(tmp_path):
    folder = gpkg_instance(tmp_path, [shapely.box(0, 0, 100, 100)], crs="EPSG:3035")
    with pytest.raises(InputError, match="mixed CRS"):
        load_instance(folder)


def test_invalid_geometry(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    folder = gpkg_instance(tmp_path, [shapely.box(0, 0, 100, 100), bowtie])
    with pytest.raises(InputError, match=r"invalid geometries.*'p1'.*Self-intersection"):
        load_instance(folder)


def test_gpkg_without_units_layer(tmp_path):
    folder = gpkg_instance(tmp_path, [shapely.box(0, 0, 100, 100)])
    gpd.read_file(folder / "units.gpkg").to_file(folder / "other.gpkg", layer="cells", driver="GPKG")
    (folder / "units.gpkg").unlink()
    cfg = yaml.safe_load((folder / "instance.yaml").read_text())
    (folder / "instance.yaml").write_text(yaml.safe_dump({**cfg, "units": "other.gpkg"}))
    with pytest.raises(InputError, match=r"no layer 'units'.*cells"):
        load_instance(folder)


def test_gpkg_units_load_and_keep_geometry(tmp_path):
    folder = gpkg_instance(tmp_path, [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)])
    inst = load_instance(folder)
    assert list(inst.units["unit_id"]) == ["p0", "p1"] and inst.geometry[1].bounds == (100, 0, 200, 100)


def test_duplicate_rule_names(tmp_path):
    rule = {"name": "flood", "attr": "area_ha", "op": ">", "value": 1}
    expect(tmp_path, "rule names must be unique", "['flood']", config={"rules": [rule, rule]})


def test_rule_on_absent_attribute(tmp_path):
    expect(tmp_path, "rules[0] (flood)", "'flood_depth_m'",
           config={"rules": [{"name": "flood", "attr": "flood_depth_m", "op": ">", "value": 1}]})


@pytest.mark.parametrize("op", ["=>", "in", "__import__('os')", "and"])
def test_unknown_operator_is_an_input_error(tmp_path, op):
    expect(tmp_path, "rules[0].op", op, config={"rules": [{"name": "r", "attr": "x", "op": op, "value": 1}]},
           units=row_units(2))


def test_ordering_operator_on_text_column(tmp_path):
    expect(tmp_path, "'wbs_class' line 2", "'A' is not a number", "rule 'r' compares it with '>'",
           config={"rules": [{"name": "r", "attr": "wbs_class", "op": ">", "value": 1}]}, units=row_units(2, wbs_class=["A", "B"]))


def test_penalty_rule_needs_per_ha(tmp_path):
    expect(tmp_path, "rules[0]", "per_ha", config={"rules": [{"name": "r", "attr": "x", "op": ">", "value": 1, "effect": "penalty"}]})


def test_env_category_without_distance(tmp_path):
    expect(tmp_path, "claims.business.env_category", "'4.2'",
           config={"claims": {"business": {"value_per_ha": 1, "env_category": 4.2}}, "env_zoning": {"distance_m": {"3.1": 50}}})


def test_existing_category_without_distance(tmp_path):
    expect(tmp_path, "cat", "'9'", config={"env_zoning": {"distance_m": {"3.1": 50}, "existing_category_attr": "cat"}},
           units=row_units(2, cat=["9", None]))


def test_category_written_as_float_means_the_category(tmp_path):
    """A whole number's trailing .0 is dropped (5.0 is 5); nothing else is read as a number (4.10 is not 4.1)."""
    inst = load(tmp_path, config={"env_zoning": {"distance_m": {"5": 500, "4.1": 200}, "existing_category_attr": "cat"}},
                units=row_units(3, cat=["5.0", "4.1", None]))
    assert list(inst.units["cat"]) == ["5", "4.1", None]


def test_divisible_claim_with_min_site_is_allowed(tmp_path):
    # sites of a divisible claim are its units with a share (tests/test_min_site_divisible.py)
    inst = load(tmp_path, config={"claims": {"housing": {"divisible": True, "min_site_ha": 2}}})
    assert inst.config.claims["housing"].divisible and inst.config.claims["housing"].min_site_ha == 2


def test_stacking_on_unknown_host(tmp_path):
    expect(tmp_path, "claims.solar.stacks_on", "'roof'", config={"claims": {"housing": {}, "solar": {"stacks_on": ["roof"]}}})


def test_locked_unknown_unit(tmp_path):
    expect(tmp_path, "locked[0]", "'u99'", config={"locked": [{"unit_id": "u99", "claim": "housing"}]})


def test_measure_on_text_column(tmp_path):
    expect(tmp_path, "'dwellings' line 2", "'a' is not a number", "measure of demand[0]",
           config={"demand": [{"level": "national", "claim": "housing", "measure": "dwellings", "min": 5}]},
           units=row_units(2, dwellings=["a", "b"]))


def test_min_without_measure(tmp_path):
    expect(tmp_path, "demand[0]", "measure", config={"demand": [{"level": "national", "claim": "housing", "min": 5}]})


def test_unknown_objective_sense(tmp_path):
    expect(tmp_path, "objective.sense", "max_happiness", config={"objective": {"sense": "max_happiness"}})


def test_not_yaml(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(1))
    (folder / "instance.yaml").write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_instance(folder)


def test_yaml_tags_are_not_executed(tmp_path):
    folder = write_instance(tmp_path / "inst", BASE, row_units(1))
    (folder / "instance.yaml").write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_instance(folder)


def test_unknown_scenario_lists_the_available(tmp_path):
    expect(tmp_path, "'hgh'", "['high']", scenario="hgh", scenarios={"high": {"objective": {"shortfall_penalty_per_ha": 5}}})


def test_scenario_is_deep_merged(tmp_path):
    inst = load(tmp_path, config={"objective": {"sense": "max_value", "shortfall_penalty_per_ha": 7}},
                scenario="high", scenarios={"high": {"objective": {"shortfall_penalty_per_ha": 5}, "claims": {"housing": {"value_per_ha": 99}}}})
    assert inst.config.objective.sense == "max_value" and inst.config.objective.shortfall_penalty_per_ha == 5
    assert inst.config.claims["housing"].value_per_ha == 99 and inst.config.claims["business"].value_per_ha == 6


def test_demand_above_eligible_land_is_a_warning_with_the_figure(tmp_path):
    inst = load(tmp_path, config={"demand": [{"level": "province", "region": "A", "claim": "housing", "min_ha": 120}]})
    prep = prepare(inst)
    assert any("asks 120 ha of housing" in w and "leave 3.0 ha eligible" in w for w in prep.warnings)


def test_content_hash_changes_with_any_byte(tmp_path):
    inst = load(tmp_path)
    before = inst.content_hash()
    units = pd.read_csv(inst.folder / "units.csv")
    units.loc[0, "area_ha"] = 1.0000001
    units.to_csv(inst.folder / "units.csv", index=False)
    assert load_instance(inst.folder).content_hash() != before


def _csv_instance(tmp_path, text: str):
    folder = write_instance(tmp_path / "inst", BASE, row_units(2))
    (folder / "units.csv").write_text(text)
    return load_instance(folder).units


def test_csv_columns_are_typed_by_their_values(tmp_path):
    """The rules of the units CSV, whichever reader (pyarrow, or pandas' own for odd files) read it."""
    header = "unit_id,area_ha,province,x,y,num,spaced,exp,flag,bits,word_nan,text,code\n"
    rows = ["u1,1,0301,0,0,1.5, 2 ,1e3,yes,0,nan,a,0301\n", "u2,1, 07 ,1,1,,3,-2,No,1,x,b,07\n"]
    for text in (header + "".join(rows), header + rows[0] + rows[1].rstrip("\n").rsplit(",", 1)[0] + "\n"):  # the 2nd: a short row
        units = _csv_instance(tmp_path, text)
        assert units["num"].dtype == float and units["num"].iloc[0] == 1.5 and pd.isna(units["num"].iloc[1])
        assert units["spaced"].tolist() == [2.0, 3.0] and units["exp"].tolist() == [1000.0, -2.0]
        assert units["flag"].tolist() == [True, False] and units["flag"].dtype == object
        assert units["bits"].tolist() == [0.0, 1.0]  # 0/1 alone are numbers, not booleans
        assert units["word_nan"].tolist() == ["nan", "x"]  # a word makes the column text (and "nan" is then a word)
        assert units["text"].tolist() == ["a", "b"]
        assert units["province"].tolist() == ["0301", "07"]  # region codes stay text, stripped
        assert units["code"].iloc[0] == 301.0  # a column the instance does not use as a code is just numbers
