import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from mmcsted.registry import HOOKS
from mmcsted.utils.atomic_write import atomic_write_bytes, atomic_write_text

#: the mmengine storage backend name of :class:`AtomicLocalBackend`.
ATOMIC_LOCAL_BACKEND = 'mmcsted_atomic_local'


class AtomicLocalBackend(LocalBackend):
    """mmengine's local-disk backend whose writes are atomic: a kill during
    ``torch.save`` of a checkpoint leaves the previous file, never a torn
    one (mmengine's own ``put`` writes the destination in place)."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        if encoding.lower().replace('-', '') != 'utf8':
            raise ValueError(f'{type(self).__name__} writes UTF-8 only')
        atomic_write_text(obj, str(filepath))


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with every file written atomically.

    Checkpoints go through :class:`AtomicLocalBackend` (unless the config
    names another storage backend, e.g. a remote store) and the work dir's
    ``last_checkpoint`` is written to a temporary name and renamed (mmengine
    truncates it in place). All arguments are ``CheckpointHook``'s.
    """

    def __init__(self, *args, backend_args=None, out_dir=None, **kwargs):
        if backend_args is None and (out_dir is None or '://' not in out_dir):
            # registered when a runner builds the hook, not at import: the
            # package changes nothing in mmengine until it is used
            register_backend(
                ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, force=True)
            backend_args = dict(backend=ATOMIC_LOCAL_BACKEND)
        super().__init__(
            *args, backend_args=backend_args, out_dir=out_dir, **kwargs)

    def _save_checkpoint_with_step(self, runner, step, meta):
        self._forget_oldest(step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if is_main_process():
            atomic_write_text(self.last_ckpt,
                              osp.join(runner.work_dir, 'last_checkpoint'))

    def _forget_oldest(self, step: int) -> None:
        """Keep at most ``max_keep_ckpts`` checkpoints: before saving
        ``step``, delete the oldest kept one (as mmengine does)."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            oldest = self.keep_ckpt_ids.popleft()
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(oldest))
            if is_main_process():
                if self.file_backend.isfile(path):
                    self.file_backend.remove(path)
                elif self.file_backend.isdir(path):
                    self.file_backend.rmtree(path)
        self.keep_ckpt_ids.append(step)
