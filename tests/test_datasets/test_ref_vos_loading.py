"""The loading layer on listed frames (``frame_names``) and the masks of the
referring-VOS releases: object-id PNGs (Ref-YouTube-VOS, DAVIS with void)
and COCO RLEs with nulls (MeViS)."""
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmcsted.datasets.base import read_index_png_sample, union_of_rles
from mmcsted.datasets.transforms import (DataLoadError, LoadActorMask,
                                         PackActorSegInputs, VideoDecode,
                                         VideoInit)

PALETTE = [0, 0, 0, 236, 95, 103, 249, 145, 87] + [7] * (256 * 3 - 9)


def _palette_png(path, ids):
    img = Image.fromarray(ids.astype(np.uint8), 'P')
    img.putpalette(PALETTE)
    img.save(path)


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')  # as json stores it
    return rle


def test_palette_png_reads_indices_not_colours(tmp_path):
    ids = np.zeros((4, 6), np.uint8)
    ids[0, :3] = 1
    ids[2, :] = 2
    ids[3, 5] = 255
    _palette_png(tmp_path / 'm.png', ids)
    path = str(tmp_path / 'm.png')
    one, void = read_index_png_sample(
        dict(mask_file=path, object_ids=[1]), None)
    assert one.sum() == 3 and one.dtype == np.uint8 and void is None
    both, void = read_index_png_sample(
        dict(mask_file=path, object_ids=[1, 2], void_label=255), None)
    assert both.sum() == 9 and void.sum() == 1 and void[3, 5] == 1
    assert void.dtype == np.uint8
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / 'rgb.png')
    with pytest.raises(ValueError, match='expected an object-id PNG'):
        read_index_png_sample(
            dict(mask_file=str(tmp_path / 'rgb.png'), object_ids=[1]), None)


def test_union_of_rles_with_null_frames():
    a = np.zeros((5, 7), bool)
    a[1, 1:4] = True
    b = np.zeros((5, 7), bool)
    b[3, 2:6] = True
    np.testing.assert_array_equal(
        union_of_rles([_rle(a), None, _rle(b)]), (a | b).astype(np.uint8))
    # an expression whose objects are all absent: an empty target
    assert union_of_rles([None, None], (5, 7)).sum() == 0
    with pytest.raises(ValueError, match='frame size is unknown'):
        union_of_rles([None])
    # uncompressed RLE (a list of counts), as some tools write
    raw = dict(size=[5, 7], counts=[6, 3, 26])
    assert union_of_rles([raw]).sum() == 3


def test_listed_frames_decode_and_load_the_target_frame_mask(tmp_path):
    frames = tmp_path / 'JPEGImages' / 'v1'
    frames.mkdir(parents=True)
    names = ['00000.jpg', '00005.jpg', '00010.jpg']
    for k, name in enumerate(names):
        Image.fromarray(np.full((8, 10, 3), 40 * k, np.uint8)).save(
            frames / name, quality=100)
    ids = np.zeros((8, 10), np.uint8)
    ids[2:4, 2:5] = 3
    _palette_png(tmp_path / '00005.png', ids)
    results = dict(
        frame_dir=str(frames),
        frame_names=names,
        frame_id=2,
        frame_inds=[1, 2, 3, 3],
        mask_format='index_png',
        mask_file=str(tmp_path / '00005.png'),
        object_ids=[3],
        query='the cat',
        video_id='v1',
        exp_id='0',
        frame_name='00005',
        test_mode=True)
    results = VideoInit()(results)
    assert results['num_frames'] == 3
    results = VideoDecode()(results)
    assert [int(i.mean()) for i in results['imgs']] == [0, 40, 80, 80]
    results = LoadActorMask()(results)
    assert results['gt_sem_seg'].sum() == 6
    packed = PackActorSegInputs()(results)
    ds = packed['data_samples']
    assert ds.exp_id == '0' and ds.frame_name == '00005'
    assert ds.object_ids == [3]


def test_a_listed_frame_that_is_missing_is_named(tmp_path):
    (tmp_path / 'v').mkdir()
    Image.fromarray(np.zeros((4, 4, 3),
                             np.uint8)).save(tmp_path / 'v' / '00000.jpg')
    results = dict(
        frame_dir=str(tmp_path / 'v'),
        frame_names=['00000.jpg', '00005.jpg'],
        frame_id=1,
        frame_inds=[1, 2],
        video_id='v',
        test_mode=True)
    results = VideoInit()(results)
    with pytest.raises(DataLoadError, match='00005.jpg'):
        VideoDecode()(results)


def test_void_mask_is_packed_and_rle_target_takes_the_frame_size(tmp_path):
    ids = np.zeros((4, 5), np.uint8)
    ids[0, 0] = 255
    ids[1, 1] = 1
    _palette_png(tmp_path / 'a.png', ids)
    results = dict(
        imgs=[np.zeros((4, 5, 3), np.uint8)],
        ori_shape=(4, 5),
        img_shape=(4, 5),
        mask_format='index_png',
        mask_file=str(tmp_path / 'a.png'),
        object_ids=[1],
        void_label=255,
        query='q',
        video_id='v',
        frame_id=1)
    packed = PackActorSegInputs()(LoadActorMask()(results))
    assert packed['data_samples'].void_mask.data.sum() == 1
    results = dict(
        ori_shape=(4, 5),
        mask_format='coco_rle',
        mask_rles=[None],
        video_id='v',
        frame_id=1)
    assert LoadActorMask()(results)['gt_sem_seg'].shape == (4, 5)


def test_a_missing_png_follows_the_error_policy(tmp_path):
    results = dict(
        mask_format='index_png',
        mask_file=str(tmp_path / 'none.png'),
        object_ids=[1],
        video_id='v',
        frame_id=3,
        test_mode=False)
    assert LoadActorMask()(results) is None  # training: a counted skip
    with pytest.raises(DataLoadError, match='none.png'):
        LoadActorMask()(dict(results, test_mode=True))


def test_a_split_without_ground_truth_passes_through():
    results = dict(mask_format='none', video_id='v', frame_id=1)
    out = LoadActorMask()(dict(results))
    assert out == results and 'gt_sem_seg' not in out
