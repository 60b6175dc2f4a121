"""What is missing or malformed in a user's Ref-YouTube-VOS / MeViS tree (used
by ``tools/data/{ref_youtube_vos,mevis}/check_tree.py``)."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Set

from mmcsted.datasets import mevis as mv
from mmcsted.datasets import ref_youtube_vos as yt
from mmcsted.datasets.ref_vos_base import (FRAME_EXT, clean_query,
                                           read_meta_expressions,
                                           sorted_frames)
from mmcsted.text import WordVocabulary, has_words
from mmcsted.utils.atomic_write import atomic_write_text
from .tree_check import CheckReport, passes_check


def _listing(folder: str) -> Optional[Set[str]]:
    """File names in ``folder``, None if it is not a folder."""
    if not osp.isdir(folder):
        return None
    return set(os.listdir(folder))


def _absent_files(folder: str, names: Sequence[str], rel: str) -> List[str]:
    """``rel/<name>`` for each of ``names`` absent from ``folder`` (which
    exists)."""
    present = _listing(folder) or set()
    return [f'{rel}/{n}' for n in names if n not in present]


#: the first bytes of every JPEG file (SOI marker and the next marker)
JPEG_MAGIC = b'\xff\xd8\xff'


def undecodable_frames(folder: str, names: Sequence[str],
                       rel: str) -> List[str]:
    """``rel/<name> (why)`` for each present file of ``names`` that does not
    decode as an image (``--deep``: a JPEG header over corrupt data)."""
    from PIL import Image
    bad = []
    for name in names:
        path = osp.join(folder, name)
        if not osp.isfile(path):
            continue
        try:
            with Image.open(path) as img:
                img.load()
        except Exception as e:
            bad.append(f'{rel}/{name} ({type(e).__name__}: {e})')
    return bad


def not_jpeg_files(folder: str, names: Sequence[str], rel: str) -> List[str]:
    """``rel/<name> (why)`` for each present file of ``names`` that is
    empty or does not start as a JPEG: a cheap look at 3 bytes, no
    decoding."""
    bad = []
    for name in names:
        path = osp.join(folder, name)
        if not osp.isfile(path):
            continue
        with open(path, 'rb') as f:
            head = f.read(len(JPEG_MAGIC))
        if head != JPEG_MAGIC:
            bad.append(
                f'{rel}/{name} ({"empty" if not head else "not a JPEG"})')
    return bad


def _read_json(r: CheckReport,
               path: str,
               what: str,
               required: bool = True) -> Optional[Dict]:
    """The videos of an expression file; None (and an error, or nothing
    when not ``required``) if it is missing or malformed."""
    if not osp.isfile(path):
        if required:
            r.error(f'{what} not found: {path}')
        return None
    try:
        return read_meta_expressions(path, what)
    except ValueError as e:
        r.error(str(e))
        return None


def _count_expressions(videos: Dict) -> int:
    return sum(len(e['expressions']) for e in videos.values())


def _empty_queries(videos: Dict) -> List[str]:
    return [
        f'{vid} expression {exp_id}' for vid, e in videos.items()
        for exp_id, exp in e['expressions'].items()
        if not has_words(clean_query(exp.get('exp')))
    ]


def _check_frame_folders(r: CheckReport,
                         root: str,
                         frame_rel: str,
                         videos: Dict,
                         what: str,
                         deep: bool = False) -> None:
    """Errors for the videos of ``videos`` whose JPEG folder under
    ``root/frame_rel`` is missing, for listed frames absent from it or not
    JPEG files, and with ``deep`` for those that do not decode."""
    missing_dirs, missing_frames, unreadable = [], [], []
    for vid, entry in videos.items():
        folder = osp.join(root, frame_rel, vid)
        if not osp.isdir(folder):
            missing_dirs.append(f'{frame_rel}/{vid}/')
            continue
        names = [f + FRAME_EXT for f in sorted_frames(entry['frames'])]
        missing_frames += _absent_files(folder, names, f'{frame_rel}/{vid}')
        unreadable += not_jpeg_files(folder, names, f'{frame_rel}/{vid}')
        if deep:
            unreadable += undecodable_frames(folder, names,
                                             f'{frame_rel}/{vid}')
    if missing_dirs:
        r.error(
            f'{what}: JPEG folders missing of videos listed in the '
            'expression file', missing_dirs)
    if missing_frames:
        r.error(f'{what}: listed frames missing', missing_frames)
    if unreadable:
        r.error(f'{what}: listed frames that are not readable JPEG files',
                unreadable)


def check_ref_youtube_vos_tree(root: str,
                               deep: bool = False,
                               limit: int = 10) -> CheckReport:
    """Check a Ref-YouTube-VOS tree (see :mod:`.ref_youtube_vos` for the
    layout): the expression files, ``train/meta.json``, the JPEG and
    Annotations folders and the listed frames in them, and the valid/test
    split trap. ``deep`` also decodes every listed frame and opens every
    listed annotation PNG (an object-id PNG: palette or grey, the size of
    its frame)."""
    r = CheckReport(f'Ref-YouTube-VOS at {root}', limit)
    paths = {
        s: osp.join(root, yt.META_EXPRESSIONS_TMPL.format(s))
        for s in ('train', 'valid', 'test')
    }
    train = _read_json(r, paths['train'], 'train expression file')
    valid = _read_json(r, paths['valid'], 'valid expression file')
    test = _read_json(r, paths['test'], 'test expression file', False)
    if train is not None:
        _check_ytvos_train(r, root, train, deep)
    if valid is not None:
        _check_ytvos_valid(r, root, valid, test, paths['test'], deep)
    return r


def _check_ytvos_train(r: CheckReport, root: str, train: Dict,
                       deep: bool) -> None:
    r.note(f'train: {len(train)} videos, {_count_expressions(train)} '
           'expressions')
    for rel in ('train/JPEGImages', yt.ANNOTATION_DIR):
        if not osp.isdir(osp.join(root, rel)):
            r.error(f'folder not found: {osp.join(root, rel)}')
    meta = None
    meta_path = osp.join(root, yt.TRAIN_META_FILE)
    if not osp.isfile(meta_path):
        r.error(f'train/meta.json not found: {meta_path} (the dataset '
                'reads the objects and their categories from it)')
    else:
        try:
            meta = yt.read_ytvos_meta(meta_path)
        except ValueError as e:
            r.error(str(e))
    _check_frame_folders(r, root, 'train/JPEGImages', train, 'train', deep)
    missing_dirs, missing_pngs, unknown_objects, bad_pngs = [], [], [], []
    for vid, entry in train.items():
        folder = osp.join(root, yt.ANNOTATION_DIR, vid)
        frames = sorted_frames(entry['frames'])
        if not osp.isdir(folder):
            missing_dirs.append(f'{yt.ANNOTATION_DIR}/{vid}/')
        else:
            missing_pngs += _absent_files(folder, [f + '.png' for f in frames],
                                          f'{yt.ANNOTATION_DIR}/{vid}')
            if deep:
                bad_pngs += _bad_annotation_pngs(root, vid, frames)
        if meta is not None:
            objects = meta.get(vid, {})
            for exp_id, exp in entry['expressions'].items():
                if str(exp.get('obj_id')) not in objects:
                    unknown_objects.append(f'{vid} expression {exp_id}: '
                                           f'obj_id {exp.get("obj_id")!r}')
    if missing_dirs:
        r.error('train: Annotations folders missing', missing_dirs)
    if missing_pngs:
        r.error('train: annotation PNGs of listed frames missing',
                missing_pngs)
    if bad_pngs:
        r.error(
            'train: annotation PNGs that are not object-id PNGs of '
            'their frame size', bad_pngs)
    if unknown_objects:
        r.warn(
            'train expressions whose obj_id is not an object of the video '
            'in train/meta.json (the dataset skips them)', unknown_objects)
    empty = _empty_queries(train)
    if empty:
        r.warn('train expressions with an empty query (skipped)', empty)


def _bad_annotation_pngs(root: str, vid: str, frames: List[str]) -> List[str]:
    from PIL import Image
    bad = []
    for f in frames:
        png = osp.join(root, yt.ANNOTATION_DIR, vid, f + '.png')
        jpg = osp.join(root, 'train/JPEGImages', vid, f + FRAME_EXT)
        if not osp.isfile(png):
            continue
        try:
            with Image.open(png) as img:
                mode, size = img.mode, img.size
                img.load()
        except Exception as e:
            bad.append(f'{vid}/{f}.png: {type(e).__name__}: {e}')
            continue
        try:
            with Image.open(jpg) as img:
                jsize = img.size
        except Exception:
            continue  # the frame check reports the frame
        if mode not in ('P', 'L'):
            bad.append(f'{vid}/{f}.png: mode {mode!r}')
        elif size != jsize:
            bad.append(f'{vid}/{f}.png: {size[0]} x {size[1]} (W x H), the '
                       f'frame is {jsize[0]} x {jsize[1]}')
    return bad


def _check_ytvos_valid(r: CheckReport,
                       root: str,
                       valid: Dict,
                       test: Optional[Dict],
                       test_path: str,
                       deep: bool = False) -> None:
    r.note(f'valid file: {len(valid)} videos, {_count_expressions(valid)} '
           'expressions')
    if not osp.isdir(osp.join(root, 'valid/JPEGImages')):
        r.error('folder not found: ' + osp.join(root, 'valid/JPEGImages'))
    if test is None:
        r.warn(f'test expression file not found: {test_path}. The valid '
               f'file holds the {yt.YTVOS_TEST_VIDEOS} test-phase videos '
               f'too; the {yt.YTVOS_VALID_VIDEOS} videos the valid server '
               'scores are the valid list minus the test list, so '
               "RefYouTubeVOSDataset(split='valid') stops without it "
               '(exclude_test_videos=False takes every video of the valid '
               'file)')
        scored = valid
    else:
        in_test = [v for v in valid if v in test]
        scored = {v: e for v, e in valid.items() if v not in test}
        r.note(f'split trap: {len(in_test)} of the {len(valid)} videos of '
               'the valid file are in the test list (the test phase; the '
               f'tree has {yt.YTVOS_TEST_VIDEOS}); the videos scored on '
               f'the valid server are valid minus test: {len(scored)} '
               f'videos, {_count_expressions(scored)} expressions (the '
               f'tree has {yt.YTVOS_VALID_VIDEOS})')
        if len(scored) != yt.YTVOS_VALID_VIDEOS:
            r.warn(f'valid minus test is {len(scored)} videos, not '
                   f'{yt.YTVOS_VALID_VIDEOS} (fine for a synthetic or '
                   'partial tree)')
        outside = [v for v in test if v not in valid]
        if outside:
            r.warn('test-list videos absent from the valid file', outside)
        absent_test = [
            v for v in in_test
            if not osp.isdir(osp.join(root, 'valid/JPEGImages', v))
        ]
        if absent_test:
            r.note(f'{len(absent_test)} test-list videos have no folder in '
                   'valid/JPEGImages (not needed for the valid split)')
    _check_frame_folders(r, root, 'valid/JPEGImages', scored, 'valid', deep)
    empty = _empty_queries(scored)
    if empty:
        r.warn(
            'valid expressions with an empty query (no word: the '
            'submission gets empty masks for them)', empty)


def check_mevis_tree(root: str,
                     splits: Sequence[str] = mv.MEVIS_SPLITS,
                     deep: bool = False,
                     limit: int = 10) -> CheckReport:
    """Check a MeViS tree (see :mod:`.mevis`): per split, the expression
    file, the JPEG folders and listed frames, and (train, valid_u) the
    ``mask_dict.json`` entries of every expression's ``anno_id``. A split
    folder that is absent is a warning (a tree may hold some splits only);
    no split at all is an error. ``deep`` also decodes every RLE and
    compares its size with the video's first frame."""
    r = CheckReport(f'MeViS at {root}', limit)
    bad = [s for s in splits if s not in mv.MEVIS_SPLITS]
    if bad:
        raise ValueError(f'unknown MeViS splits {bad}; choose from '
                         f'{mv.MEVIS_SPLITS}')
    present = [s for s in splits if osp.isdir(osp.join(root, s))]
    if not present:
        r.error(f'no split folder under {root} (expected '
                f'{", ".join(s + "/" for s in splits)})')
        return r
    for split in splits:
        if split not in present:
            r.warn(f'split folder not found: {osp.join(root, split)}')
            continue
        _check_mevis_split(r, root, split, deep)
    return r


def _check_mevis_split(r: CheckReport, root: str, split: str,
                       deep: bool) -> None:
    folder = osp.join(root, split)
    videos = _read_json(r, osp.join(folder, mv.META_EXPRESSIONS_FILE),
                        f'{split} expression file')
    if not osp.isdir(osp.join(folder, mv.FRAME_DIR)):
        r.error(f'folder not found: {osp.join(folder, mv.FRAME_DIR)}')
    if videos is None:
        return
    n_multi = n_none = 0
    for entry in videos.values():
        for exp in entry['expressions'].values():
            n = len(exp.get('obj_id') or [])
            n_multi += n > 1
            n_none += n == 0
    line = (f'{split}: {len(videos)} videos, {_count_expressions(videos)} '
            f'expressions')
    if split in mv.MEVIS_SPLITS_WITH_MASKS:
        line += (f' ({n_multi} multi-object, {n_none} with no target '
                 '(MeViS v2))')
    r.note(line)
    _check_frame_folders(r, root, f'{split}/{mv.FRAME_DIR}', videos, split,
                         deep)
    empty = _empty_queries(videos)
    if empty:
        r.warn(f'{split} expressions with an empty query (skipped)', empty)
    if split not in mv.MEVIS_SPLITS_WITH_MASKS:
        return
    mask_path = osp.join(folder, mv.MASK_DICT_FILE)
    if not osp.isfile(mask_path):
        r.error(f'{split}: mask_dict.json not found: {mask_path}')
        return
    try:
        masks = mv.read_mask_dict(mask_path)
    except ValueError as e:
        r.error(str(e))
        return
    _check_mask_dict(r, root, split, videos, masks, deep)


def _check_mask_dict(r: CheckReport, root: str, split: str, videos: Dict,
                     masks: Dict, deep: bool) -> None:
    absent, short, malformed, bad_rles = [], [], [], []
    for vid, entry in videos.items():
        n = len(sorted_frames(entry['frames']))
        for exp_id, exp in entry['expressions'].items():
            where = f'{vid} expression {exp_id}'
            try:
                objs = mv.id_list(exp.get('obj_id'), 'obj_id', where)
                annos = mv.id_list(exp.get('anno_id'), 'anno_id', where)
            except ValueError as e:
                malformed.append(str(e))
                continue
            if len(objs) != len(annos):
                malformed.append(f'{where}: {len(objs)} obj_id, '
                                 f'{len(annos)} anno_id')
            for a in annos:
                rles = masks.get(str(a))
                if rles is None:
                    absent.append(f'{where}: anno_id {a}')
                elif len(rles) < n:
                    short.append(f'{where}: anno_id {a} has {len(rles)} '
                                 f'masks for {n} frames')
    if deep:
        bad_rles = _bad_rles(root, split, videos, masks)
    if malformed:
        r.error(f'{split}: malformed obj_id / anno_id lists', malformed)
    if absent:
        r.error(f'{split}: anno_ids missing from mask_dict.json', absent)
    if short:
        r.error(f'{split}: mask_dict entries shorter than the frame list',
                short)
    if bad_rles:
        r.error(f'{split}: RLEs that do not decode to their frame size',
                bad_rles)


def _first_frame_size(root: str, split: str, vid: str, entry: Dict):
    """(H, W) of the first listed frame, None if unreadable."""
    from PIL import Image
    frames = sorted_frames(entry['frames'])
    if not frames:
        return None
    path = osp.join(root, split, mv.FRAME_DIR, vid, frames[0] + FRAME_EXT)
    try:
        with Image.open(path) as img:
            return img.size[1], img.size[0]
    except Exception:
        return None


def _bad_rles(root: str, split: str, videos: Dict, masks: Dict) -> List[str]:
    from pycocotools import mask as mask_utils
    bad = []
    for vid, entry in videos.items():
        size = _first_frame_size(root, split, vid, entry)
        annos = {
            str(a)
            for exp in entry['expressions'].values()
            for a in (exp.get('anno_id') or [])
        }
        for a in sorted(annos):
            for k, rle in enumerate(masks.get(a) or []):
                if rle is None:
                    continue
                try:
                    rle = dict(rle)
                    if isinstance(rle['counts'], str):
                        rle['counts'] = rle['counts'].encode('ascii')
                    elif isinstance(rle['counts'], list):  # uncompressed
                        rle = mask_utils.frPyObjects(rle, *rle['size'])
                    m = mask_utils.decode(rle)
                except Exception as e:
                    bad.append(f'{vid} anno_id {a} frame {k}: '
                               f'{type(e).__name__}: {e}')
                    continue
                if size is not None and m.shape[:2] != size:
                    bad.append(f'{vid} anno_id {a} frame {k}: '
                               f'{m.shape[0]} x {m.shape[1]}, the frames '
                               f'are {size[0]} x {size[1]}')
    return bad


#: release -> (its check, its train expression file under the root)
_PREPARE = {
    'ref_youtube_vos': (check_ref_youtube_vos_tree,
                        osp.join('meta_expressions', 'train',
                                 'meta_expressions.json')),
    'mevis': (check_mevis_tree, osp.join('train', 'meta_expressions.json')),
}


def build_expression_vocabulary(meta_file: str, out_file: str) -> int:
    """Write ``out_file``, the vocabulary (``vocab.json``) of the expressions
    of one ``meta_expressions.json`` (the train split's: the model configs
    refer to it); returns its size. Empty expressions are left out."""
    videos = read_meta_expressions(meta_file)
    queries = [
        clean_query(exp.get('exp')) for entry in videos.values()
        for exp in entry['expressions'].values()
    ]
    vocab = WordVocabulary.build(q for q in queries if q)
    atomic_write_text(vocab.to_json(), out_file)
    return len(vocab)


def prepare_ref_vos_tree(dataset: str,
                         data_root: str,
                         vocab_out: Optional[str] = None,
                         force: bool = False) -> int:
    """What ``tools/data/{ref_youtube_vos,mevis}/prepare.py`` do: check the
    tree (print the report; stop with 1 on a problem unless ``force``),
    then write ``vocab.json`` (default ``<data_root>/vocab.json``), the words
    of the train split's expressions, which the model configs read."""
    check, train_file = _PREPARE[dataset]
    report = check(data_root)
    if not passes_check(report, force):
        return 1
    out = vocab_out or osp.join(data_root, 'vocab.json')
    n = build_expression_vocabulary(osp.join(data_root, train_file), out)
    print(f'vocabulary: {n} words (train expressions) -> {out}')
    return 0


def prepare_main(dataset: str, description: str, argv=None) -> int:
    """The command line of ``tools/data/{ref_youtube_vos,mevis}/prepare.py``
    (``data_root [--vocab-out PATH] [--force]``), running
    :func:`prepare_ref_vos_tree`."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument('data_root')
    p.add_argument(
        '--vocab-out',
        default=None,
        help='vocabulary path (default <data_root>/vocab.json)')
    p.add_argument(
        '--force',
        action='store_true',
        help='write the vocabulary although the check found problems')
    args = p.parse_args(argv)
    return prepare_ref_vos_tree(dataset, args.data_root, args.vocab_out,
                                args.force)
