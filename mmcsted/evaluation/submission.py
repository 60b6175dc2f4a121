"""Submission files of the referring-VOS challenge servers (Ref-YouTube-VOS,
MeViS): one 0/255 PNG per listed frame, zipped; the layouts:
docs/metrics.md, "Challenge submissions"."""
import io
import os
import os.path as osp
import secrets
import shutil
import zipfile
from typing import (Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple)

import numpy as np
from mmengine import fileio
from mmengine.dist import broadcast_object_list
from mmengine.logging import print_log
from PIL import Image

from mmcsted.utils.atomic_write import atomic_write, replace_dir
from mmcsted.utils.misc import check_choice

#: layout name -> folder the masks go under inside the zip ('' = the root).
SUBMISSION_LAYOUTS = {'ref_youtube_vos': 'Annotations', 'mevis': ''}

#: extensions stripped from a ``frame_name`` given with one.
_FRAME_EXTS = ('.jpg', '.jpeg', '.png')


def _path_part(value: Any, what: str) -> str:
    """``value`` as one path component; an error for anything that would
    leave its folder or make an odd zip entry."""
    if value is None:
        raise KeyError(f'the submission needs `{what}` in every data sample')
    text = str(value)
    if (not text or text in ('.', '..') or '/' in text or '\\' in text
            or '\0' in text):
        raise ValueError(f'`{what}` {text!r} cannot be a submission path '
                         'component')
    return text


def frame_stem(frame_name: Any) -> str:
    """The frame's name without its image extension ('00005.jpg' ->
    '00005'; '00005' stays)."""
    name = _path_part(frame_name, 'frame_name')
    stem, ext = osp.splitext(name)
    return stem if ext.lower() in _FRAME_EXTS else name


def submission_png_path(layout: str,
                        video_id: Any,
                        exp_id: Any,
                        frame_name: Any,
                        run: Any = None) -> str:
    """Path of one mask inside the zip (``/``-separated).

    ``run`` (Ref-DAVIS17's annotation run, when a sample has one) becomes a
    top folder, since the runs share video, expression and frame names;
    neither server has runs.
    """
    check_choice('submission layout', layout, SUBMISSION_LAYOUTS)
    parts = [SUBMISSION_LAYOUTS[layout]] if SUBMISSION_LAYOUTS[layout] else []
    if run is not None:
        parts.insert(0, _path_part(run, 'run'))
    parts += [
        _path_part(video_id, 'video_id'),
        _path_part(exp_id, 'exp_id'),
        frame_stem(frame_name) + '.png'
    ]
    return '/'.join(parts)


def write_mask_png(mask: np.ndarray, path: str) -> None:
    """Write a (H, W) mask (> 0 = foreground) as an 8-bit grey PNG of 0/255.

    Written to a temporary name and renamed, so a reader (or a second rank
    writing the same padded sample) never sees half a file.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'a submission mask must be (H, W), got shape '
                         f'{mask.shape}')
    image = Image.fromarray(np.where(mask > 0, 255, 0).astype(np.uint8), 'L')
    with atomic_write(path) as f:
        image.save(f, format='PNG')


def _zip_folder_entries(paths: Sequence[str]) -> List[str]:
    """The folder entries ``zip -r`` writes for ``paths`` ('a/', 'a/b/')."""
    folders = set()
    for path in paths:
        parts = path.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            folders.add('/'.join(parts[:i]) + '/')
    return sorted(folders)


def zip_submission(root: str, rel_paths: Sequence[str], zip_file: str) -> str:
    """Zip ``root/<rel_path>`` for every path (and their folders) into
    ``zip_file``, entries named by ``rel_path``; written to a temporary name
    and renamed. Returns ``zip_file``."""
    rel_paths = sorted(rel_paths)
    with atomic_write(zip_file) as f, \
            zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as zf:
        for entry in _zip_folder_entries(rel_paths):
            info = zipfile.ZipInfo(entry)
            # a directory as zip -r marks it (unix drwxr-xr-x + MS-DOS
            # directory bit), so every unzip makes a folder of it
            info.external_attr = (0o40755 << 16) | 0x10
            zf.writestr(info, b'')
        for rel in rel_paths:
            zf.write(osp.join(root, *rel.split('/')), arcname=rel)
    return zip_file


#: the file that marks a folder as an mmcsted submission (not zipped), so
#: that a rerun replaces it and nothing else.
SUBMISSION_MARKER = '.mmcsted_submission'


def _check_replaceable(output_dir: str) -> None:
    """Raise unless ``output_dir`` is absent, empty, or a submission this
    writer made: a run replaces the whole folder."""
    if (osp.isdir(output_dir) and os.listdir(output_dir)
            and not osp.isfile(osp.join(output_dir, SUBMISSION_MARKER))):
        raise FileExistsError(
            f'{output_dir} holds files that are not an mmcsted submission; '
            'a submission replaces its whole folder: give a new or empty '
            'output folder')
    if osp.exists(output_dir) and not osp.isdir(output_dir):
        raise NotADirectoryError(f'submission folder {output_dir} is a file')


def _examples(items: Iterable, limit: int = 5) -> str:
    items = sorted(items)
    shown = ', '.join('/'.join(map(str, item)) for item in items[:limit])
    more = f' and {len(items) - limit} more' if len(items) > limit else ''
    return shown + more


def _check_written_once(records: Sequence[dict]) -> None:
    """Raise ``ValueError`` when a PNG was recorded more than once."""
    seen = set()
    twice = set()
    for rec in records:
        if rec['png'] in seen:
            twice.add((rec['png'], ))
        seen.add(rec['png'])
    if twice:
        raise ValueError(f'{len(twice)} frame(s) predicted twice: '
                         f'{_examples(twice)}')


class SubmissionWriter:
    """Writes a challenge submission: PNGs as predictions come, a zip at
    the end.

    Args:
        output_dir (str): the PNGs go to ``output_dir/<zip path>``, e.g.
            ``output_dir/Annotations/<vid>/<exp_id>/<frame>.png``.
        layout (str): ``'ref_youtube_vos'`` or ``'mevis'`` (docs/metrics.md).
        zip_file (str, optional): the zip; defaults to
            ``output_dir/submission.zip``.

    Under distributed testing every rank writes its own samples' PNGs and
    one process (rank 0) calls :meth:`finalize` with everyone's records:
    ``output_dir`` must be on a filesystem all ranks share.
    """

    def __init__(self,
                 output_dir: str,
                 layout: str,
                 zip_file: Optional[str] = None) -> None:
        check_choice('submission layout', layout, SUBMISSION_LAYOUTS)
        if not output_dir:
            raise ValueError('SubmissionWriter needs an `output_dir`')
        self.output_dir = output_dir
        self.layout = layout
        self.zip_file = zip_file or osp.join(output_dir, 'submission.zip')
        # every rank writes into the same fresh folder beside output_dir,
        # which replaces output_dir only once the set is complete: a killed
        # rerun never leaves a zip beside PNGs of another checkpoint
        _check_replaceable(output_dir)
        token = [secrets.token_hex(4)]
        broadcast_object_list(token)
        parent, name = osp.split(osp.abspath(output_dir))
        self.staging_dir = osp.join(parent, f'.{name}.{token[0]}.tmp')

    def write(self,
              mask: np.ndarray,
              video_id: Any,
              exp_id: Any,
              frame_name: Any,
              run: Any = None) -> dict:
        """Write one frame's mask; returns the record :meth:`finalize`
        takes (names only)."""
        rel = submission_png_path(self.layout, video_id, exp_id, frame_name,
                                  run)
        write_mask_png(mask, osp.join(self.staging_dir, *rel.split('/')))
        return dict(
            video_id=str(video_id),
            exp_id=str(exp_id),
            frame_name=frame_stem(frame_name),
            run=None if run is None else str(run),
            png=rel)

    def fill_empty(self, empty_queries: Optional[Mapping[str,
                                                         dict]]) -> List[dict]:
        """Write an all-background mask on every frame of the expressions
        the model could not predict (their query has no word, see the
        dataset's ``empty_query_expressions``); returns their records."""
        records = []
        for vid, entry in (empty_queries or {}).items():
            with Image.open(io.BytesIO(fileio.get(
                    entry['frame_file']))) as frame:
                width, height = frame.size
            mask = np.zeros((height, width), np.uint8)
            for exp_id in entry['exp_ids']:
                for frame_name in entry['frames']:
                    records.append(self.write(mask, vid, exp_id, frame_name))
        return records

    def finalize(self,
                 records: Sequence[dict],
                 expected_frames: Optional[Mapping[str, Mapping[
                     str, Sequence[str]]]] = None,
                 num_filled: int = 0) -> Dict[str, int]:
        """Check the written set (no PNG twice, each on disk; with
        ``expected_frames``, the dataset meta's ``{video_id: {exp_id:
        [frame, ...]}}``, nothing missing or extra) and zip it;
        ``num_filled`` (expressions :meth:`fill_empty` filled) is said in
        the log. Returns the counts ``num_videos``, ``num_expressions``,
        ``num_frames``."""
        if not records:
            raise ValueError('no predictions to write a submission from')
        try:
            keys, complete = self._check_records(records, expected_frames)
            self._publish([r['png'] for r in records])
        except BaseException:
            shutil.rmtree(self.staging_dir, ignore_errors=True)
            raise
        counts = dict(
            num_videos=len({k[0]
                            for k in keys}),
            num_expressions=len({k[:2]
                                 for k in keys}),
            num_frames=len(records))
        checked = ('complete against the dataset' if complete else
                   'completeness not checked: no expected_frames in the '
                   'dataset meta')
        if num_filled:
            # never "complete" when some masks were not predicted
            checked = (f'every expected frame written, but {num_filled} '
                       'expressions whose query has no word were filled '
                       'with empty masks (not predicted)')
        print_log(
            f'submission ({self.layout}): {counts["num_frames"]} frames of '
            f'{counts["num_expressions"]} expressions in '
            f'{counts["num_videos"]} videos, {checked}; zip: '
            f'{self.zip_file}',
            logger='current')
        return counts

    def _check_records(
        self, records: Sequence[dict],
        expected_frames: Optional[Mapping[str, Mapping[str, Sequence[str]]]]
    ) -> Tuple[set, bool]:
        """Check the written set; return its (video, expression, frame)
        keys and whether it was checked against ``expected_frames``."""
        _check_written_once(records)
        keys = {(r['video_id'], r['exp_id'], r['frame_name']) for r in records}
        complete = expected_frames is not None
        if complete and any(r.get('run') is not None for r in records):
            print_log(
                'submission: samples carry annotation runs; the expected '
                'frame set is per run and was not checked',
                logger='current')
            complete = False
        elif complete:
            self._check_expected(keys, expected_frames)
        self._check_on_disk(records)
        return keys, complete

    def _publish(self, rel_paths: Sequence[str]) -> None:
        """Zip the staged PNGs, then put the staged folder at
        ``output_dir`` (replacing the previous run's) and the zip at
        ``zip_file``."""
        inside = osp.abspath(
            self.zip_file).startswith(osp.abspath(self.output_dir) + os.sep)
        if inside:
            zip_submission(
                self.staging_dir, rel_paths,
                osp.join(self.staging_dir,
                         osp.relpath(self.zip_file, self.output_dir)))
        elif osp.exists(self.zip_file):
            os.remove(self.zip_file)  # never beside PNGs it does not hold
        open(osp.join(self.staging_dir, SUBMISSION_MARKER), 'w').close()
        _check_replaceable(self.output_dir)
        replace_dir(self.staging_dir, self.output_dir)
        if not inside:
            zip_submission(self.output_dir, rel_paths, self.zip_file)

    def _check_expected(
            self, keys: set,
            expected_frames: Mapping[str, Mapping[str,
                                                  Sequence[str]]]) -> None:
        """Raise ``ValueError`` unless the written (video, expression, frame)
        ``keys`` are exactly the ``expected_frames``."""
        want = {(str(vid), str(exp), frame_stem(frame))
                for vid, exps in expected_frames.items()
                for exp, frames in exps.items()
                for frame in frames}
        missing = want - keys
        extra = keys - want
        if missing or extra:
            msg = [
                f'the submission in {self.output_dir} is not the '
                'dataset\'s set of frames:'
            ]
            if missing:
                msg.append(f'{len(missing)} of {len(want)} expected '
                           f'(video/expression/frame) missing, e.g. '
                           f'{_examples(missing)}')
            if extra:
                msg.append(f'{len(extra)} not expected, e.g. '
                           f'{_examples(extra)}')
            raise ValueError('; '.join(msg))

    def _check_on_disk(self, records: Sequence[dict]) -> None:
        """Raise ``FileNotFoundError`` when a recorded PNG is not on disk."""
        absent = [
            rec['png'] for rec in records if
            not osp.isfile(osp.join(self.staging_dir, *rec['png'].split('/')))
        ]
        if absent:
            raise FileNotFoundError(
                f'{len(absent)} written PNG(s) not found under '
                f'{self.staging_dir} (e.g. {absent[0]}); with several '
                'processes the output folder must be on a filesystem they '
                'all share')
