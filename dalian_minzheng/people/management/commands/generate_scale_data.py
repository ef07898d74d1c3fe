"""`manage.py generate_scale_data --households N --seed S`: synthetic Dalian households for benchmarks.

Stable interface (other apps' benchmarks call it); the logic is `dalian_minzheng.people.scale.generate`."""

from django.core.management.base import BaseCommand

from dalian_minzheng.people.scale import generate


class Command(BaseCommand):
    help = "Generate realistic synthetic Dalian households and persons (COPY; audit triggers stay on)."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=100_000, help="number of households (≈2.9 persons each)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (deterministic output)")
        parser.add_argument(
            "--workers", type=int, default=None, help="parallel database connections (default: cores, up to 4)"
        )

    def handle(self, *args, households: int, seed: int, workers: int | None = None, **options):
        stats = generate(households=households, seed=seed, workers=workers)
        self.stdout.write(
            f"{stats['households']} households, {stats['persons']} persons in {stats['seconds']} s "
            f"(seed {seed}, {stats['workers']} workers)"
        )
