"""Build hook: put the configs, tools and model index into ``mmcsted/.mim``.

openmim (``mim train/test/download mmcsted ...``) and
``mmcsted.apis.model_zoo`` look for them in ``<package>/.mim``, as for the
other OpenMMLab packages (mmengine 0.10.7's ``scope::`` config paths do not:
they know only the packages of its own ``MODULE2PACKAGE`` table). A wheel
or sdist gets copies; an editable install gets symbolic links to the
checkout, so edits show at once. Everything else is declared in setup.cfg.
"""
import os
import os.path as osp
import shutil
import sys
from setuptools import setup

MIM_FILES = ('configs', 'tools', 'model-index.yml')


def populate_mim_folder():
    here = osp.dirname(osp.abspath(__file__))
    mim_dir = osp.join(here, 'mmcsted', '.mim')
    editable = any(arg in sys.argv for arg in ('develop', 'editable_wheel'))
    if not editable and not any(
            arg in sys.argv
            for arg in ('bdist_wheel', 'sdist', 'build', 'build_py')):
        return  # e.g. `egg_info` alone: nothing is packaged
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(here, name)
        if not osp.exists(src):
            continue  # building from an sdist: the copies are already there
        dst = osp.join(mim_dir, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    populate_mim_folder()
    setup()
