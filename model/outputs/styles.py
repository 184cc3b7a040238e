"""A QGIS style per claim inside allocation.gpkg, and the claim colours every map shares.

QGIS reads a layer's default style from the GeoPackage table ``layer_styles`` (the table
QGIS itself writes with "Save as default"), so ``allocation.gpkg`` opens coloured by claim,
a divisible claim's share of a unit drawn as translucent as it is small and labelled.
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


SHARE_FIELD = "share"  # allocation.gpkg: the allocated share of the unit (1 for a whole unit; a divisible claim less)
LEAST_ALPHA = 40  # the opacity (of 255) of a share near 0, so that a small share stays visible


def share_colour(rgb: str) -> str:
    """A QGIS expression for the fill colour of a pair: the claim's colour, as opaque as the share of the unit
    it holds (a 1.5 % housing share of a 100 ha cell is a faint tint, not a whole housing cell)."""
    return (f'color_rgba({rgb}, {LEAST_ALPHA} + {255 - LEAST_ALPHA} * '
            f'min(1, max(0, coalesce("{SHARE_FIELD}", 1))))')


SHARE_LABEL = (f'CASE WHEN coalesce("{SHARE_FIELD}", 1) < 0.9995 THEN '
               f'format_number("used_ha", 1) || \' ha (\' || format_number(100 * "{SHARE_FIELD}", 1) || \' %)\' END')


def _fill(rgb: str, stacked: bool, divisible: bool) -> str:
    dd = "" if not divisible else f"""
     <data_defined_properties>
      <Option type="Map">
       <Option name="name" type="QString" value=""/>
       <Option name="properties" type="Map">
        <Option name="fillColor" type="Map">
         <Option name="active" type="bool" value="true"/>
         <Option name="expression" type="QString" value={quoteattr(share_colour(rgb))}/>
         <Option name="type" type="int" value="3"/>
        </Option>
       </Option>
       <Option name="type" type="QString" value="collection"/>
      </Option>
     </data_defined_properties>"""
    return f"""    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option name="color" type="QString" value="{rgb},255"/>
      <Option name="outline_color" type="QString" value="{rgb},255"/>
      <Option name="outline_width" type="QString" value="{0.4 if stacked else 0.1}"/>
      <Option name="style" type="QString" value="{'b_diagonal' if stacked else 'solid'}"/>
     </Option>{dd}
    </layer>"""


def _share_labels() -> str:
    """Labels on partial shares only: '1.5 ha (1.5 %)'; a whole unit gets none."""
    return f"""
 <labeling type="simple">
  <settings calloutType="simple">
   <text-style fieldName={quoteattr(SHARE_LABEL)} isExpression="1" fontSize="8" fontSizeUnit="Point" textColor="0,0,0,255"
     textOpacity="1" fontFamily="Arial" fontWeight="50" fontItalic="0" multilineHeight="1" blendMode="0"/>
   <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.8"/>
   <placement placement="1" dist="0" offsetType="0" priority="5"/>
   <rendering obstacle="1" displayAll="0" scaleVisibility="0" limitNumLabels="0" drawLabels="1"/>
  </settings>
 </labeling>"""


def qml(claims: dict[str, str], stacking: frozenset = frozenset(), divisible: frozenset = frozenset()) -> str:
    """A categorised fill renderer on the ``claim`` field; ``claims`` maps key → label.

    A stacking claim (rooftop solar on logistics) shares its host's geometry, so it is hatched
    over the host's colour instead of hiding it. A divisible claim holds a share of a unit
    (the ``share`` field): its fill is as opaque as its share (:func:`share_colour`), and a
    partial share is labelled with its hectares and percentage, so that 1.5 ha of a 100 ha
    cell is not read as the whole cell.
    """
    colours = claim_colours(claims)
    cats = "\n".join(f'   <category symbol="{i}" value={quoteattr(k)} label={quoteattr(label)} render="true"/>'
                     for i, (k, label) in enumerate(claims.items()))
    symbols = "\n".join(f'''   <symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">
{_fill(colours[k], k in stacking, k in divisible)}
   </symbol>''' for i, k in enumerate(claims))
    labels = _share_labels() if divisible else ""
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="{1 if divisible else 0}">
 <renderer-v2 type="categorizedSymbol" attr="claim" symbollevels="0" enableorderby="0" forceraster="0">
  <categories>
{cats}
  </categories>
  <symbols>
{symbols}
  </symbols>
 </renderer-v2>{labels}
</qgis>
"""


def geometry_column(db: sqlite3.Connection, layer: str) -> str:
    """The layer's geometry column as the GeoPackage registers it (``geom`` when written by GDAL)."""
    row = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)).fetchone()
    if row is None:
        raise ValueError(f"GeoPackage layer {layer!r} has no geometry column")
    return row[0]


def add_qgis_style(gpkg: Path, layer: str, claims: dict[str, str], stacking=frozenset(), divisible=frozenset()) -> None:
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
                   (layer, geometry_column(db, layer), qml(claims, frozenset(stacking), frozenset(divisible))))
        db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) VALUES ('layer_styles', 'attributes', 'layer_styles')")
