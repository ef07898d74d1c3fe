"""Squash the project's migrations into one (or, where apps reference each other in a cycle, two) per app.

Why not `manage.py squashmigrations`: a fresh database spent ~50 s of CPU rendering migration states, because every
AddField / AlterField / AddTrigger / AddIndex reloads the models related to it (the audit event models point at
persons, divisions and users, so each reload renders dozens of models). This script regenerates each app's
migrations from the current models with makemigrations, folds every AddTrigger / AddIndex / AddConstraint into its
CreateModel (pgtrigger's schema editor creates `Meta.triggers` with the table), keeps the hand-written operations
(`KEEP`), and marks the result `replaces=` the old files, which stay until every installation has migrated past them.

    DATABASE_URL=... .venv/bin/python scripts/squash_migrations.py     # then check: makemigrations --check, the
                                                                        # schema diff (README: migrations)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# app label -> migrations folder (only the project's own apps)
APPS = {
    "people": "dalian_minzheng/people/migrations",
    "accounts": "dalian_minzheng/accounts/migrations",
    "audit": "dalian_minzheng/audit/migrations",
    "spreadsheets": "dalian_minzheng/spreadsheets/migrations",
    "assistance": "assistance/migrations",
    "checks": "assistance/checks/migrations",
    "raises": "assistance/raises/migrations",
    "petitions": "assistance/petitions/migrations",
}


def kept_operations() -> dict:
    """The hand-written operations of the old migrations, appended to each app's last squashed file."""
    from django.db import migrations

    from assistance.notifications import create_default_texts

    return {
        # assistance 0007: the default notice texts, from then on the city admin's to edit
        "assistance": [migrations.RunPython(create_default_texts, migrations.RunPython.noop)],
        # raises 0003: half of every case page free, so a raise's updates are HOT (see that migration's docstring)
        "raises": [
            migrations.RunSQL(
                "ALTER TABLE assistance_case SET (fillfactor = 50)",
                reverse_sql="ALTER TABLE assistance_case RESET (fillfactor)",
            )
        ],
    }


def _fold_fields(operations, label, CreateModel, AddField):  # noqa: N803 (the operation classes)
    """Every AddField into its CreateModel, the CreateModels ordered so that a model comes after the models of this
    app it points at (the schema editor needs the target table's name). A field in a cycle stays an AddField."""
    creates = {op.name_lower: op for op in operations if isinstance(op, CreateModel)}
    later, rest = [], []
    for op in operations:
        if isinstance(op, AddField) and op.model_name_lower in creates:
            creates[op.model_name_lower].fields.append((op.name, op.field))
        elif not isinstance(op, CreateModel):
            rest.append(op)

    def targets(create):
        found = set()
        for _name, field in create.fields:
            model = getattr(getattr(field, "remote_field", None), "model", None)
            if isinstance(model, str):
                app, _, name = model.lower().rpartition(".")
                if app in ("", label) and name != create.name_lower and name in creates:
                    found.add(name)
        return found

    ordered, done, visiting = [], set(), set()

    def visit(name):
        if name in done:
            return
        visiting.add(name)
        create = creates[name]
        for target in sorted(targets(create)):
            if target in visiting:  # a cycle: this field waits until both tables exist
                for field_name, field in list(create.fields):
                    if getattr(field.remote_field, "model", "").lower().rpartition(".")[2] == target:
                        create.fields.remove((field_name, field))
                        later.append(AddField(model_name=name, name=field_name, field=field))
            else:
                visit(target)
        visiting.discard(name)
        done.add(name)
        ordered.append(create)

    for name in creates:
        visit(name)
    return [*ordered, *later, *rest]


def _old_migrations(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("0*.py") if "squashed" not in p.name)


def _load(path: Path, label: str):
    spec = importlib.util.spec_from_file_location(f"squash_{label}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Migration(path.stem, label)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dalian_minzheng.settings")
    backup = Path(tempfile.mkdtemp(prefix="migrations-backup-"))
    old: dict[str, list[str]] = {}
    for label, folder in APPS.items():
        folder = ROOT / folder
        old[label] = [p.stem for p in _old_migrations(folder)]
        (backup / label).mkdir()
        for path in _old_migrations(folder):
            shutil.move(path, backup / label / path.name)
        for path in folder.glob("0*squashed*.py"):
            path.unlink()
    try:
        subprocess.run(
            [sys.executable, "manage.py", "makemigrations", *[lbl for lbl in APPS if old[lbl]], "-v", "0"],
            cwd=ROOT,
            check=True,
        )
        import django

        django.setup()
        from django.db.migrations import AddConstraint, AddField, AddIndex, CreateModel
        from django.db.migrations.writer import MigrationWriter
        from pgtrigger.migrations import AddTrigger

        # Load what makemigrations wrote. An app it split in two (to break a cycle the autodetector saw) is merged
        # back into one file when none of the other apps it needs depends on it: fewer files, fewer reloads.
        loaded = {
            label: [_load(p, label) for p in sorted((ROOT / APPS[label]).glob("0*_initial.py"))] for label in APPS
        }
        for label, migrations_ in loaded.items():
            for path in (ROOT / APPS[label]).glob("0*_initial.py"):
                path.unlink()
            needs = {dep[0] for m in migrations_ for dep in m.dependencies} - {label}
            needed_by_them = any(
                dep[0] == label for other in needs for m in loaded.get(other, []) for dep in m.dependencies
            )
            if len(migrations_) > 1 and not needed_by_them:
                merged = migrations_[0]
                merged.operations = [op for m in migrations_ for op in m.operations]
                merged.dependencies = [d for m in migrations_ for d in m.dependencies if d[0] != label]
                loaded[label] = [merged]
        renames: dict[tuple[str, str], str] = {}
        for label, migrations_ in loaded.items():
            for index, migration in enumerate(migrations_):
                # one file: 0001_squashed_<last old>; two: 0001_squashed_<first old>, 0002_squashed_<last old>
                keep_name = old[label][-1] if index or len(migrations_) == 1 else old[label][0]
                renames[(label, migration.name)] = f"{index + 1:04d}_squashed_{keep_name}"
        for label, migrations_ in loaded.items():
            for index, migration in enumerate(migrations_):
                ops = _fold_fields(migration.operations, label, CreateModel, AddField)
                # a trigger, index or constraint may name any field: fold it only into a model that is complete
                still_growing = {op.model_name_lower for op in ops if isinstance(op, AddField)}
                created = {
                    op.name_lower: op
                    for op in ops
                    if isinstance(op, CreateModel) and op.name_lower not in still_growing
                }
                operations = []
                for op in ops:
                    target = created.get(getattr(op, "model_name_lower", None) or "")
                    if isinstance(op, AddTrigger) and target:
                        target.options["triggers"] = [*target.options.get("triggers", []), op.trigger]
                    elif isinstance(op, AddIndex) and target:
                        target.options["indexes"] = [*target.options.get("indexes", []), op.index]
                    elif isinstance(op, AddConstraint) and target:
                        target.options["constraints"] = [*target.options.get("constraints", []), op.constraint]
                    else:
                        operations.append(op)
                last = index == len(migrations_) - 1
                migration.operations = operations + (kept_operations().get(label, []) if last else [])
                migration.name = renames[(label, migration.name)]
                migration.app_label = label
                # a dependency on a renamed file follows the rename; others (swappable ones too) stay as generated
                dependencies = []
                for dep in migration.dependencies:
                    dep = (dep[0], renames[(dep[0], dep[1])]) if (dep[0], dep[1]) in renames else dep
                    if dep not in dependencies:
                        dependencies.append(dep)
                migration.dependencies = dependencies
                # the first squashed file of an app replaces the old first one, the last replaces the rest
                replaced = old[label][:1] if not last else old[label][1 if len(migrations_) > 1 else 0 :]
                migration.replaces = [(label, name) for name in replaced]
                folder = ROOT / APPS[label]
                (folder / f"{migration.name}.py").write_text(MigrationWriter(migration).as_string())
                print(f"{label}: {migration.name} ({len(migration.operations)} operations, replaces {len(replaced)})")
    finally:
        for label, folder in APPS.items():
            for path in (backup / label).glob("*.py"):
                shutil.move(path, ROOT / folder / path.name)
    print("now append the hand-written operations (RunPython / RunSQL) of the old files to the squashed ones")


if __name__ == "__main__":
    main()
