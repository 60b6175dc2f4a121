# Sourced by dist_*.sh and slurm_*.sh: sets PYTHON, the interpreter they run.
#   1. $PYTHON when set (e.g. PYTHON=/opt/env/bin/python bash tools/dist_train.sh ...);
#   2. `python` from PATH when an environment is active (VIRTUAL_ENV or
#      CONDA_PREFIX set): the user chose it;
#   3. the repository's .venv/bin/python (the README's install) when it exists,
#      so that the scripts work without `source .venv/bin/activate`;
#   4. `python` from PATH, else `python3` (Debian and Ubuntu have only
#      `python3` unless python-is-python3 is installed).
if [ -z "${PYTHON:-}" ]; then
    _REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -n "${VIRTUAL_ENV:-}" ] || [ -n "${CONDA_PREFIX:-}" ]; then
        PYTHON=python
    elif [ -x "$_REPO_ROOT/.venv/bin/python" ]; then
        PYTHON="$_REPO_ROOT/.venv/bin/python"
    elif command -v python >/dev/null 2>&1; then
        PYTHON=python
    elif command -v python3 >/dev/null 2>&1; then
        PYTHON=python3
    else
        echo "$(basename "$0"): no Python found: install as the README says" \
            "(.venv), activate an environment, or set PYTHON=/path/to/python" >&2
        exit 1
    fi
fi
