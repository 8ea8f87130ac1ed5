import numpy as np
import pandas as pd
import pytest

import leolat
from leolat.outputs.results import ResultFormatError, read_result, write_result


@pytest.fixture(scope="module")
def latency():
    c = leolat.Constellation.preset("starlink-gen1-shell1")
    s = leolat.Sites.from_cities(["London", "New York City", "Tokyo"])
    ds = leolat.Network(c, s).latency(leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 120, 20), "all")
    return c, ds


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_datasets_round_trip_with_provenance(tmp_path, latency, suffix):
    c, ds = latency
    path = write_result(ds, tmp_path / f"r{suffix}", command=["leolat", "latency", "--x"],
                        constellation=c)
    back = read_result(path)
    for name in ds.variables:
        np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back[name].dims == ds[name].dims
        assert back[name].attrs == ds[name].attrs  # units travel with the variables
    assert back["rtt_ms"].attrs["units"] == "ms"
    a = back.attrs
    assert a["command_line"] == "leolat latency --x"
    assert a["leolat_version"] == leolat.__version__ and "numba_version" in a and "sgp4_version" in a
    assert a["element_epoch_min_utc"].startswith("2026-01-01T00:00:00")
    assert a["policy_min_elevation_deg"] == 25.0  # the policy, from the Dataset itself
    kept = {k: v for k, v in a.items() if k in ds.attrs}
    assert kept == ds.attrs
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_tables_round_trip_with_provenance(tmp_path, latency, suffix):
    c, ds = latency
    path = write_result(ds, tmp_path / f"r{suffix}", command="leolat latency", constellation=c)
    back = read_result(path)
    want = ds.to_dataframe().reset_index()
    pd.testing.assert_frame_equal(back, want)
    assert back.attrs["command_line"] == "leolat latency"
    assert '"rtt_ms": "ms"' in back.attrs["units"]
    passes = leolat.passes(c[:50], leolat.Sites.from_cities(["Oslo"]),
                           leolat.TimeGrid.from_utc("2026-01-01T00:00Z", 3 * 3600, 30), 10.0)
    path = write_result(passes, tmp_path / f"p{suffix}")
    pd.testing.assert_frame_equal(read_result(path), passes)


def test_bad_paths_and_kinds(tmp_path, latency):
    _, ds = latency
    with pytest.raises(ResultFormatError, match="unknown result format '.h5'"):
        write_result(ds, tmp_path / "r.h5")
    with pytest.raises(ResultFormatError, match="holds Datasets"):
        write_result(pd.DataFrame({"a": [1]}), tmp_path / "t.nc")
    with pytest.raises(ResultFormatError, match="pandas.DataFrame, not list"):
        write_result([1, 2], tmp_path / "t.csv")
    (tmp_path / "foreign.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ResultFormatError, match="line 1: not a leolat CSV"):
        read_result(tmp_path / "foreign.csv")
    with pytest.raises(ResultFormatError, match="no such file"):
        read_result(tmp_path / "missing.nc")
    # Rewriting a Zarr store replaces it whole.
    write_result(ds, tmp_path / "z.zarr")
    write_result(ds.isel(time=[0]), tmp_path / "z.zarr")
    assert read_result(tmp_path / "z.zarr").sizes["time"] == 1


# ----------------------------------------------------------------- streamed Zarr
def _chunks(n_chunks=4, steps=5, last=3):
    from leolat import Constellation, TimeGrid

    c = Constellation.walker(3, 4, 550, 53, 1)
    grid = TimeGrid.from_utc("2026-01-01T00:00:00Z", 60.0 * ((n_chunks - 1) * steps + last), 60)
    return c, [e.to_dataset() for e in c.propagate_chunks(grid, max_chunk_times=steps)]


def test_streamed_zarr_equals_the_gathered_dataset(tmp_path):
    import xarray as xr

    from leolat.outputs.results import write_result_chunks

    c, parts = _chunks()
    assert [p.sizes["time"] for p in parts] == [5, 5, 5, 3]
    path = write_result_chunks(iter(parts), tmp_path / "eph.zarr", command="test",
                               constellation=c)
    back = leolat.read_result(path)
    xr.testing.assert_identical(back.drop_attrs(), xr.concat(parts, dim="time").drop_attrs())
    assert back.attrs["command_line"] == "test" and back.attrs["n_satellites"] == 12
    assert back.attrs["frame"].startswith("ITRF")


def test_streamed_zarr_refuses_misfit_chunks_and_leaves_nothing_on_failure(tmp_path):
    from leolat.outputs.results import write_result_chunks

    _, parts = _chunks()
    target = tmp_path / "eph.zarr"
    with pytest.raises(leolat.ResultFormatError, match="chunk 2 has 3 steps"):
        write_result_chunks([parts[0], parts[3], parts[3]], target)
    with pytest.raises(leolat.ResultFormatError, match="no chunks"):
        write_result_chunks([], target)
    with pytest.raises(leolat.ResultFormatError, match=r"stream into a \.zarr store only"):
        write_result_chunks(parts, tmp_path / "eph.nc")

    def failing():
        yield parts[0]
        raise RuntimeError("the propagation failed")

    with pytest.raises(RuntimeError, match="propagation failed"):
        write_result_chunks(failing(), target)
    assert list(tmp_path.iterdir()) == []  # no store, no temporary folder
