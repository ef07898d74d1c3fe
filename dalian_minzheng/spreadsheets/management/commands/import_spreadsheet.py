"""python manage.py import_spreadsheet KIND FILE --division CODE [--commit] [--user NAME] [--sheet NAME]

The engine of the import pages, from the shell: checks the file (and with --commit writes it) and prints the same
report. Runs in this process (no worker needed). The job is kept, with the file, like an upload from the page.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from dalian_minzheng.accounts.models import Role, User
from dalian_minzheng.people.models import Division
from dalian_minzheng.spreadsheets import engine
from dalian_minzheng.spreadsheets.models import ImportJob, ImportStatus
from dalian_minzheng.spreadsheets.registry import all_kinds, get_kind


def format_report(job: ImportJob, limit: int | None = None) -> str:
    lines = [
        f"导入任务 #{job.pk}  {job.original_name}  [{job.get_status_display()}]",
    ]
    if job.error_message:
        lines.append(f"错误：{job.error_message}")
    if job.status in (ImportStatus.VALIDATED, ImportStatus.COMMITTED):
        lines.append(
            f"共 {job.total_rows} 行：新增 {job.new_count}，更新 {job.updated_count}，"
            f"无变化 {job.unchanged_count}，拒绝 {job.rejected_count}"
        )
        errors = job.errors.all()
        if limit:
            errors = errors[:limit]
        for error in errors:
            lines.append(f"  第 {error.row_number} 行 [{error.column}] {error.value}：{error.reason}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Import a spreadsheet with the same engine and report as the import pages."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="import kind: " + ", ".join(k.key for k in all_kinds()))
        parser.add_argument("file", type=Path)
        parser.add_argument("--division", required=True, help="the importer's division code, e.g. 210202")
        parser.add_argument("--commit", action="store_true", help="write the valid rows (default: check only)")
        parser.add_argument("--user", help="username recorded as uploader (default: a city or district admin)")
        parser.add_argument("--sheet", default="", help="worksheet name (default: the first with a matching header)")

    def handle(self, *args, **options):
        translation.activate("zh-hans")
        try:
            kind = get_kind(options["kind"])
        except KeyError:
            raise CommandError(f"unknown kind {options['kind']!r}") from None
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        try:
            division = Division.objects.get(code=options["division"])
        except Division.DoesNotExist:
            raise CommandError(f"unknown division {options['division']!r}") from None
        user = self._user(options.get("user"), division)
        job = ImportJob(
            kind=kind.key,
            original_name=path.name,
            uploaded_by=user,
            division=division,
            sheet_name=options["sheet"],
        )
        with open(path, "rb") as fh:
            job.file.save(os.path.basename(path), File(fh), save=False)
        job.save()
        job = engine.validate_job(job.pk)
        if options["commit"] and job.status == ImportStatus.VALIDATED:
            ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
            job = engine.commit_job(job.pk)
        self.stdout.write(format_report(job))
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.error_message)

    def _user(self, username: str | None, division: Division) -> User:
        if username:
            try:
                return User.objects.get(username=username)
            except User.DoesNotExist:
                raise CommandError(f"unknown user {username!r}") from None
        # The importer's scope is the division given; the uploader is a district admin of it, or the city admin.
        user = (
            User.objects.filter(role=Role.DISTRICT_ADMIN, division=division).first()
            or User.objects.filter(role=Role.CITY_ADMIN).first()
            or User.objects.filter(is_superuser=True).first()
        )
        if user is None:
            raise CommandError("no administrator exists to record as the uploader; pass --user")
        return user
