"""Side-by-side runs of teplo against the reference tools (pandapipes)."""
