"""Prepare an A2D Sentences tree for training and testing.

    python tools/data/a2d_sentences/prepare.py data/a2d [--extract-frames]

Steps (each with a progress bar, each resumable: re-running skips what is
done):

1. check the tree (tools/data/a2d_sentences/check_tree.py);
2. optionally extract every video with sentences to
   ``Release/frames/<vid>/<frame:05d>.jpg`` (a video's folder appears only
   once complete);
3. read the ~15k mask files once into the mask index cache
   (``<data_root>/mmcsted_cache/a2d_mask_index.json``, saved every 200
   videos), from which the train/test sample lists are derived;
4. build both sample lists, print their counts, and write ``vocab.json``
   (the words of the TRAIN split's queries) into the data root.
"""
import argparse
import os.path as osp
import sys
import time

# run as a script: the folder holding tools/ (a checkout, or an installed
# mmcsted/.mim) goes on the path for the modules tools share (tools.data.*)
if __name__ == '__main__':
    sys.path.insert(0, osp.abspath(__file__ + '/../../../..'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data_root')
    p.add_argument(
        '--extract-frames',
        action='store_true',
        help='decode the mp4s to JPEG frames (Release/frames/)')
    p.add_argument('--jpeg-quality', type=int, default=95)
    p.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes for frame extraction')
    p.add_argument(
        '--cache-dir',
        default=None,
        help='where the mask index goes (default '
        '<data_root>/mmcsted_cache)')
    p.add_argument(
        '--vocab-out',
        default=None,
        help='vocabulary path (default <data_root>/vocab.json)')
    p.add_argument(
        '--force',
        action='store_true',
        help='go on although the check found missing files '
        '(their samples are skipped)')
    return p.parse_args(argv)


def extract_frames(root, vids, quality=95, workers=1):
    """Decode the videos to ``Release/frames`` (decord, PyAV fallback); see
    ``extract_frames.py`` for the authors' OpenCV ``frames_cv2`` layout."""
    from tools.data.a2d_sentences.frames import extract_a2d_frames
    return extract_a2d_frames(
        root, vids, jpeg_quality=quality, workers=workers)


def _used_videos(root: str) -> list:
    """The annotated videos of CSTM that are in the video set and not
    in the missed list, in annotation order."""
    from mmcsted.datasets import a2d
    videos = a2d.read_videoset(osp.join(root, a2d.VIDEOSET_FILE))
    rows = a2d.read_a2d_annotations(osp.join(root, a2d.ANNOTATION_FILE))
    missed = a2d.read_missed_videos(osp.join(root, a2d.MISSED_FILE))
    return [
        v for v in dict.fromkeys(r.video_id for r in rows)
        if v in videos and v not in missed
    ]


def _split_queries(root: str, cache_dir, force: bool) -> dict:
    """{split: [(video_id, instance_id, query), ...]} of the train and test
    sample lists (printed); an empty list for a split that cannot be built
    with ``force``."""
    from mmcsted.datasets import A2DSentencesDataset
    on_missing = 'skip' if force else 'error'
    samples = {}
    for split in ('train', 'test'):
        try:
            ds = A2DSentencesDataset(
                root,
                split=split,
                cache_dir=cache_dir,
                on_missing=on_missing,
                test_mode=split == 'test')
        except ValueError as e:  # e.g. an empty split with --force
            print(f'{split}: {e}')
            samples[split] = []
            continue
        items = [ds.get_data_info(i) for i in range(len(ds))]
        queries = list(
            dict.fromkeys(
                (d['video_id'], d['instance_id'], d['query']) for d in items))
        samples[split] = queries
        print(f'{split}: {len(items)} samples, '
              f'{len({d["video_id"] for d in items})} videos, '
              f'{len(queries)} queries')
    return samples


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmcsted.datasets import a2d
    from mmcsted.text import WordVocabulary
    from mmcsted.utils.atomic_write import atomic_write_text
    from tools.data.tree_check import check_a2d_tree, passes_check
    root = args.data_root
    t0 = time.perf_counter()

    print('[1/4] checking the tree')
    report = check_a2d_tree(root, cache_dir=args.cache_dir)
    if not passes_check(report, args.force):
        return 1

    used = _used_videos(root)
    if args.extract_frames:
        print('[2/4] extracting frames')
        failed = extract_frames(root, used, args.jpeg_quality, args.workers)
        if failed and not args.force:
            return 1
    else:
        print('[2/4] frame extraction not asked (--extract-frames)')

    print('[3/4] indexing mask files')
    index = a2d.A2DMaskIndex(root, args.cache_dir)
    n = index.update(
        [v for v in used if osp.isdir(osp.join(root, a2d.MASK_DIR, v))])
    print(f'mask index: {n} videos read now, {len(used) - n} from the cache '
          f'({index.cache_file})')

    print('[4/4] building the sample lists')
    samples = _split_queries(root, args.cache_dir, args.force)
    train_queries = [q for (_, _, q) in samples['train']]
    vocab = WordVocabulary.build(train_queries)
    vocab_out = args.vocab_out or osp.join(root, 'vocab.json')
    atomic_write_text(vocab.to_json(), vocab_out)
    print(f'vocabulary: {len(vocab)} words (train split) -> {vocab_out}')
    print(f'done in {time.perf_counter() - t0:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
