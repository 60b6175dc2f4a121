"""Convert the authors' CSTM CSTED checkpoint into an mmcsted checkpoint.

The authors (RyanHTR/CSTM, link in its README) released ``checkpoint.pth.tar``:
``dict(state_dict=..., epoch=...)`` of their ``CSTMModel`` (R50 +
Inception-I3D, CSTM CMAM, one GRU, the CSTM decoder; keys may carry
DataParallel's ``module.``). This tool maps every tensor onto
``configs/csted/csted_r50_i3d_a2d_cstm.py`` and adds what CSTM read
from GloVe at test time: the 300-d GloVe vectors of a vocabulary, stored in the
checkpoint (tensors only), so that no GloVe file is needed afterwards::

    python tools/model_converters/cstm_to_mmcsted.py \\
        checkpoint.pth.tar checkpoints/csted_r50_i3d_cstm.pth \\
        --glove data/glove/glove.840B.300d.zip [--vocab words.txt ...]

The vocabulary defaults to the words of the A2D Sentences queries shipped with
mmcsted (``mmcsted/models/text_encoders/vocabularies/a2d_sentences.txt``);
``--vocab FILE`` (one word a line, repeatable) replaces it, e.g. with the file
that ``tools/data/jhmdb_sentences/prepare.py`` writes for J-HMDB Sentences. A
word outside the vocabulary, like a word outside GloVe in CSTM, is a
zero vector. The source is read with ``weights_only=True``; a key that cannot
be placed is an error naming it, and the result is loaded into the release
config with ``strict=True`` before it is written.
"""
import argparse
import os.path as osp
import pickle
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_VOCAB = osp.join(REPO, 'mmcsted', 'models', 'text_encoders',
                         'vocabularies', 'a2d_sentences.txt')
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'csted',
                          'csted_r50_i3d_a2d_cstm.py')

# Release spatial stages (s_layer1..5 of torchvision's ResNet-50) -> the
# sub-modules of mmpretrain's ResNet-50 (same parameter names as torchvision).
_SPATIAL = {
    's_layer1.0.': 'conv1.',
    's_layer1.1.': 'bn1.',
    's_layer2.1.': 'layer1.',  # s_layer2.0 is the max pool
    's_layer3.': 'layer2.',
    's_layer4.': 'layer3.',
    's_layer5.': 'layer4.',
}
_T_LAYER = re.compile(r'^t_layer([1-5])\.(\d+)\.(.*)$')
_CMAM = re.compile(r'^cmam_([st])\.([0-4])\.(.*)$')
_TEXT = {
    'txt_encoder.weight_ih_l0': 'text_encoder.gru.weight_ih_l0',
    'txt_encoder.weight_hh_l0': 'text_encoder.gru.weight_hh_l0',
    'txt_norm.0.weight': 'text_encoder.norm.weight',
    'txt_norm.0.bias': 'text_encoder.norm.bias',
}


def cstm_key_to_mmcsted(key: str) -> Optional[str]:
    """The mmcsted key of one release key (``module.`` already removed), or
    None if it belongs nowhere."""
    from mmcsted.models.backbones.inception_i3d import InceptionI3D
    from mmcsted.models.heads.cstm_head import convert_cstm_key
    from mmcsted.models.necks.cmam import convert_cstm_cmam_key
    m = _T_LAYER.match(key)
    if m:
        stage, index, rest = int(m.group(1)), int(m.group(2)), m.group(3)
        names = InceptionI3D.stage_names[stage - 1]
        if index >= len(names):
            return None
        return f'temporal_encoder.backbone.backbone.{names[index]}.{rest}'
    for prefix, ours in _SPATIAL.items():
        if key.startswith(prefix):
            return 'spatial_encoder.backbone.backbone.' + ours + \
                key[len(prefix):]
    m = _CMAM.match(key)
    if m:
        branch = 'spatial' if m.group(1) == 's' else 'temporal'
        rest = convert_cstm_cmam_key(m.group(3))
        if rest is None:
            return None
        return f'{branch}_encoder.cmams.{int(m.group(2)) + 1}.{rest}'
    if key in _TEXT:
        return _TEXT[key]
    head = convert_cstm_key(key)
    return None if head is None else 'decode_head.' + head


def convert_state_dict(
    state: Dict[str,
                torch.Tensor]) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """(mmcsted state dict, release keys that could not be placed)."""
    out, unplaced = {}, []
    for key, value in state.items():
        bare = key[len('module.'):] if key.startswith('module.') else key
        new = cstm_key_to_mmcsted(bare)
        if new is None:
            unplaced.append(key)
        elif new in out:
            raise ValueError(f'two release keys map to {new} (the second '
                             f'is {key})')
        else:
            out[new] = value
    return out, unplaced


def read_vocab(paths: Sequence[str]) -> List[str]:
    """The words of the vocabulary files (one a line; blank lines skipped),
    first occurrence order, duplicates dropped."""
    words = {}
    for path in paths:
        with open(path, encoding='utf-8') as f:
            for line in f:
                word = line.rstrip('\n').rstrip('\r')
                if word.strip():
                    words.setdefault(word, None)
    if not words:
        raise ValueError(f'no word in the vocabulary files {list(paths)}')
    return list(words)


def build_model(config: str):
    from mmengine.config import Config

    from mmcsted.registry import MODELS
    from mmcsted.utils import register_all_modules
    register_all_modules()
    return MODELS.build(Config.fromfile(config).model)


def fill_batch_counters(state: Dict[str, torch.Tensor],
                        own: Dict[str, torch.Tensor]) -> List[str]:
    """Checkpoints saved before PyTorch 0.4.1 have no BN
    ``num_batches_tracked``; they only matter for BN momentum=None. Add zeros
    for the missing ones and return their names."""
    added = []
    for key, value in own.items():
        if key.endswith('num_batches_tracked') and key not in state:
            state[key] = torch.zeros_like(value)
            added.append(key)
    return added


def _read_cstm(src: str):
    """The CSTM checkpoint, its state dict, and that converted."""
    from mmcsted.utils.checkpoint import load_local
    checkpoint = load_local(src, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'{src}: no state_dict of tensors found')
    converted, unplaced = convert_state_dict(state)
    if unplaced:
        raise KeyError(
            f'{src}: {len(unplaced)} keys match no part of the CSTM model, '
            f'e.g. {unplaced[:5]}; is this the CSTM checkpoint?')
    return checkpoint, state, converted


def _glove_table(glove: str, words: List[str]):
    """The GloVe vectors found for ``words`` and the (words, 300) table
    (zeros for a word GloVe lacks)."""
    from mmcsted.models.text_encoders.glove_gru_text_encoder import \
        load_glove_vectors
    vectors, dim = load_glove_vectors(glove, words)
    if dim != 300:
        raise ValueError(f'{glove}: {dim}-d vectors, the release reads 300-d')
    table = torch.zeros(len(words), dim)
    for i, word in enumerate(words):
        if word in vectors:
            table[i] = vectors[word]
    return vectors, table


def _load_converted(model, converted: Dict[str, torch.Tensor],
                    config: str) -> List[str]:
    """Load ``converted`` into ``model``, every tensor placed and given;
    returns the BN counters that had to be filled in."""
    own = model.state_dict()
    filled = fill_batch_counters(converted, own)
    # strict: every CSTM tensor placed, every mmcsted tensor given
    result = model.load_state_dict(converted, strict=False)
    missing = [k for k in result.missing_keys]
    if missing or result.unexpected_keys:
        raise KeyError(
            f'the converted weights do not fit {config}: missing '
            f'{missing[:10]}, unexpected {result.unexpected_keys[:10]}')
    mismatched = [
        k for k, v in converted.items() if k in own and own[k].shape != v.shape
        and not k.startswith('text_encoder.')
    ]
    if mismatched:
        raise ValueError(f'shape mismatch for {mismatched[:10]}')
    return filled


def convert(src: str,
            dst: str,
            glove: str,
            vocab_files: Optional[Sequence[str]] = None,
            config: str = DEFAULT_CONFIG) -> Dict:
    """Convert ``src`` into ``dst``; returns a report dict."""
    checkpoint, state, converted = _read_cstm(src)
    words = read_vocab(vocab_files or [DEFAULT_VOCAB])
    vectors, table = _glove_table(glove, words)

    model = build_model(config)
    text_encoder = model.text_encoder
    converted['text_encoder.vocab_buffer'] = text_encoder.encode_vocab(words)
    converted['text_encoder.word_vectors'] = table
    filled = _load_converted(model, converted, config)

    report = dict(
        source=osp.basename(src),
        epoch=int(checkpoint.get('epoch', -1)) if isinstance(
            checkpoint.get('epoch', -1), int) else -1,
        tensors=len(state),
        vocabulary=len(words),
        glove_found=len(vectors),
        glove_file=osp.basename(glove),
        filled_num_batches_tracked=len(filled))
    from mmcsted.utils.atomic_write import atomic_write

    # a kill while converting over an earlier file leaves that file whole
    with atomic_write(dst) as f:
        torch.save(
            dict(
                state_dict=model.state_dict(),
                meta=dict(
                    converted_from=report['source'],
                    cstm_epoch=report['epoch'],
                    glove_file=report['glove_file'],
                    vocabulary=report['vocabulary'],
                    glove_found=report['glove_found'])), f)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="the authors' checkpoint.pth.tar")
    parser.add_argument('dst', help='the mmcsted checkpoint to write')
    parser.add_argument(
        '--glove', required=True, help='glove.840B.300d.txt or .zip')
    parser.add_argument(
        '--vocab',
        action='append',
        help='vocabulary file (one word a line); repeatable; '
        'default: the A2D Sentences query words')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='the CSTM config the result must load into')
    args = parser.parse_args(argv)
    try:
        report = convert(args.src, args.dst, args.glove, args.vocab,
                         args.config)
    except (KeyError, ValueError, FileNotFoundError, RuntimeError,
            pickle.UnpicklingError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'{report["source"]} (epoch {report["epoch"]}): '
          f'{report["tensors"]} tensors converted; vocabulary '
          f'{report["vocabulary"]} words, {report["glove_found"]} found in '
          f'{report["glove_file"]} '
          f'({100. * report["glove_found"] / report["vocabulary"]:.1f} %), '
          'the others are zero vectors as in CSTM')
    if report['filled_num_batches_tracked']:
        print(f'{report["filled_num_batches_tracked"]} BN num_batches_tracked '
              'counters absent from the source were set to 0')
    print(f'wrote {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
