"""From solver values to what planners read: tables, the run folder, Excel, QGIS styles, reports."""
