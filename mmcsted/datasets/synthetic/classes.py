"""What the synthetic actors can be and do: shapes, actions, sizes, colours."""
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
# Rotation does not show on these shapes, so they never rotate.
ROTATION_INVARIANT = ('circle', 'ring')
SYNTHETIC_METAINFO = dict(actor_classes=SHAPES, action_classes=ACTIONS)
