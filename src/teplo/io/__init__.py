"""Reading areas (OSM, GIS, synthetic) and writing studies (GeoPackage)."""
