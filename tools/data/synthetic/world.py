"""The synthetic world: what the actors can be and do, and reading a tree's
``generator_meta.json``."""
import json
import os.path as osp
from typing import Dict

SHAPES = ('circle', 'square', 'triangle', 'star', 'cross', 'ring')
ACTIONS = ('moving left', 'moving right', 'jumping', 'rotating',
           'standing still')
SIZES = ('small', 'big')
COLOURS = {  # RGB
    'red': (220, 40, 40),
    'green': (40, 185, 60),
    'blue': (45, 95, 235),
    'yellow': (240, 215, 40),
    'purple': (155, 60, 210),
    'orange': (250, 135, 25),
    'white': (245, 245, 245),
    'cyan': (40, 215, 215),
}


def load_meta(data_root: str) -> Dict:
    """The ``generator_meta.json`` of a generated tree."""
    with open(osp.join(data_root, 'generator_meta.json')) as f:
        return json.load(f)
