"""The query grammar: a referring expression that names exactly one actor of
a scene, and the flags (twin, action, size, colour, position) it carries."""
from typing import Dict, Optional

from .render import actor_pose
from .world import COLOURS, SHAPES

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


# Multi-object and no-target expressions (the MeViS layout).
_PLURAL = {
    'circle': 'circles',
    'square': 'squares',
    'triangle': 'triangles',
    'star': 'stars',
    'cross': 'crosses',
    'ring': 'rings',
}
_THIRD_PLURAL = {
    'moving left': ('move to the left', 'go left', 'slide left'),
    'moving right': ('move to the right', 'go right', 'slide right'),
    'jumping': ('jump', 'bounce up and down', 'jump up and down'),
    'rotating': ('rotate', 'spin', 'turn around'),
    'standing still': ('stay still', 'do not move', 'stand still'),
}
_NUMBER = {2: 'two', 3: 'three', 4: 'four', 5: 'five', 6: 'six'}
# mentions tried for a group, by the attributes they name
_GROUP_KEYS = (('shape', ), ('colour', ), ('size', ), ('action', ),
               ('shape', 'colour'), ('shape', 'size'), ('shape', 'action'),
               ('colour', 'size'), ('colour', 'action'), ('size', 'action'))


def _group_text(rng, mention: Dict, count: int, everyone: bool) -> str:
    words = [w for w in (mention.get('size'), mention.get('colour')) if w]
    noun = _PLURAL[mention['shape']] if 'shape' in mention else str(
        rng.choice(['shapes', 'objects']))
    desc = ' '.join(words + [noun])
    det = str(rng.choice(['the', f'the {_NUMBER[count]}']))
    if everyone and rng.random() < 0.5:
        det = 'all' if count > 2 else 'both'
    if 'action' not in mention:
        return f'{det} {desc}'
    action = mention['action']
    if rng.random() < 0.5:
        return f'{det} {desc} {rng.choice(_ING[action])}'
    return f'{det} {desc} that {rng.choice(_THIRD_PLURAL[action])}'


def make_group_query(rng, actors) -> Optional[Dict]:
    """An expression naming two or more actors by a property they share
    ("the two squares moving left", "the red shapes that jump"): its targets
    are exactly the actors matching the mention. None if no two actors
    share anything."""
    groups: Dict[tuple, list] = {}
    for keys in _GROUP_KEYS:
        for a in actors:
            mention = {k: a[k] for k in keys}
            ids = tuple(o['instance_id'] for o in actors
                        if _matches(o, mention))
            if len(ids) >= 2 and mention not in groups.setdefault(ids, []):
                groups[ids].append(mention)
    if not groups:
        return None
    # MeViS is about motion: prefer mentions that name the shared action
    moving = {
        ids: [m for m in ms if 'action' in m]
        for ids, ms in groups.items()
    }
    moving = {ids: ms for ids, ms in moving.items() if ms}
    if moving and rng.random() < 0.6:
        groups = moving
    ids = sorted(groups)[int(rng.integers(len(groups)))]
    mention = groups[ids][int(rng.integers(len(groups[ids])))]
    text = _group_text(rng, mention, len(ids), len(ids) == len(actors))
    return dict(
        query=text,
        kind='multi',
        instance_ids=list(ids),
        mention=dict(mention),
        mentions_action='action' in mention)


def make_no_target_query(rng, actors, allowed_actions) -> Dict:
    """A singular expression that names no actor of the scene: either a look
    that is not there ('absent') or a look that is there doing an action
    that it does not do ('wrong_action', which only motion can refute)."""
    for _attempt in range(100):
        if rng.random() < 0.5:
            a = actors[int(rng.integers(len(actors)))]
            mention = dict(shape=a['shape'], colour=a['colour'])
            mention['action'] = str(rng.choice(allowed_actions(a['shape'])))
            kind = 'wrong_action'
        else:
            shape = str(rng.choice(SHAPES))
            mention = dict(shape=shape, colour=str(rng.choice(list(COLOURS))))
            if rng.random() < 0.5:
                mention['action'] = str(rng.choice(allowed_actions(shape)))
            kind = 'absent'
        look = dict(shape=mention['shape'], colour=mention['colour'])
        if any(_matches(o, mention) for o in actors):
            continue
        if kind == 'absent' and any(_matches(o, look) for o in actors):
            continue
        break
    else:
        raise RuntimeError('no no-target mention found in 100 draws')
    desc = f"{mention['colour']} {mention['shape']}"
    if 'action' not in mention:
        text = f'the {desc}'
    elif rng.random() < 0.5:
        text = f"the {desc} {rng.choice(_ING[mention['action']])}"
    else:
        text = f"the {desc} that {rng.choice(_THIRD[mention['action']])}"
    return dict(
        query=text,
        kind='no_target',
        no_target_kind=kind,
        instance_ids=[],
        mention=mention,
        mentions_action='action' in mention)
