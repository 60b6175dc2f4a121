"""A tiny Ref-DAVIS17 tree in the official layout (DAVIS 2017 480p folders,
unsupervised palette masks with void 255, the four expression files with
annotator 2 in Latin-1 and the misspelt video names) and the
``meta_expressions.json`` files tools/data/ref_davis17/prepare.py writes, for
tests."""
import numpy as np
from PIL import Image

H, W = 8, 10


def _palette_png(path, ids):
    img = Image.fromarray(ids.astype(np.uint8), mode='P')
    pal = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (3 * 253)
    pal[3 * 255:3 * 256] = [224, 224, 192]  # DAVIS void colour
    img.putpalette(pal)
    img.save(path)


def write_ref_davis_tree(root,
                         val_videos=('bear', 'classic-car'),
                         prepare=True):
    """2 val videos (3 frames, objects 1 and 2, a void band) + 1 train video;
    the text files spell 'classic-car' as 'clasic-car'; annotator 2's files
    are Latin-1 with an 'é'; annotator 1's first-frame file names object 3
    of 'bear', which no mask holds. ``prepare``: write the
    ``meta_expressions.json`` files too (``prepare_ref_davis_tree``)."""
    davis = root / 'DAVIS'
    for video in ('bear', 'classic-car', 'dogs-scale'):
        fdir = davis / 'JPEGImages' / '480p' / video
        mdir = davis / 'Annotations_unsupervised' / '480p' / video
        fdir.mkdir(parents=True)
        mdir.mkdir(parents=True)
        for t in range(3):
            Image.new('RGB', (W, H),
                      (t * 40, 0, 0)).save(fdir / f'{t:05d}.jpg')
            ids = np.zeros((H, W), np.uint8)
            ids[1:4, 1 + t:4 + t] = 1
            ids[5:7, 5:9] = 2
            ids[:, 0] = 255  # void column
            _palette_png(mdir / f'{t:05d}.png', ids)
    sets = davis / 'ImageSets' / '2017'
    sets.mkdir(parents=True)
    (sets / 'val.txt').write_text(''.join(v + '\n' for v in val_videos))
    (sets / 'train.txt').write_text('dogs-scale\n')
    text = root / 'davis_text_annotations'
    text.mkdir()
    files = {
        'Davis17_annot1.txt': ('bear 1 "a brown bear"\n'
                               'bear 2 "a rock"\n'
                               'bear 3 "a bird that is not annotated"\n'
                               'clasic-car 1 "an old car"\n'
                               'clasic-car 2 "a man"\n'
                               'dog-scale 1 "a dog"\n', 'utf-8'),
        'Davis17_annot1_full_video.txt': ('bear 1 "the bear walking"\n'
                                          'bear 2 "the grey rock"\n'
                                          'clasic-car 1 "the car"\n'
                                          'clasic-car 2 "the man"\n', 'utf-8'),
        'Davis17_annot2.txt': ('bear 1 "a bear near a café"\n'
                               'bear 2 "a stone"\n'
                               'clasic-car 1 "a car"\n'
                               'clasic-car 2 "a person"\n', 'latin-1'),
        'Davis17_annot2_full_video.txt':
        ('bear 1 "the bear"\n'
         'bear 2 "the stone"\n'
         'clasic-car 1 "a vintage car"\n'
         'clasic-car 2 "a man walking"\n', 'latin-1'),
    }
    for name, (content, enc) in files.items():
        (text / name).write_bytes(content.encode(enc))
    if prepare:
        prepare_ref_davis_tree(root)
    return root


def prepare_ref_davis_tree(root):
    """What tools/data/ref_davis17/prepare.py writes; split -> the
    ``SkipCounter`` of what was left out."""
    from tools.data.ref_davis_expressions import write_meta_expressions
    return {
        split: skips
        for split, (_, skips) in write_meta_expressions(str(root)).items()
    }
