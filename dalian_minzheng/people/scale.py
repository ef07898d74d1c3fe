"""Synthetic but realistic Dalian households for benchmarks and load tests (`generate_scale_data`).

    from dalian_minzheng.people.scale import generate
    stats = generate(households=100_000, seed=1)   # ≈ 290,000 persons

* valid 18-digit ID numbers whose address code is the person's Dalian district (210202 … 210283), birth dates
  that fit the household shape, odd/even sequence for men/women;
* plausible names (surnames weighted by frequency, children share the father's surname);
* household shapes: single elderly, couple, couple with children, three generations;
* every household in a community/village (level 4 division), weighted towards the urban districts; rural hukou in
  villages;
* rows go in with PostgreSQL COPY. The audit trail stays complete: the people tables have statement-level pghistory
  triggers (audit/tracking.py), which fire for COPY too and write each COPY's insert events from its transition
  table, with the context {"task": "generate_scale_data", "seed": S, "households": N}.

Deterministic for a given (households, seed) on an empty database; numbers already in the database are skipped,
so running it twice adds a second, different population instead of failing.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from dalian_minzheng.audit.context import audit_context
from dalian_minzheng.people import idnumbers
from dalian_minzheng.people.models import Division, DivisionLevel

# Surnames with rough frequency weights (north-east China).
SURNAMES = (
    "王" * 10
    + "李" * 10
    + "张" * 10
    + "刘" * 9
    + "陈" * 5
    + "杨" * 5
    + "赵" * 4
    + "黄" * 3
    + "周" * 3
    + "吴" * 3
    + "徐" * 2
    + "孙" * 4
    + "马" * 2
    + "朱" * 2
    + "胡" * 2
    + "郭" * 2
    + "何"
    + "高" * 2
    + "林"
    + "罗"
    + "郑"
    + "梁"
    + "谢"
    + "宋"
    + "唐"
    + "许"
    + "韩" * 2
    + "冯"
    + "邓"
    + "曹"
    + "彭"
    + "曾"
    + "肖"
    + "田"
    + "董"
    + "袁"
    + "潘"
    + "于" * 3
    + "蒋"
    + "蔡"
    + "余"
    + "杜"
    + "叶"
    + "程"
    + "苏"
    + "魏"
    + "吕"
    + "丁"
    + "任"
    + "沈"
    + "姚"
    + "卢"
    + "姜" * 2
    + "崔" * 2
    + "钟"
    + "谭"
    + "陆"
    + "汪"
    + "范"
    + "金"
    + "石"
    + "廖"
    + "贾"
    + "夏"
    + "韦"
    + "付"
    + "方"
    + "白"
    + "邹"
    + "孟"
    + "熊"
    + "秦"
    + "邱"
    + "江"
    + "尹"
    + "薛"
    + "闫"
    + "段"
    + "雷"
    + "侯"
    + "龙"
    + "史"
    + "陶"
    + "黎"
    + "贺"
    + "顾"
    + "毛"
    + "郝"
    + "龚"
    + "邵"
    + "万"
    + "钱"
    + "严"
    + "覃"
    + "武"
    + "戴"
    + "莫"
    + "孔"
    + "向"
    + "汤"
    + "常"
    + "温"
    + "康"
    + "施"
    + "文"
    + "牛"
    + "樊"
    + "葛"
    + "邢"
    + "安"
    + "齐"
    + "易"
    + "乔"
    + "伍"
    + "庞"
    + "颜"
    + "倪"
    + "庄"
    + "聂"
    + "章"
    + "鲁"
    + "岳"
    + "翟"
    + "殷"
    + "詹"
    + "申"
)
MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆"
    "磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉"
    "君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)
STREET_WORDS = (
    "中山 人民 解放 五四 长江 黄河 胜利 友好 建设 和平 西安 华北 东北 沿海 兴工 春柳 香炉礁 黑石礁 数码 学苑"
).split()
DISTRICT_WEIGHTS = {  # urban districts hold most of the population
    "210202": 10, "210203": 8, "210204": 14, "210211": 20, "210212": 5,
    "210213": 14, "210214": 8, "210224": 1, "210281": 10, "210283": 10,
}  # fmt: skip
SHAPES = (("single_elderly", 18), ("couple", 24), ("couple_children", 38), ("three_generations", 20))

PERSON_COLUMNS = (
    "id", "id_number", "name", "sex", "birth_date", "phone", "hukou_type", "address", "division_id",
    "is_deceased", "created_at", "updated_at",
)  # fmt: skip
HOUSEHOLD_COLUMNS = ("id", "head_id", "division_id", "address", "hukou_type", "created_at", "updated_at")
MEMBER_COLUMNS = ("household_id", "person_id", "relationship", "joined_on", "left_on", "created_by_id")


@dataclass
class _Person:
    name: str
    sex: str
    birth: dt.date
    relationship: str
    id_number: str = ""
    phone: str = ""
    pk: int = 0


class _Generator:
    def __init__(self, seed, communities: list[Division], taken: set[str], worker: int = 0, workers: int = 1):
        self.rng = random.Random(seed)
        self.taken = taken  # shared by the workers; each only ever adds numbers of its own residue class
        self.worker, self.workers = worker, workers
        self.python_seconds = 0.0
        self.today = dt.date.today()
        by_district: dict[str, list[Division]] = {}
        for c in communities:
            by_district.setdefault(c.code[:6], []).append(c)
        self.districts = sorted(by_district)
        self.district_weights = [DISTRICT_WEIGHTS.get(d, 3) for d in self.districts]
        self.by_district = by_district

    def name(self, sex: str, surname: str | None = None) -> str:
        rng = self.rng
        surname = surname or rng.choice(SURNAMES)
        chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
        return surname + given

    def birth(self, min_age: int, max_age: int) -> dt.date:
        age_days = self.rng.randint(min_age * 365 + 1, max_age * 365 + 300)
        return self.today - dt.timedelta(days=age_days)

    def id_number(self, district: str, birth: dt.date, sex: str) -> str:
        # Same result as idnumbers.make, with the weighted sum of the first 14 digits computed once per person
        # instead of once per attempt (this loop is the generator's hottest code).
        rng = self.rng
        first14 = f"{district}{birth:%Y%m%d}"
        partial = sum(int(d) * w for d, w in zip(first14, idnumbers.WEIGHTS[:14], strict=True))
        parity = 1 if sex == "M" else 0
        for _ in range(50):
            base = int(rng.random() * (500 // self.workers)) * self.workers + self.worker
            seq = (base << 1) | parity
            a, b, c = seq // 100, seq // 10 % 10, seq % 10
            check = idnumbers.CHECK_CHARS[(partial + a * 8 + b * 4 + c * 2) % 11]  # weights 8, 4, 2
            number = f"{first14}{seq:03d}{check}"
            if number not in self.taken:
                self.taken.add(number)
                return number
        raise RuntimeError("no free ID sequence for this birth date")

    def phone(self) -> str:
        rng = self.rng
        return rng.choice(("13", "15", "18", "17", "19")) + str(rng.randint(0, 9)) + f"{rng.randrange(10**8):08d}"

    def household(self) -> tuple[Division, list[_Person]]:
        rng = self.rng
        district = rng.choices(self.districts, self.district_weights)[0]
        community = rng.choice(self.by_district[district])
        shape = rng.choices([s for s, _ in SHAPES], [w for _, w in SHAPES])[0]
        surname = rng.choice(SURNAMES)
        members: list[_Person] = []
        if shape == "single_elderly":
            sex = rng.choice("MF")
            members.append(_Person(self.name(sex, surname if sex == "M" else None), sex, self.birth(65, 95), "head"))
        else:
            if shape == "couple":
                head_birth = self.birth(25, 85)
            elif shape == "couple_children":
                head_birth = self.birth(28, 55)
            else:
                head_birth = self.birth(30, 50)
            head = _Person(self.name("M", surname), "M", head_birth, "head")
            spouse_birth = min(head_birth + dt.timedelta(days=rng.randint(-1500, 1500)), self.today)
            spouse = _Person(self.name("F"), "F", spouse_birth, "spouse")
            members += [head, spouse]
            if shape in ("couple_children", "three_generations"):
                mother_age = (self.today - spouse_birth).days // 365
                for _ in range(rng.choices((1, 2, 3), (60, 35, 5))[0]):
                    youngest = max(0, mother_age - 42)
                    oldest = max(youngest, min(mother_age - 20, 30))
                    sex = rng.choice("MF")
                    members.append(_Person(self.name(sex, surname), sex, self.birth(youngest, oldest), "child"))
            if shape == "three_generations":
                parent_age = (self.today - head_birth).days // 365 + rng.randint(22, 32)
                for sex in rng.choice(("M", "F", "MF")):
                    members.append(
                        _Person(
                            self.name(sex, surname if sex == "M" else None),
                            sex,
                            self.birth(min(parent_age, 100), min(parent_age, 100)),
                            "parent",
                        )
                    )
        for m in members:
            m.id_number = self.id_number(district, m.birth, m.sex)
            if (self.today - m.birth).days >= 18 * 365 and rng.random() < 0.85:
                m.phone = self.phone()
        return community, members


def _reserve_ids(cursor, sequence_of: str, n: int) -> list[int]:
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{sequence_of}', 'id')) FROM generate_series(1, %s)", [n])
    return [r[0] for r in cursor.fetchall()]


INSERT_TRIGGERS = (
    "people.Person:insert_insert",
    "people.Household:insert_insert",
    "people.HouseholdMember:insert_insert",
)


def _backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, when it runs on this machine."""
    import os

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _write_batch(gen: _Generator, n: int, context: dict, now) -> int:
    """Generate and COPY `n` households in one transaction on this thread's connection; returns persons written."""
    joined = dt.date(2018, 1, 1)
    tick = time.monotonic()
    generated = [gen.household() for _ in range(n)]
    gen.python_seconds += time.monotonic() - tick
    persons_n = sum(len(m) for _, m in generated)
    with transaction.atomic(), audit_context(**context):
        with connection.cursor() as cursor:
            # pghistory sets its context (SET LOCAL) in front of statements run through Django's cursor; the raw
            # COPYs below run in the same transaction after this one, so their audit events carry it.
            cursor.execute("UPDATE people_division SET name = name WHERE false")
            person_ids = _reserve_ids(cursor, "people_person", persons_n)
            household_ids = _reserve_ids(cursor, "people_household", n)
            it = iter(person_ids)
            for _, members in generated:
                for m in members:
                    m.pk = next(it)
            places = []
            for community, _ in generated:
                street = community.parent.name if community.parent else ""
                address = (
                    f"大连市{street}{gen.rng.choice(STREET_WORDS)}路{gen.rng.randint(1, 300)}号"
                    f"{gen.rng.randint(1, 30)}-{gen.rng.randint(1, 6)}-{gen.rng.randint(1, 2)}"
                )
                places.append((address, "rural" if community.name.endswith("村") else "urban"))
            raw = cursor.cursor  # the psycopg cursor, for COPY
            with raw.copy(f"COPY people_person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
                for (community, members), (address, hukou) in zip(generated, places, strict=True):
                    for m in members:
                        copy.write_row(
                            (m.pk, m.id_number, m.name, m.sex, m.birth, m.phone, hukou, address,
                             community.code, False, now, now)
                        )  # fmt: skip
            with raw.copy(f"COPY people_household ({', '.join(HOUSEHOLD_COLUMNS)}) FROM STDIN") as copy:
                for hh_id, (community, members), (address, hukou) in zip(household_ids, generated, places, strict=True):
                    copy.write_row((hh_id, members[0].pk, community.code, address, hukou, now, now))
            with raw.copy(f"COPY people_householdmember ({', '.join(MEMBER_COLUMNS)}) FROM STDIN") as copy:
                for hh_id, (_, members) in zip(household_ids, generated, strict=True):
                    for m in members:
                        copy.write_row((hh_id, m.pk, m.relationship, max(joined, m.birth), None, None))
    return persons_n


def generate(households: int, seed: int = 1, *, batch: int = 10_000, workers: int | None = None) -> dict:
    """Create `households` households (≈2.9 persons each). Returns counts and timings.

    `workers` threads, each with its own database connection, write batches in parallel (default: the number of
    cores, up to 4; one inside an open transaction, e.g. in tests, because other connections could not see its
    rows). Each worker draws ID sequence numbers from its own residue class, so they never collide. The output is
    deterministic for a given (households, seed, workers)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    started = time.monotonic()
    cpu_started = time.process_time()
    db_cpu_started = _backend_cpu_seconds()
    if workers is None:
        workers = 1 if connection.in_atomic_block else max(1, min(4, os.cpu_count() or 1))
    communities = list(Division.objects.filter(level=DivisionLevel.COMMUNITY, is_active=True).select_related("parent"))
    if not communities:
        raise RuntimeError("no communities: run `manage.py load_reference_data` first")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person")
        taken = {r[0] for r in cursor.fetchall()}
    context = {"task": "generate_scale_data", "seed": seed, "households": households}
    now = timezone.now()
    sizes = [min(batch, households - i) for i in range(0, households, batch)]
    generators = [_Generator(seed if w == 0 else f"{seed}:{w}", communities, taken, w, workers) for w in range(workers)]

    def work(worker: int, own_connection: bool) -> tuple[int, int, float]:
        done_households = done_persons = 0
        db_cpu_before = _backend_cpu_seconds() if own_connection else None
        try:
            for n in sizes[worker::workers]:
                done_persons += _write_batch(generators[worker], n, context, now)
                done_households += n
            db_cpu_after = _backend_cpu_seconds() if own_connection else None
        finally:
            if own_connection:
                connection.close()  # this thread's own connection
        used = (db_cpu_after - db_cpu_before) if db_cpu_before is not None and db_cpu_after is not None else 0.0
        return done_households, done_persons, used

    if workers == 1:
        results = [work(0, own_connection=False)]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda w: work(w, own_connection=True), range(workers)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person; ANALYZE people_household; ANALYZE people_householdmember")
    totals = {
        "households": sum(r[0] for r in results),
        "persons": sum(r[1] for r in results),
        "workers": workers,
        "seconds": round(time.monotonic() - started, 1),
        "python_seconds": round(sum(g.python_seconds for g in generators), 1),
        # CPU actually used by this process and by its PostgreSQL backends: on a shared, overloaded machine the
        # wall time mostly measures waiting for a core; the CPU is what the work costs on an idle one.
        "python_cpu_seconds": round(time.process_time() - cpu_started, 1),
    }
    db_cpu = _backend_cpu_seconds()
    if db_cpu is not None and db_cpu_started is not None:
        totals["db_cpu_seconds"] = round(db_cpu - db_cpu_started + sum(r[2] for r in results), 1)
    return totals
