"""The query grammar: a referring expression that names exactly one actor of
a scene, and the flags (twin, action, size, colour, position) it carries."""
from typing import Dict, Optional

from .render import actor_pose

_ING = {
    'moving left':
    ('moving to the left', 'moving left', 'going left', 'sliding to the left'),
    'moving right': ('moving to the right', 'moving right', 'going right',
                     'sliding to the right'),
    'jumping': ('jumping', 'jumping up and down', 'bouncing'),
    'rotating': ('rotating', 'spinning', 'turning around'),
    'standing still': ('standing still', 'not moving', 'staying still'),
}
_THIRD = {
    'moving left': ('moves to the left', 'goes left', 'slides left'),
    'moving right': ('moves to the right', 'goes right', 'slides right'),
    'jumping': ('jumps', 'bounces up and down', 'jumps up and down'),
    'rotating': ('rotates', 'spins', 'turns around'),
    'standing still': ('stays still', 'does not move', 'stands still'),
}
_POSITION = {
    'left': ('on the left', 'on the left side', 'at the left'),
    'right': ('on the right', 'on the right side', 'at the right'),
}


def _position_side(actor, actors, frames, visible_ids) -> Optional[str]:
    """'left'/'right' if the actor is clearly the left/rightmost one in
    every annotated frame where it shows (centres apart by >= its radius)."""
    sides = set()
    for f in frames:
        if actor['instance_id'] not in visible_ids[f]:
            continue
        x = actor_pose(actor, f - 1)[0]
        others = [actor_pose(o, f - 1)[0] for o in actors if o is not actor]
        margin = actor['radius']
        if all(x < ox - margin for ox in others):
            sides.add('left')
        elif all(x > ox + margin for ox in others):
            sides.add('right')
        else:
            return None
    return sides.pop() if len(sides) == 1 else None


def _matches(o, mention: Dict) -> bool:
    return all(o[k] == v for k, v in mention.items())


def _make_query(rng, actor, actors, frames, visible_ids) -> Dict:
    twin = actor['twin']
    mention = dict(shape=actor['shape'], colour=actor['colour'])
    if not twin and rng.random() < 0.2:
        del mention['colour']
    if rng.random() < 0.3:
        mention['size'] = actor['size']
    use_action = twin or rng.random() < 0.5
    if use_action:
        mention['action'] = actor['action']
    # add what is needed for the query to name exactly one actor
    for key in ('colour', 'size', 'action'):
        if sum(_matches(o, mention) for o in actors) == 1:
            break
        mention[key] = actor[key]
    assert sum(_matches(o, mention) for o in actors) == 1, 'ambiguous query'
    use_action = 'action' in mention
    side = None
    if not twin and rng.random() < 0.5:
        side = _position_side(actor, actors, frames, visible_ids)

    words = [
        w for w in (mention.get('size'), mention.get('colour'), actor['shape'])
        if w
    ]
    desc = ' '.join(words)
    det = str(rng.choice(['the', 'a', '']))
    if det == 'a' and desc[0] in 'aeiou':
        det = 'an'
    pos = (' ' + str(rng.choice(_POSITION[side]))) if side else ''
    if use_action:
        template = int(rng.integers(5))
        ing = str(rng.choice(_ING[actor['action']]))
        third = str(rng.choice(_THIRD[actor['action']]))
        text = [
            f'{det} {desc}{pos} is {ing}', f'{det} {desc}{pos} {ing}',
            f'{det} {desc}{pos} that {third}',
            f'{det} {desc}{pos} which is {ing}', f'{det} {desc}{pos}, {ing}'
        ][template]
    else:
        template = 5
        text = f'{det} {desc}{pos}'
    text = ' '.join(text.split()).replace(' ,', ',')
    return dict(
        query=text,
        twin=twin,
        mentions_action=use_action,
        mentions_size='size' in mention,
        mentions_colour='colour' in mention,
        position_word=side,
        template=template,
        target_shape=actor['shape'],
        target_colour=actor['colour'],
        target_size=actor['size'],
        target_action=actor['action'])
