"""J-HMDB Sentences (evaluation only), read as it comes from its site.
Layout and frame sampling: docs/dataset_prepare.md."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine import fileio

from mmcsted.registry import DATASETS
from mmcsted.text import has_words
from mmcsted.utils.misc import check_choice
from mmcsted.utils.video_io import read_bytes_io
from .a2d.tree import A2D_ACTORS
from .base import BaseActorSegDataset
from .utils import (SkipCounter, count_numbered, list_names, read_csv_rows,
                    read_json, require_file)

JHMDB_ACTIONS = ('brush_hair', 'catch', 'clap', 'climb_stairs', 'golf', 'jump',
                 'kick_ball', 'pick', 'pour', 'pullup', 'push', 'run',
                 'shoot_ball', 'shoot_bow', 'shoot_gun', 'sit', 'stand',
                 'swing_baseball', 'throw', 'walk', 'wave')

ANNOTATION_FILE = 'jhmdb_annotation.txt'
IMAGE_DIR = 'Rename_Images'
MASK_DIR = 'puppet_mask'
MASK_NAME = 'puppet_mask.mat'
FRAME_TMPL = '{:05d}.png'
FROZEN_FILE = 'jhmdb_sentences_frozen_frames.json'


def read_jhmdb_annotations(path: str,
                           backend_args: Optional[dict] = None) -> List[Dict]:
    """Rows ``{'line', 'video_id', 'query'}`` of ``jhmdb_annotation.txt``."""
    return [
        dict(line=last_line, video_id=row[0].strip(), query=','.join(row[1:]))
        for _, last_line, row in read_csv_rows(
            path, ('video_id', 'query'), 'J-HMDB Sentences annotation file',
            'jhmdb_annotation.txt from the J-HMDB Sentences tree',
            backend_args)
    ]


def find_action_folders(data_root: str,
                        backend_args: Optional[dict] = None) -> Dict[str, str]:
    """``{vid: action}`` by scanning ``Rename_Images/<action>/<vid>/``."""
    image_root = require_file(
        osp.join(data_root, IMAGE_DIR), 'J-HMDB frame folder',
        'Rename_Images/ from the J-HMDB tree', backend_args)
    found = {}
    for action in list_names(image_root, True, backend_args=backend_args):
        for vid in list_names(
                osp.join(image_root, action), True, backend_args=backend_args):
            found.setdefault(vid, action)
    return found


def mat_mask_shape(path: str, backend_args: Optional[dict] = None) -> tuple:
    """Shape of ``part_mask`` without loading it (MATLAB v5 header)."""
    from scipy.io import whosmat
    try:
        with fileio.get_local_path(path, backend_args=backend_args) as local:
            entries = whosmat(local)
    except NotImplementedError as e:  # v7.3 files are HDF5
        raise ValueError(f'{path}: not a MATLAB v5 file ({e})')
    for name, shape, _ in entries:
        if name == 'part_mask':
            return tuple(shape)
    raise KeyError(f'{path}: no "part_mask" variable '
                   f'(found {[e[0] for e in entries]})')


def load_jhmdb_mask(path: str,
                    frame_id: int,
                    backend_args: Optional[dict] = None) -> np.ndarray:
    """The H x W {0, 1} uint8 mask of 1-based ``frame_id``, read through
    :mod:`mmengine.fileio` (``backend_args``)."""
    from scipy.io import loadmat
    try:
        mat = loadmat(read_bytes_io(path, backend_args))
    except NotImplementedError as e:
        raise ValueError(f'{path}: not a MATLAB v5 file ({e})')
    if 'part_mask' not in mat:
        raise KeyError(f'{path}: no "part_mask" variable')
    masks = mat['part_mask']
    if masks.ndim == 2:
        masks = masks[..., None]
    if not 1 <= frame_id <= masks.shape[2]:
        raise IndexError(f'{path}: frame {frame_id} asked, the file holds '
                         f'{masks.shape[2]} masks')
    return (masks[:, :, frame_id - 1] > 0).astype(np.uint8)


def uniform_frames(num_frames: int, k: int) -> List[int]:
    """``k`` evenly spaced 1-based frames: the centres of ``k`` equal
    segments of ``[1, num_frames]`` (all frames if fewer than ``k``)."""
    if num_frames <= k:
        return list(range(1, num_frames + 1))
    return [int((i + 0.5) * num_frames / k) + 1 for i in range(k)]


def scan_jhmdb(data_root: str,
               rows: List[Dict],
               progress: bool = False,
               backend_args: Optional[dict] = None) -> Dict[str, Dict]:
    """Per annotated video: action, frame folder, mask file, number of
    frames, number of masks, usable frames (frames up to the last mask).
    Videos whose frames or mask are missing get ``missing`` set."""
    actions = find_action_folders(data_root, backend_args)
    info = OrderedDict()
    if progress and len(rows) > 20:
        from tqdm import tqdm
        rows = tqdm(rows, desc='reading J-HMDB folders', unit='video')
    for row in rows:
        vid = row['video_id']
        if vid in info:
            continue
        action = actions.get(vid)
        item = dict(action=action, missing=[])
        if action is None:
            item['missing'].append(osp.join(IMAGE_DIR, '<action>', vid))
            info[vid] = item
            continue
        fdir = osp.join(data_root, IMAGE_DIR, action, vid)
        mfile = osp.join(data_root, MASK_DIR, action, vid, MASK_NAME)
        item.update(frame_dir=fdir, mask_file=mfile)
        item['num_images'] = count_numbered(
            set(list_names(fdir, backend_args=backend_args)), FRAME_TMPL)
        if item['num_images'] == 0:
            item['missing'].append(osp.join(fdir, FRAME_TMPL.format(1)))
        if not fileio.isfile(mfile, backend_args=backend_args):
            item['missing'].append(mfile)
        else:
            try:
                shape = mat_mask_shape(mfile, backend_args)
                item['num_masks'] = shape[2] if len(shape) == 3 else 1
                item['mask_hw'] = list(shape[:2])
            except Exception as e:
                item['error'] = f'{type(e).__name__}: {e}'
        if not item['missing'] and 'error' not in item:
            item['usable_frames'] = min(item['num_images'], item['num_masks'])
        info[vid] = item
    return info


def _one_row_per_video(rows: List[Dict], skips: SkipCounter) -> List[Dict]:
    """The rows with a query, the first one per video (the others are
    counted)."""
    seen, kept = set(), []
    for row in rows:
        if not has_words(row['query']):
            skips.add('rows with an empty query',
                      f'line {row["line"]}: {row["video_id"]}')
            continue
        if row['video_id'] in seen:
            skips.add('repeated video rows (one query per video)',
                      f'line {row["line"]}: {row["video_id"]}')
            continue
        seen.add(row['video_id'])
        kept.append(row)
    return kept


def _frame_samples(row: Dict, it: Dict, frames: List[int], adult: int,
                   actions: Sequence[str]) -> List[dict]:
    """The data_list entries of one video's sampled frames."""
    vid, n, action = row['video_id'], it['usable_frames'], it['action']
    return [
        dict(
            video_id=vid,
            frame_id=frame,
            instance_id=0,
            query=row['query'],
            mask_file=it['mask_file'],
            mask_format='jhmdb_mat',
            video_path=None,
            frame_dir=it['frame_dir'],
            filename_tmpl=FRAME_TMPL,
            total_frames=n,
            max_frames=n,
            height=it['mask_hw'][0],
            width=it['mask_hw'][1],
            label=-1,
            action_name=action,
            actor_class=adult,
            action_class=actions.index(action) +
            1 if action in actions else -1,
            instance_label=-1) for frame in frames
    ]


@DATASETS.register_module()
class JHMDBSentencesDataset(BaseActorSegDataset):
    """J-HMDB Sentences, test only: ``num_frames_per_video`` samples per video.

    Args:
        data_root: root holding ``jhmdb_annotation.txt``, ``Rename_Images/``
            and ``puppet_mask/``.
        frame_sampling: ``'uniform'`` or ``'frozen'`` (``frozen_file``).
        num_frames_per_video: frames per video (3 in the literature).
        frozen_file: JSON ``{vid: [frame numbers]}``, relative to data_root.
        progress: show a progress bar while reading the folders.
        **kwargs: :class:`BaseActorSegDataset` arguments.

    Sample keys: docs/dataset_prepare.md.
    """

    METAINFO = dict(
        dataset_name='J-HMDB Sentences',
        actor_classes=A2D_ACTORS,
        action_classes=JHMDB_ACTIONS)
    MASK_FORMAT = 'jhmdb_mat'

    def __init__(self,
                 data_root: str,
                 frame_sampling: str = 'uniform',
                 num_frames_per_video: int = 3,
                 frozen_file: str = FROZEN_FILE,
                 progress: bool = True,
                 ann_file: str = ANNOTATION_FILE,
                 test_mode: bool = True,
                 **kwargs):
        check_choice('frame_sampling', frame_sampling, ('uniform', 'frozen'))
        self.frame_sampling = frame_sampling
        self.num_frames_per_video = num_frames_per_video
        self.frozen_file = frozen_file
        self.progress = progress
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            test_mode=test_mode,
            **kwargs)

    @staticmethod
    def read_mask(results: dict, backend_args: Optional[dict]):
        """The mask of ``frame_id`` in the video's ``puppet_mask.mat``."""
        return load_jhmdb_mask(results['mask_file'], int(results['frame_id']),
                               backend_args), None

    def load_data_list(self) -> List[dict]:
        root = self.data_root
        owner = self.owner
        skips = SkipCounter(owner)
        kept = _one_row_per_video(
            read_jhmdb_annotations(self.ann_file, self.backend_args), skips)
        info = scan_jhmdb(root, kept, self.progress, self.backend_args)
        self._check_scan(info, skips)
        frozen = None
        if self.frame_sampling == 'frozen':
            frozen = self._read_frozen()
        actors = self.metainfo.get('actor_classes', A2D_ACTORS)
        actions = self.metainfo.get('action_classes', JHMDB_ACTIONS)
        adult = actors.index('adult') + 1 if 'adult' in actors else -1
        data_list = []
        for row in kept:
            it = info[row['video_id']]
            if 'usable_frames' not in it:
                continue
            frames = self._video_frames(row['video_id'], it['usable_frames'],
                                        frozen, skips, owner)
            if frames is not None:
                data_list += _frame_samples(row, it, frames, adult, actions)
        return self.finish_loading(data_list, skips)

    def _check_scan(self, info: Dict[str, Dict], skips: SkipCounter) -> None:
        """Missing files follow ``on_missing``; unreadable mask files are
        counted."""
        self.handle_missing(
            {
                vid: it['missing']
                for vid, it in info.items() if it['missing']
            }, skips,
            'Run tools/data/jhmdb_sentences/check_tree.py for the full '
            'list. ')
        for vid, it in info.items():
            if 'error' in it:
                skips.add('unreadable mask files',
                          f'{it["mask_file"]}: {it["error"]}')

    def _read_frozen(self) -> Dict[str, List[int]]:
        """The frozen frame list (``frozen_file``, relative to data_root
        unless absolute)."""
        path = osp.join(self.data_root, self.frozen_file) if not osp.isabs(
            self.frozen_file) else self.frozen_file
        return read_json(path, 'J-HMDB frozen frame list',
                         'written by tools/data/jhmdb_sentences/prepare.py',
                         self.backend_args)

    def _video_frames(self, vid: str, n: int, frozen: Optional[Dict],
                      skips: SkipCounter, owner: str) -> Optional[List[int]]:
        """The 1-based frames sampled from a video of ``n`` usable frames
        (frozen or uniform), None to skip it (counted)."""
        if n == 0:
            skips.add('videos with no frame that has a mask', vid)
            return None
        if frozen is None:
            return uniform_frames(n, self.num_frames_per_video)
        if vid not in frozen:
            skips.add('videos absent from the frozen frame list', vid)
            return None
        frames = [int(x) for x in frozen[vid]]
        bad = [x for x in frames if not 1 <= x <= n]
        if bad:
            raise ValueError(
                f'{owner}: frozen frames {bad} of {vid} are outside '
                f'1..{n} (frames with a mask); rebuild '
                f'{self.frozen_file} with prepare.py')
        return frames
