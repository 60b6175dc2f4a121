"""A2D Sentences data tools; ``frames`` is the frame extraction they share."""
