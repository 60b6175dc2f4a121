"""Modules tools/train.py and tools/test.py share (the launch, the data
check before a run, the work-dir lock)."""
