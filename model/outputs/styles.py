"""Planner-facing formats: a QGIS style per claim inside the GeoPackage, and the tables as Excel.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (the table
QGIS itself writes with "Save as default"), so ``allocation.gpkg`` opens coloured by claim.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

# colours by convention in Dutch land-use maps: housing red-orange, business purple, industry grey-violet,
# logistics blue, energy yellow, circular green, campus pink; anything else from a fixed palette
COLOURS = {"housing": "230,85,13", "business": "117,107,177", "industry": "84,39,143", "logistics": "49,130,189",
           "energy": "254,196,79", "circular": "49,163,84", "campus": "221,52,151"}
PALETTE = ["141,160,203", "166,216,84", "255,217,47", "229,196,148", "179,179,179", "102,194,165"]


def claim_colours(claims) -> dict[str, str]:
    extra = iter(PALETTE * 10)
    return {k: COLOURS.get(k) or next(extra) for k in claims}


def qml(claims: dict[str, str]) -> str:
    """A categorised fill renderer on the ``claim`` field; ``claims`` maps key → label."""
    colours = claim_colours(claims)
    cats = "\n".join(f'   <category symbol="{i}" value={quoteattr(k)} label={quoteattr(label)} render="true"/>'
                     for i, (k, label) in enumerate(claims.items()))
    symbols = "\n".join(f'''   <symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option name="color" type="QString" value="{colours[k]},255"/>
      <Option name="outline_color" type="QString" value="{colours[k]},255"/>
      <Option name="outline_width" type="QString" value="0.1"/>
      <Option name="style" type="QString" value="solid"/>
     </Option>
    </layer>
   </symbol>''' for i, k in enumerate(claims))
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.34" styleCategories="Symbology">
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


def add_qgis_style(gpkg: Path, layer: str, claims: dict[str, str]) -> None:
    with sqlite3.connect(gpkg) as db:
        db.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
            f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
            description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT CURRENT_TIMESTAMP)""")
        db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML,"
                   " styleSLD, useAsDefault, description, owner) VALUES ('', '', ?, 'geometry', 'claims', ?, '', 1,"
                   " 'ruimtepuzzel: allocation by claim', '')", (layer, qml(claims)))
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('layer_styles', 'attributes', 'layer_styles')")


def write_workbook(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name, frame in sheets.items():
            frame.to_excel(book, sheet_name=name[:31], index=False)
