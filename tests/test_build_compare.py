"""Every comparison the builder makes is one typed comparison, the one instance rules use: an integer column compares
as numbers (never as text), text by its spelling, booleans as booleans, and a missing value never matches."""
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ruimtepuzzel.model.build.builder import Attribute, selected_features
from ruimtepuzzel.model.build.derive import Classes, Condition, Quota, apply_classes, apply_quota, as_read, matches


def cond(attr, op, value):
    return Condition(attr=attr, op=op, value=value)


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "population": np.array([34_000, 67_000, 125_000, 99_000], dtype="int32"),
        "population_nullable": pd.array([34_000, None, 125_000, 99_000], dtype="Int64"),
        "population_objects": pd.Series([34_000, None, 125_000, 99_000.0], dtype=object),
        "share": [0.2, np.nan, 0.9, 0.5],
        "code": ["0363", "10", "9", None],
        "flag": [True, False, True, False],
        "flag_objects": pd.Series([True, None, False, True], dtype=object),
    })


@pytest.mark.parametrize("column", ["population", "population_nullable", "population_objects"])
def test_an_integer_column_compares_as_numbers(column):
    units = frame()
    hit = matches(units, [cond(column, ">=", 100000)], "t")
    expected = [False, False, True, False]
    assert hit.tolist() == expected  # as text "34000" >= "100000" would hold
    assert matches(units, [cond(column, ">=", "100000")], "t").tolist() == expected  # a spelled value is read as a number
    assert matches(units, [cond(column, "<", 70000)], "t").tolist() == [True, column == "population", False, False]


def test_text_compares_by_its_spelling():
    units = frame()
    assert matches(units, [cond("code", "==", "0363")], "t").tolist() == [True, False, False, False]
    assert matches(units, [cond("code", "<", "9")], "t").tolist() == [True, True, False, False]  # "10" < "9" as text
    assert matches(units, [cond("code", "!=", "10")], "t").tolist() == [True, False, True, False]  # missing: never


def test_booleans_compare_as_booleans_and_missing_never_matches():
    units = frame()
    assert matches(units, [cond("flag", "==", True)], "t").tolist() == [True, False, True, False]
    assert matches(units, [cond("flag", "==", "ja")], "t").tolist() == [True, False, True, False]
    assert matches(units, [cond("flag_objects", "==", False)], "t").tolist() == [False, False, True, False]
    assert matches(units, [cond("flag_objects", "!=", True)], "t").tolist() == [False, False, True, False]
    assert matches(units, [cond("share", ">", 0.4)], "t").tolist() == [False, False, True, True]
    assert matches(units, [cond("share", "<=", 10)], "t").tolist() == [True, False, True, True]  # NaN: never


def test_as_read_types_columns_as_the_units_reader_does():
    units = frame()
    assert as_read(units["population"]).dtype == float
    assert as_read(units["population_objects"]).dtype == float
    assert as_read(units["flag"]).dtype == bool
    assert not pd.api.types.is_numeric_dtype(as_read(units["code"]))  # text stays text


def test_classes_on_an_integer_column_mark_only_the_large_towns():
    units = frame()
    apply_classes(units, Classes(name="large_town", default=False,
                                 cases=[{"value": True, "when": [{"attr": "population", "op": ">=", "value": 100000}]}]))
    assert units["large_town"].tolist() == [False, False, True, False]


def test_a_quota_counts_what_holds_its_value_and_ranks_the_rest(tmp_path):
    units = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "area_ha": [10.0] * 4, "province": ["P"] * 4,
                          "kind": pd.Series([None, "7", None, None], dtype=object),  # "7" already holds the value
                          "population": np.array([5, 500, 50, 200_000], dtype="int64")})
    (tmp_path / "t.csv").write_text("province,ha\nP,25\n")
    step = Quota(column="kind", value="7", level="province", targets={"file": "t.csv", "region_col": "province", "value_col": "ha"},
                 among=[{"attr": "population", "op": "<", "value": 100000}], rank_by=[{"attr": "population"}])
    apply_quota(units, step, tmp_path, [])
    # 10 ha held; 15 ha more from the ranked candidates below 100,000 (a 5, then c 50); d is no candidate
    assert units["kind"].tolist() == ["7", "7", "7", None]


def test_a_quota_not_counting_what_holds_its_value_places_its_own_share_within_the_whole_target(tmp_path):
    units = pd.DataFrame({"unit_id": list("abcdef"), "area_ha": [10.0] * 6, "province": ["P"] * 3 + ["Q"] * 3,
                          "kind": pd.Series(["7", None, None, "7", "7", None], dtype=object),  # P holds 10 ha, Q 20 ha
                          "rank": [0.0, 1.0, 2.0, 0.0, 1.0, 2.0]})
    (tmp_path / "t.csv").write_text("province,ha\nP,50\nQ,25\n")
    targets = {"file": "t.csv", "region_col": "province", "value_col": "ha"}
    step = Quota(column="kind", value="7", level="province", targets=targets, share=0.2, rank_by=[{"attr": "rank"}],
                 count_existing=False)
    apply_quota(units, step, tmp_path, [])
    # P: its own 20 % of 50 = 10 ha (b), although a already holds 10 ha; Q: 20 % of 25 = 5 ha, but only 25 - 20 = 5 ha
    # remain under its whole target, so f (10 ha, the last unit may overshoot) is taken
    assert units["kind"].tolist() == ["7", "7", None, "7", "7", "7"]
    counted = Quota(column="kind", value="7", level="province", targets=targets, share=0.2, rank_by=[{"attr": "rank"}])
    units["kind"] = pd.Series(["7", None, None, "7", "7", None], dtype=object)
    apply_quota(units, counted, tmp_path, [])
    assert units["kind"].tolist() == ["7", None, None, "7", "7", None]  # counting the held area: P and Q already hold 20 %


def test_an_attribute_filter_compares_an_integer_column_as_numbers(tmp_path):
    layer = gpd.GeoDataFrame({"kv": np.array([150, 380, 220], dtype="int64"), "kind": ["a", "b", "a"]},
                             geometry=[shapely.Point(i, 0) for i in range(3)], crs=28992)
    for value in (380, 380.0, "380"):
        attr = Attribute(name="d", file="x.gpkg", how="distance_km", where={"kv": value})
        assert selected_features(layer, attr, Path("x.gpkg"))["kv"].tolist() == [380]
    attr = Attribute(name="d", file="x.gpkg", how="distance_km", where={"kind": "a"})
    assert selected_features(layer, attr, Path("x.gpkg"))["kv"].tolist() == [150, 220]
