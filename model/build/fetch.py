"""Download the CBS gebiedsindelingen (provinces, COROP regions, municipalities) from PDOK.

PDOK publishes the CBS region boundaries per year as a WFS; this asks it for GeoJSON in
RD New (EPSG:28992) and writes one GeoPackage with the layers ``provincie``, ``corop`` and
``gemeente`` (columns ``statcode``, ``statnaam``), ready for a ``build`` spec. Without a
network the error says so; nothing is written.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ruimtepuzzel.model.errors import RuimtepuzzelError
from ruimtepuzzel.model.optional import require_installed

BASE_URL = "https://service.pdok.nl/cbs/gebiedsindelingen/{year}/wfs/v1_0"
LAYERS = {"provincie": "provincie_gegeneraliseerd", "corop": "coropgebied_gegeneraliseerd", "gemeente": "gemeente_gegeneraliseerd"}


class FetchError(RuimtepuzzelError):
    exit_code = 1


def feature_url(base_url: str, year: int, type_name: str) -> str:
    query = urllib.parse.urlencode({"service": "WFS", "version": "2.0.0", "request": "GetFeature",
                                    "typeNames": f"gebiedsindelingen:{type_name}", "outputFormat": "application/json",
                                    "srsName": "EPSG:28992"})
    return f"{base_url.format(year=year)}?{query}"


def fetch_layer(url: str, timeout: float):
    import geopandas as gpd

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise FetchError(f"PDOK answered {exc.code} for {url}: is the year published?") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot reach PDOK ({reason}); this machine seems to be offline. Download the CBS gebiedsindelingen "
                         f"by hand, or use a boundary file you have") from None
    except json.JSONDecodeError:
        raise FetchError(f"PDOK did not answer with GeoJSON for {url}") from None
    features = data.get("features") or []
    if not features:
        raise FetchError(f"PDOK returned no features for {url}")
    return gpd.GeoDataFrame.from_features(features, crs="EPSG:28992")


def fetch_regions(year: int, out: Path, base_url: str = BASE_URL, timeout: float = 60.0, progress=lambda m: None) -> dict[str, int]:
    import os

    require_installed(("geopandas", "pyogrio"), extra="gis", purpose="fetch-regions")

    out = Path(out)
    frames = {}
    for layer, type_name in LAYERS.items():
        frame = fetch_layer(feature_url(base_url, year, type_name), timeout)
        missing = {"statcode", "statnaam"} - set(frame.columns)
        if missing:
            raise FetchError(f"PDOK layer {type_name} lacks the columns {sorted(missing)}")
        frames[layer] = frame
        progress(f"{layer}: {len(frame)} regions")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".partial-{out.name}-{os.getpid()}"  # written aside, then renamed: nothing half-written
    try:
        for layer, frame in frames.items():
            frame.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {k: len(v) for k, v in frames.items()}
