"""Instances from GIS layers (``build``) and the CBS region boundaries (``fetch-regions``)."""
