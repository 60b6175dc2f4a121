"""The dataset trees read through an mmengine storage backend other than the
local disk: a backend that serves the paths under a prefix that does not
exist locally from a folder written by the test, so any reader that opens,
lists or checks a file without ``mmengine.fileio`` fails."""
import os.path as osp
from contextlib import contextmanager

import numpy as np
from mmengine.fileio import LocalBackend, register_backend

from mmcsted.datasets import (JHMDBSentencesDataset, RefDAVIS17Dataset,
                              RefYouTubeVOSDataset)
from mmcsted.datasets.a2d import MASK_DIR, load_a2d_mask
from mmcsted.datasets.jhmdb_sentences import load_jhmdb_mask
from mmcsted.datasets.transforms import (LoadActorMask, SampleClipAroundFrame,
                                         VideoDecode, VideoInit)
from tests.dataset_trees import make_a2d_tree, make_jhmdb_tree
from tests.ref_davis_tree import write_ref_davis_tree
from tests.test_datasets.test_ref_youtube_vos import make_ytvos_tree

PREFIX = '/mmcsted-virtual-tree'


class PrefixMappedBackend(LocalBackend):
    """The local files of ``root`` served under :data:`PREFIX`; a path
    outside the prefix is an error (it was not meant for this backend)."""

    def __init__(self, root: str, **kwargs):
        super().__init__(**kwargs)
        self.root = root

    def _map(self, path) -> str:
        path = str(path)
        assert path.startswith(PREFIX), path
        return self.root + path[len(PREFIX):]

    def get(self, filepath):
        return super().get(self._map(filepath))

    def get_text(self, filepath, encoding='utf-8'):
        return super().get_text(self._map(filepath), encoding)

    def exists(self, filepath):
        return super().exists(self._map(filepath))

    def isdir(self, filepath):
        return super().isdir(self._map(filepath))

    def isfile(self, filepath):
        return super().isfile(self._map(filepath))

    @contextmanager
    def get_local_path(self, filepath):
        yield self._map(filepath)

    def list_dir_or_file(self, dir_path, *args, **kwargs):
        return super().list_dir_or_file(self._map(dir_path), *args, **kwargs)


register_backend('mmcsted_test_prefix', PrefixMappedBackend, force=True)


def _backend(root) -> dict:
    assert not osp.exists(PREFIX)
    return dict(backend='mmcsted_test_prefix', root=str(root))


def _load(ds, idx, backend_args):
    """Sample ``idx`` of ``ds`` through the loading transforms."""
    results = ds.get_data_info(idx)
    for t in (VideoInit(backend_args=backend_args),
              SampleClipAroundFrame(clip_len=2),
              VideoDecode(on_error='raise', backend_args=backend_args),
              LoadActorMask(on_error='raise', backend_args=backend_args)):
        results = t(results)
    return results


def test_ref_youtube_vos_through_a_storage_backend(tmp_path):
    make_ytvos_tree(tmp_path, missing_video=False)
    args = _backend(tmp_path)
    ds = RefYouTubeVOSDataset(PREFIX, split='train', backend_args=args)
    local = RefYouTubeVOSDataset(str(tmp_path), split='train')
    assert len(ds) == len(local) == 15
    results = _load(ds, 6, args)
    assert results['frame_dir'].startswith(PREFIX)
    want = _load(local, 6, None)
    np.testing.assert_array_equal(results['gt_sem_seg'], want['gt_sem_seg'])
    np.testing.assert_array_equal(results['imgs'][0], want['imgs'][0])
    assert results['gt_sem_seg'].sum() > 0


def test_ref_davis_through_a_storage_backend(tmp_path):
    write_ref_davis_tree(tmp_path)
    args = _backend(tmp_path)
    ds = RefDAVIS17Dataset(PREFIX, backend_args=args)
    local = RefDAVIS17Dataset(str(tmp_path))
    assert len(ds) == len(local) and ds.skipped == local.skipped
    results = _load(ds, 0, args)
    want = _load(local, 0, None)
    np.testing.assert_array_equal(results['gt_sem_seg'], want['gt_sem_seg'])
    np.testing.assert_array_equal(results['void_mask'], want['void_mask'])


def test_jhmdb_through_a_storage_backend(tmp_path):
    make_jhmdb_tree(str(tmp_path))
    args = _backend(tmp_path)
    ds = JHMDBSentencesDataset(PREFIX, progress=False, backend_args=args)
    local = JHMDBSentencesDataset(str(tmp_path), progress=False)
    assert len(ds) == len(local) and ds.skipped == local.skipped
    results = _load(ds, 4, args)
    want = _load(local, 4, None)
    np.testing.assert_array_equal(results['gt_sem_seg'], want['gt_sem_seg'])
    np.testing.assert_array_equal(results['imgs'][1], want['imgs'][1])


def test_a2d_and_jhmdb_masks_through_a_storage_backend(tmp_path):
    make_a2d_tree(str(tmp_path / 'a2d'))
    make_jhmdb_tree(str(tmp_path / 'jhmdb'))
    args = _backend(tmp_path)
    h5 = osp.join('a2d', MASK_DIR, 'vidTrain_02', '00007.h5')
    np.testing.assert_array_equal(
        load_a2d_mask(osp.join(PREFIX, h5), 1, args),
        load_a2d_mask(str(tmp_path / h5), 1))
    mat = osp.join('jhmdb', 'puppet_mask', 'walk', 'vidB_walk',
                   'puppet_mask.mat')
    np.testing.assert_array_equal(
        load_jhmdb_mask(osp.join(PREFIX, mat), 2, args),
        load_jhmdb_mask(str(tmp_path / mat), 2))
    results = LoadActorMask(
        on_error='raise', backend_args=args)(
            dict(
                mask_file=osp.join(PREFIX, mat),
                mask_format='jhmdb_mat',
                frame_id=2))
    assert results['gt_sem_seg'].sum() > 0
