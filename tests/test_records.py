"""Records: JSON round trip and the lookup used by formatting code."""

from __future__ import annotations

import math

from mdsrs_core.records import Record, RecordIndex, records_from_json, records_to_json


def test_json_round_trip_with_missing_and_infinite_values():
    records = [
        Record("os", "a", "os_km", "surv", 0.75, level="60", n=24),
        Record("os", None, "os_cox", "conf_high", math.inf, level="arm[T.b]"),
        Record("os", None, "os_cox", "estimate", math.nan),
    ]
    text = records_to_json(records)
    assert '"value": "Inf"' in text and '"value": null' in text
    back = records_from_json(text)
    assert back[0] == records[0]
    assert back[1].value == math.inf
    assert back[2].value is None


def test_record_index_lookup_by_key_and_method():
    records = [
        Record("e", "a", "x", "N", 10),
        Record("e", "b", "x", "N", 12),
        Record("e", None, "y", "estimate", 1.5, level="arm", method="model 1"),
        Record("e", None, "y", "estimate", 2.5, level="arm", method="model 2"),
        Record("e", "a", "x", "n", 3, level="PR"),
        Record("e", "a", "x", "n", 4, level="CR"),
        Record("e", None, "z", "p_value", math.nan),
    ]
    index = RecordIndex(records)
    assert index.value("x", "b", None, "N") == 12
    assert index.value("y", None, "arm", "estimate") == 1.5
    assert index.value("y", None, "arm", "estimate", method="model 2") == 2.5
    assert index.value("z", None, None, "p_value") is None
    assert index.value("absent", None, None, "N") is None
    assert index.arms("x") == ["a", "b"]
    assert index.levels("x", "n", arm="a") == ["PR", "CR"]
