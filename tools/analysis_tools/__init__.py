"""Analysis scripts; ``complexity`` is shared by get_flops.py and
benchmark.py."""
