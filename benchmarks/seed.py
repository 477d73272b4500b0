"""Seed a PostgreSQL database at the programme's scale, in minutes, for `make bench`.

    TADAFUR_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tadafur_bench \\
        .venv/bin/python benchmarks/seed.py

DROPS AND RE-CREATES the database named in the URL. What it holds:

- the reference data (regions, provinces, communes; 60 partner communes) and the demo accounts;
- the 15 demo projects, one in every state of workflows/co_creation.yaml, walked there through
  the real services (sign-offs with the password, recorded fields, real sealed PDFs);
- 400 associations spread over the 60 partner communes, an agent and a president per commune,
  a member and a chair per association (the same password for all);
- 3,000 projects: clones of the demo projects, round-robin over the states, each with its own
  commune, associations, people, budget, plan, messages, transition history (replaying to its
  state), sign-offs and registered documents, written with bulk inserts;
- 30,000 sign-offs (the clones' own, plus earlier endorsements invalidated by an edit);
- 10,000 registered documents: each clone's documents and older report extracts. The bytes are
  a small generated one-page PDF per document (distinct, so each has its own hash), written
  once per hash in the content-addressed store; only the 15 demo projects carry real PDFs;
- 300,000 audit events, correctly chained (tadafur.audit.bulk).

At the end it checks that every project's last transition lands on its state and that the audit
chain verifies, and prints the counts.
"""

from __future__ import annotations

import itertools
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tadafur_bench"
BENCH_PASSWORD = "tadafur-bench-2026"
DATA_DIR = ROOT / "benchmarks" / ".data"
TARGETS = {"communes": 60, "associations": 400, "projects": 3000, "signoffs": 30_000,
           "audit_events": 300_000, "documents": 10_000}
CLONED_TABLES = ("project_theme", "project_partner", "budget_line", "activity", "indicator",
                 "project_message", "workflow_transition", "workflow_signoff",
                 "registered_document")
USER_COLUMNS = ("actor_id", "user_id", "author_id", "created_by_id")


def bench_url() -> str:
    return os.environ.get("TADAFUR_BENCH_DATABASE_URL", DEFAULT_URL)


def recreate_database(url: str) -> None:
    """Drop and create the database of `url` (connecting to the `postgres` database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    if not name or not name.replace("_", "").isalnum():
        sys.exit(f"refusing an unusual database name: {name!r}")
    admin = parsed.set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def bench_app(url: str, **overrides):
    """The app as the benchmark's server runs it (also used by the load script)."""
    from tadafur import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SEED_DEMO_DATA": True,
              "DOCUMENTS_DIR": str(DATA_DIR / "documents"), "SEAL_DIR": str(DATA_DIR / "seal")}
    config.update(overrides)
    return create_app(config)


def tiny_pdf(label: str) -> bytes:
    """A valid one-page PDF showing `label` (ASCII): distinct bytes, hence a distinct hash."""
    text = label.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def store_pdf(root: Path, data: bytes) -> tuple[str, str, int]:
    """Write bytes into the content-addressed store layout (no fsync: a throwaway store)."""
    from tadafur.documents.store import sha256_of

    digest = sha256_of(data)
    key = f"{digest[:2]}/{digest}.pdf"
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    return digest, key, len(data)


class Seeder:
    def __init__(self, db, rng: random.Random) -> None:
        self.db = db
        self.rng = rng
        self.connection = db.session.connection()
        self.tables = db.metadata.tables
        self.next_ids: dict[str, int] = {}

    def new_id(self, table: str) -> int:
        if table not in self.next_ids:
            current = self.connection.exec_driver_sql(
                f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').scalar()
            self.next_ids[table] = current
        self.next_ids[table] += 1
        return self.next_ids[table]

    def insert(self, table: str, rows: list[dict]) -> None:
        keys = {key for row in rows for key in row}
        rows = [dict.fromkeys(keys) | row for row in rows]  # one shape for executemany
        for start in range(0, len(rows), 5000):
            self.connection.execute(self.tables[table].insert(), rows[start:start + 5000])

    def fix_sequences(self) -> None:
        from tadafur.testing import advance_sequences

        advance_sequences(self.connection, self.next_ids)

    def rows(self, table: str, **where) -> list[dict]:
        statement = self.tables[table].select()
        for column, value in where.items():
            statement = statement.where(self.tables[table].c[column] == value)
        return [dict(r._mapping) for r in self.connection.execute(statement)]


def scaled_targets(scale: float) -> dict[str, int]:
    """TARGETS times `scale` (development runs use 0.1: 300 projects); the communes and the
    associations stay whole (every clone needs two associations of its commune)."""
    return {k: v if k in ("communes", "associations") else max(1, round(v * scale))
            for k, v in TARGETS.items()}


def seed(url: str, scale: float = 1.0) -> dict:
    from sqlalchemy import func, select

    from tadafur.accounts.models import Membership, Role, User
    from tadafur.accounts.services import hash_password
    from tadafur.audit.bulk import append_events
    from tadafur.audit.services import verify_chain
    from tadafur.demo.seed import seed_demo
    from tadafur.documents.models import new_code
    from tadafur.documents.sealing import init_development_seal
    from tadafur.extensions import db
    from tadafur.organisations.models import Association, Commune
    from tadafur.organisations.services import seed_reference_data
    from tadafur.projects.models import Project
    from tadafur.projects.services import seed_themes
    from tadafur.testing import build_schema
    from tadafur.workflow import awaiting
    from tadafur.workflow.models import SignOff, TransitionRecord

    targets = scaled_targets(scale)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database(url)
    app = bench_app(url, JOBS_MODE="eager")  # the walk signs documents as soon as they exist
    with app.app_context():
        build_schema()
        seal = DATA_DIR / "seal"
        init_development_seal(seal)  # kept when it exists
        seed_reference_data()
        seed_themes()
        seed_demo()
        db.session.commit()
        timings["reference and demo (real services, real PDFs)"] = time.perf_counter() - started

        step = time.perf_counter()
        rng = random.Random(2026)
        seeder = Seeder(db, rng)
        communes = list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                           .order_by(Commune.id)))
        password_hash = hash_password(BENCH_PASSWORD)
        existing = list(db.session.scalars(select(Association)))
        by_commune: dict[int, list[int]] = {c.id: [] for c in communes}
        for association in existing:
            by_commune.setdefault(association.commune_id, []).append(association.id)
        new_associations = []
        for n in range(targets["associations"] - len(existing)):
            commune = communes[n % len(communes)]
            new_id = seeder.new_id("association")
            new_associations.append({
                "id": new_id, "name_ar": f"جمعية التنمية {n + 1} - {commune.name_ar}",
                "name_fr": f"Association de développement {n + 1} - {commune.name_fr}",
                "receipt_number": f"BENCH-{n + 1:05d}", "commune_id": commune.id,
                "contact_name": "Bureau",
                "contact_phone": f"+212 5 22 {n // 100:02d} {n % 100:02d}"})
            by_commune[commune.id].append(new_id)
        seeder.insert("association", new_associations)

        users, memberships = [], []
        people: dict[tuple[str, int], int] = {}  # (role key, organisation id) -> user id

        def person(key: str, role: Role, organisation: str, organisation_id: int) -> None:
            user_id = seeder.new_id("user_account")
            users.append({"id": user_id, "email": f"{key}-{organisation_id}@bench.tadafur.ma",
                          "full_name": f"{key.title()} {organisation_id}", "locale": "ar",
                          "password_hash": password_hash, "active": True})
            memberships.append({"id": seeder.new_id("membership"), "user_id": user_id,
                                "role": role.value, f"{organisation}_id": organisation_id})
            people[(key, organisation_id)] = user_id

        for commune in communes:
            person("agent", Role.COMMUNE_AGENT, "commune", commune.id)
            person("president", Role.COMMUNE_SIGNATORY, "commune", commune.id)
            for association_id in by_commune[commune.id]:
                person("member", Role.ASSOCIATION_MEMBER, "association", association_id)
                person("chair", Role.ASSOCIATION_SIGNATORY, "association", association_id)
        seeder.insert("user_account", _with_defaults(db, "user_account", users))
        seeder.insert("membership", memberships)
        timings["associations and people"] = time.perf_counter() - step

        step = time.perf_counter()
        templates = list(db.session.scalars(select(Project).order_by(Project.id)))
        role_of = {}
        for membership in db.session.scalars(select(Membership)):
            role_of[membership.user_id] = {
                Role.COMMUNE_AGENT.value: "agent", Role.COMMUNE_SIGNATORY.value: "president",
                Role.ASSOCIATION_MEMBER.value: "member",
                Role.ASSOCIATION_SIGNATORY.value: "chair"}.get(membership.role)
        template_rows = {t.id: {table: seeder.rows(table, project_id=t.id)
                                for table in CLONED_TABLES} for t in templates}
        project_columns = seeder.rows("project", id=templates[0].id)[0].keys()
        template_projects = {t.id: seeder.rows("project", id=t.id)[0] for t in templates}
        store_root = DATA_DIR / "documents"
        clones: dict[str, list[dict]] = {table: [] for table in ("project", *CLONED_TABLES)}
        clone_count = targets["projects"] - len(templates)
        for n in range(clone_count):
            template = templates[n % len(templates)]
            commune = communes[(n // len(templates) + n) % len(communes)]
            lead, partner = rng.sample(by_commune[commune.id], 2)
            project_id = seeder.new_id("project")
            cast = {"agent": people[("agent", commune.id)],
                    "president": people[("president", commune.id)],
                    "member": people[("member", lead)], "chair": people[("chair", lead)]}
            row = dict(template_projects[template.id])
            row.update(id=project_id, reference=f"TDF-BENCH-{project_id:06d}",
                       commune_id=commune.id, lead_association_id=lead,
                       title_fr=f"{row['title_fr']} ({commune.name_fr})",
                       created_by_id=cast["agent"])
            clones["project"].append({k: row[k] for k in project_columns})
            for table in CLONED_TABLES:
                for source in template_rows[template.id][table]:
                    copy = dict(source, project_id=project_id)
                    if "id" in copy:
                        copy["id"] = seeder.new_id(table)
                    for column in USER_COLUMNS:
                        if copy.get(column) is not None:
                            copy[column] = cast.get(role_of.get(copy[column]), copy[column])
                    if table == "project_partner":
                        copy["association_id"] = partner
                    if table == "registered_document":
                        copy["code"] = new_code()
                        copy["supersedes_id"] = None
                        digest, key, size = store_pdf(store_root, tiny_pdf(
                            f"TDF-BENCH-{project_id:06d} {copy['kind']} v{copy['version']}"))
                        copy.update(sha256=digest, storage_key=key, size=size)
                    clones[table].append(copy)
        for table in ("project", *CLONED_TABLES):
            seeder.insert(table, clones[table])
        cloned = f"{targets['projects']:,} projects cloned with their histories"
        timings[cloned] = time.perf_counter() - step

        step = time.perf_counter()
        project_ids = [p["id"] for p in clones["project"]] + [t.id for t in templates]
        commune_of = {p["id"]: p["commune_id"] for p in clones["project"]}
        commune_of.update({t.id: t.commune_id for t in templates})
        documents = db.session.scalar(select(func.count()).select_from(
            seeder.tables["registered_document"]))
        extracts = []
        version: dict[int, int] = {}
        for n in range(targets["documents"] - documents):
            project_id = project_ids[n % len(project_ids)]
            version[project_id] = version.get(project_id, 0) + 1
            digest, key, size = store_pdf(store_root, tiny_pdf(
                f"TDF audit extract {project_id} v{version[project_id]}"))
            extracts.append({
                "id": seeder.new_id("registered_document"), "code": new_code(),
                "project_id": project_id, "kind": "audit_extract", "language": "fr",
                "version": version[project_id], "content_version": None, "sha256": digest,
                "size": size, "storage_key": key, "created_by_id": None,
                "created_at": _at(rng), "supersedes_id": None, "frozen": False,
                "sealed": False, "final": False, "gate": None})
        seeder.insert("registered_document", extracts)

        signoffs = db.session.scalar(select(func.count()).select_from(SignOff))
        endorsed = [s for s in clones["workflow_signoff"] if s["gate"] == "endorsement"]
        extra = []
        for source in itertools.islice(itertools.cycle(endorsed),
                                       max(0, targets["signoffs"] - signoffs)):
            extra.append(dict(source, id=seeder.new_id("workflow_signoff"), valid=False,
                              signed_hash=f"{rng.getrandbits(256):064x}",
                              invalidated_at=source["signed_at"],
                              invalidated_reason="content changed after the sign-off"))
        seeder.insert("workflow_signoff", extra)
        seeder.fix_sequences()
        db.session.commit()
        timings["documents and earlier sign-offs"] = time.perf_counter() - step

        step = time.perf_counter()
        # the raw inserts bypassed the session hook that keeps My tasks' table in step
        awaiting.rebuild(db.session)
        db.session.commit()
        timings["My tasks' awaited_action table rebuilt"] = time.perf_counter() - step

        step = time.perf_counter()
        published, lessons = publish_all()
        db.session.commit()
        timings["publication approved, lessons library filled"] = time.perf_counter() - step

        step = time.perf_counter()
        from tadafur.audit.models import AuditEvent

        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        append_events(targets["audit_events"] - events, [c.id for c in communes], project_ids)
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        timings["audit events (chained, COPY)"] = time.perf_counter() - step

        step = time.perf_counter()
        last_state = dict(db.session.execute(
            select(TransitionRecord.project_id, TransitionRecord.to_state)
            .distinct(TransitionRecord.project_id)
            .order_by(TransitionRecord.project_id, TransitionRecord.seq.desc())).all())
        states = dict(db.session.execute(select(Project.id, Project.state)).all())
        mismatched = [pid for pid, state in states.items() if last_state.get(pid) != state]
        chain = verify_chain()
        timings["checks (history replays, chain verifies)"] = time.perf_counter() - step
        if mismatched or not chain.intact:
            sys.exit(f"seed inconsistent: {len(mismatched)} histories, chain {chain}")
        counts = {
            "partner_communes": len(communes),
            "associations": db.session.scalar(select(func.count()).select_from(Association)),
            "users": db.session.scalar(select(func.count()).select_from(User)),
            "projects": len(states),
            "states": dict(sorted(_count_states(states).items())),
            "transitions": db.session.scalar(select(func.count()).select_from(TransitionRecord)),
            "signoffs": db.session.scalar(select(func.count()).select_from(SignOff)),
            "documents": db.session.scalar(select(func.count()).select_from(
                seeder.tables["registered_document"])),
            "audit_events": chain.count,
            "published_projects": published,
            "lessons": lessons,
        }
    total = time.perf_counter() - started
    return {"counts": counts, "seconds": {k: round(v, 1) for k, v in timings.items()},
            "total_seconds": round(total, 1), "password": BENCH_PASSWORD,
            "document_bytes": "one generated one-page PDF per clone document (distinct bytes "
                              "and hash); real sealed PDFs for the 15 demo projects only"}


def publish_all() -> tuple[int, int]:
    """Approve every project's publication, as the programme officer would project by project
    (issue 19's budget is for the showcase at the programme's scale), and fill the lessons
    library: the demo's lessons re-indexed (the seed's bulk inserts bypass the index's
    listener) plus synthetic ones for the clones. Returns (projects published, lessons)."""
    from sqlalchemy import update

    from tadafur.extensions import db
    from tadafur.projects.models import Project
    from tadafur.showcase.lessons import reindex_all

    published = db.session.execute(update(Project).values(publication_approved=True)).rowcount
    return published, reindex_all() + _synthetic_lessons()


def _synthetic_lessons() -> int:
    """The seed's clones have no report texts: give every project past execution three
    lessons (drawn from the demo's, in Arabic and French) so the search has a realistic
    table to scan."""
    import itertools

    from sqlalchemy import insert, select

    from tadafur.extensions import db
    from tadafur.models_base import utcnow
    from tadafur.projects.models import Project
    from tadafur.reporting.demo import LESSONS
    from tadafur.showcase.lessons import normalise, split_lines
    from tadafur.showcase.models import Lesson

    pool = []
    for texts in LESSONS.values():
        pool += split_lines(texts["final"])
        for party in ("commune", "association"):
            pool += list(texts[party])
    texts = itertools.cycle(pool)
    states = ("final_report", "report_validation", "evaluation", "evaluation_signoff",
              "closed")
    rows = []
    for project_id in db.session.scalars(select(Project.id).where(Project.state.in_(states))):
        for kind in ("lesson", "lesson", "recommendation"):
            body = next(texts)
            rows.append({"project_id": project_id, "source": "evaluation", "source_id": 0,
                         "party": "commune", "kind": kind, "body": body,
                         "search_text": normalise(body), "updated_at": utcnow()})
    db.session.execute(insert(Lesson), rows)
    return len(rows)


def _count_states(states: dict[int, str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for state in states.values():
        counted[state] = counted.get(state, 0) + 1
    return counted


def _at(rng: random.Random):
    import datetime as dt

    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(400_000))


def _with_defaults(db, table: str, rows: list[dict]) -> list[dict]:
    """Fill the columns a bulk insert leaves out with their Python-side defaults."""
    columns = db.metadata.tables[table].columns
    defaults = {}
    for column in columns:
        default = column.default
        if default is not None and default.is_scalar:
            defaults[column.name] = default.arg
        elif default is not None and default.is_callable:
            defaults[column.name] = default.arg(None)
    return [{**defaults, **row} for row in rows]


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the programme's scale (0.1: 300 projects)")
    result = seed(bench_url(), parser.parse_args().scale)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    (DATA_DIR / "seed.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
