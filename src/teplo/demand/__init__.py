"""Building heat demand: typology, loads, hourly profiles."""
