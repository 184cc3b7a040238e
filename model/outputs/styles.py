"""A QGIS style per claim inside allocation.gpkg, and the claim colours every map shares.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (the table
QGIS itself writes with "Save as default"), so ``allocation.gpkg`` opens coloured by claim.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr


# colours by convention in Dutch land-use maps: housing red-orange, business purple, industry grey-violet,
# logistics blue, energy yellow, circular green, campus pink; anything else from a fixed palette
COLOURS = {"housing": "230,85,13", "business": "117,107,177", "industry": "84,39,143", "logistics": "49,130,189",
           "energy": "254,196,79", "circular": "49,163,84", "campus": "221,52,151"}
PALETTE = ["141,160,203", "166,216,84", "255,217,47", "229,196,148", "179,179,179", "102,194,165"]


def claim_colours(claims) -> dict[str, str]:
    extra = iter(PALETTE * 10)
    return {k: COLOURS.get(k) or next(extra) for k in claims}


def qml(claims: dict[str, str], stacking: frozenset = frozenset()) -> str:
    """A categorised fill renderer on the ``claim`` field; ``claims`` maps key → label.

    A stacking claim (rooftop solar on logistics) shares its host's geometry, so it is hatched
    over the host's colour instead of hiding it.
    """
    colours = claim_colours(claims)
    cats = "\n".join(f'   <category symbol="{i}" value={quoteattr(k)} label={quoteattr(label)} render="true"/>'
                     for i, (k, label) in enumerate(claims.items()))
    symbols = "\n".join(f'''   <symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option name="color" type="QString" value="{colours[k]},255"/>
      <Option name="outline_color" type="QString" value="{colours[k]},255"/>
      <Option name="outline_width" type="QString" value="{0.4 if k in stacking else 0.1}"/>
      <Option name="style" type="QString" value="{'b_diagonal' if k in stacking else 'solid'}"/>
     </Option>
    </layer>
   </symbol>''' for i, k in enumerate(claims))
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
 <renderer-v2 type="categorizedSymbol" attr="claim" symbollevels="0" enableorderby="0" forceraster="0">
  <categories>
{cats}
  </categories>
  <symbols>
{symbols}
  </symbols>
 </renderer-v2>
</qgis>
"""


def geometry_column(db: sqlite3.Connection, layer: str) -> str:
    """The layer's geometry column as the GeoPackage registers it (``geom`` when written by GDAL)."""
    row = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
    if row is None:
        raise ValueError(f"GeoPackage layer {layer!r} has no geometry column")
    return row[0]


def add_qgis_style(gpkg: Path, layer: str, claims: dict[str, str], stacking=frozenset()) -> None:
    """Store the claim style as the layer's default in ``layer_styles``, the table QGIS reads when it opens a layer.

    QGIS finds a GeoPackage layer's default style by table name *and* geometry column
    (``f_geometry_column``) with ``useAsDefault`` true; ``update_time`` is an ISO 8601 timestamp.
    """
    with sqlite3.connect(gpkg) as db:
        db.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
            f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
            description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""")
        db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML,"
                   " styleSLD, useAsDefault, description, owner, update_time) VALUES ('', '', ?, ?, 'claims', ?, '', 1,"
                   " 'ruimtepuzzel: allocation by claim', '', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                   (layer, geometry_column(db, layer), qml(claims, frozenset(stacking))))
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('layer_styles', 'attributes', 'layer_styles')")
