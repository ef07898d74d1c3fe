"""Kernel tables shared by the apps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobHeartbeat(models.Model):
    """A background job in a worker right now (see core/jobs.py): which task with which arguments, where, since
    when, and when it last said it was alive. The row lives beside the job's own row, not in it, because the job's
    transaction locks its own row (select_for_update) and a heartbeat there would wait behind it; here nothing but
    the heartbeat and the sweeper ever writes. Not audited: operational state, deleted when the job ends."""

    kind = models.CharField(_("job kind"), max_length=32)
    key = models.CharField(_("job"), max_length=100)
    task = models.CharField(_("task"), max_length=100)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started at"))
    heartbeat_at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        verbose_name = _("running job")
        verbose_name_plural = _("running jobs")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="jobheartbeat_kind_key")]
        indexes = [models.Index(fields=["heartbeat_at"], name="jobheartbeat_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
