"""Reads of import jobs, scoped: a district admin sees the jobs of their district, city admin and auditor all."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from dalian_minzheng.accounts.scope import scoped
from dalian_minzheng.spreadsheets.models import ExportJob, ImportJob


def import_job_list(*, user) -> QuerySet[ImportJob]:
    return scoped(ImportJob.objects.all(), user).select_related("uploaded_by", "division")


def import_job_get(*, user, pk: int) -> ImportJob:
    return get_object_or_404(import_job_list(user=user), pk=pk)


def export_job_list(*, user) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(requested_by=user).order_by("-created_at")


def export_job_get(*, user, token) -> ExportJob:
    """Only the requester ever reaches an export job (and its file)."""
    return get_object_or_404(ExportJob.objects.filter(requested_by=user), token=token)
