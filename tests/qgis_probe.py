"""Open a GeoPackage layer in QGIS and describe how QGIS styles it; render it to PNG.

Runs with the system Python that has Debian's python3-qgis (not the project's venv):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py FILE.gpkg LAYER OUT.png

Prints one JSON object: whether the layer is valid, its feature count, the renderer type
and, for a categorised renderer, its attribute and each category's value, label and colour, the
data-defined fill colour of the categories that have one, and whether labels are on (with their expression).
"""
import json
import os
import sys


def main(path: str, layer_name: str, png: str) -> None:
    from qgis.core import QgsApplication, QgsMapRendererParallelJob, QgsMapSettings, QgsSymbolLayer, QgsVectorLayer
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    app = QgsApplication([], False)
    app.initQgis()
    layer = QgsVectorLayer(f"{path}|layername={layer_name}", layer_name, "ogr")  # loads the default style, as QGIS does
    out = {"valid": layer.isValid(), "features": layer.featureCount() if layer.isValid() else 0, "qgis": app.applicationVersion()}
    renderer = layer.renderer() if layer.isValid() else None
    out["renderer"] = renderer.type() if renderer else None
    if renderer is not None and renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = [{"value": c.value(), "label": c.label(), "colour": c.symbol().color().name()}
                             for c in renderer.categories()]
        fill = {}  # category -> the expression of a data-defined fill colour (a divisible claim's share)
        for c in renderer.categories():
            prop = c.symbol().symbolLayer(0).dataDefinedProperties().property(QgsSymbolLayer.PropertyFillColor)
            if prop.isActive():
                fill[c.value()] = prop.expressionString()
        out["fill_expressions"] = fill
    if layer.isValid():
        labeling = layer.labeling()
        out["labels"] = bool(layer.labelsEnabled() and labeling is not None)
        out["label_expression"] = labeling.settings().fieldName if out["labels"] else None
    if layer.isValid():
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(700, 700))
        settings.setBackgroundColor(QColor("white"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        out["rendered"] = bool(job.renderedImage().save(png, "PNG"))
    print(json.dumps(out), flush=True)
    os._exit(0)  # QGIS's exit handlers can crash a headless process after the work is done


if __name__ == "__main__":
    main(*sys.argv[1:4])
