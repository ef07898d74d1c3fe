"""Locust users of the load test (issue 13, item 7): staff who log in and read the main pages.

Run by benchmarks/bench_load.py, which builds the city-scale data, starts gunicorn and passes, in the environment:
LOAD_PASSWORD (of the bench_* accounts), LOAD_CASE_IDS / LOAD_PERSON_IDS (comma-separated primary keys to open)
and LOAD_NAMES (surnames to search for).
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _ids(name: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, "").split(",") if x]


class Staff(HttpUser):
    """A district administrator or a street caseworker of 甘井子区 (the bench_* accounts of bench_casework)."""

    wait_time = between(0.5, 2)
    case_ids = _ids("LOAD_CASE_IDS")
    person_ids = _ids("LOAD_PERSON_IDS")
    names = [n for n in os.environ.get("LOAD_NAMES", "王,李,张").split(",") if n]

    def on_start(self):
        username = random.choice(["bench_district", "bench_caseworker"])
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": os.environ["LOAD_PASSWORD"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(5)
    def case_list(self):
        self.client.get("/assistance/cases/", name="case list")

    @task(3)
    def case_search(self):
        self.client.get("/assistance/cases/", params={"q": random.choice(self.names)}, name="case list ?q=name")

    @task(3)
    def case_detail(self):
        if self.case_ids:
            self.client.get(f"/assistance/cases/{random.choice(self.case_ids)}/", name="case detail")

    @task(3)
    def person_search(self):
        self.client.get("/people/", params={"q": random.choice(self.names)}, name="person list ?q=name")

    @task(2)
    def person_detail(self):
        if self.person_ids:
            self.client.get(f"/people/{random.choice(self.person_ids)}/", name="person detail")

    @task(2)
    def applications(self):
        self.client.get("/assistance/applications/", name="application list")

    @task(1)
    def households(self):
        self.client.get("/people/households/", name="household list")
