"""The HTML report, maps and plots."""
