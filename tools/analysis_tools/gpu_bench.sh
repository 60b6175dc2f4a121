#!/usr/bin/env bash
# The GPU figures of docs/benchmark.md in one run, from the repository root, on a
# GPU machine without internet: bring the wheels mmcsted needs in .devcarry/wheels
# (git-ignored), made on a machine that has internet for the GPU machine's Python
# (here 3.12, with torch, torchvision, opencv, scipy already installed):
#   pip download -d .devcarry/wheels --no-deps --only-binary=:all: \
#     --python-version 3.12 --platform manylinux2014_x86_64 --platform any \
#     mmengine==0.10.7 mmcv-lite==2.0.1 mmaction2==1.1.0 mmpretrain==1.2.0 \
#     mmsegmentation==1.2.2 addict yapf termcolor platformdirs \
#     importlib_metadata==8.7.0 model-index ordered-set mat4py decord==0.6.0 \
#     ftfy wcwidth prettytable
# and, for a before/after comparison
# in the same run, an older checkout's mmcsted/ and tools/analysis_tools/ in
# $BEFORE (e.g. `git archive OLD mmcsted tools/analysis_tools | tar -x -C
# .devcarry/base`). Everything goes to $OUT/gpu_bench.txt, most important first,
# so that a run stopped at its time limit still returns the headline figures.
set -u
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp}/gpu_bench.txt
cfg=${CONFIG:-configs/csted/csted_iv3_i3d_a2d.py}
before=${BEFORE:-}
site=/tmp/mmcsted_site
if [ -d .devcarry/wheels ]; then
  python3 -m pip install -q --no-deps --no-compile --target $site \
    .devcarry/wheels/*.whl >"$out.install" 2>&1 || tail "$out.install"
fi
noise='torch.Size|mmengine - (INFO|WARNING)|Init: |^(Initialized|The value)|^ *$|[Ww]arning|warnings.warn|commaStrip|periodStrip'
bench() {  # label, code root, flags...: the model and its backbones, batch 8
  local label=$1 root=$2; shift 2
  echo "## $label: benchmark.py $*"
  PYTHONPATH=$root:$site timeout 120 python3 $root/tools/analysis_tools/benchmark.py \
    "$cfg" --batch-size 8 --shape 8 320 320 --device cuda --cudnn-benchmark \
    --warmup 5 --iters 20 "$@" 2>&1 | grep -vE "$noise" | tail -n 90
}
video() {  # label, code root, flags...: whole-video inference, 1280 x 720 x 300
  local label=$1 root=$2; shift 2
  echo "## $label: benchmark_video.py $*"
  PYTHONPATH=$root:$site timeout 120 python3 $root/tools/analysis_tools/benchmark_video.py \
    "$cfg" --synthetic 720 1280 300 --input-size 320 --device cuda "$@" 2>&1 \
    | grep -vE "$noise" | tail -n 20
}
fast='--amp --bf16-weights --fuse-conv-bn --channels-last'
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  echo "commit ${COMMIT:-unknown}"
  PYTHONPATH=$site python3 -c "import torch; print('torch', torch.__version__, 'cudnn', torch.backends.cudnn.version())"
  bench after-fast-graph "$PWD" $fast --cuda-graph --infer-only
  bench after-fp32 "$PWD"
  [ -n "$before" ] && bench before-fp32 "$before"
  video after-fast "$PWD" --bf16 --fuse-conv-bn --channels-last
  [ -n "$before" ] && video before-fp32 "$before"
  bench after-bf16-autocast "$PWD" --amp --profile
  bench after-fp32-fused-graph "$PWD" --fuse-conv-bn --cuda-graph --infer-only
  bench after-fast "$PWD" $fast --infer-only --profile
  [ -n "$before" ] && bench before-bf16 "$before" --amp
  video after-fp32 "$PWD"
} 2>&1 | tee "$out"
