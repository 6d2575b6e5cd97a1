"""What the state keeps for articles over time, alike in SQLite and in Redis: the revisit schedule,
withdrawals, an edit's dateModified, what discovery listed and each day's counts."""

from __future__ import annotations

import pytest

from newscrawl.state.redis import RedisStore
from newscrawl.state.sqlite import SqliteStore

NOW = "2025-04-07T12:00:00+00:00"


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = SqliteStore(tmp_path / "state.sqlite3")
    else:
        import redis

        server = redis.Redis.from_url(request.getfixturevalue("redis_url"), decode_responses=True)
        made = RedisStore(server, f"ot{tmp_path.name}", "worker-1", f"ot{tmp_path.name}:nu:worker:")
    yield made
    made.close()


def _fetched(store, key: str, due: str | None, published: str = "2025-04-07T08:00:00+02:00") -> None:
    store.record_fetch(key, f"https://www.nu.nl/x/{key.split(':')[1]}/a.html", '"e"', None, None, NOW)
    store.set_revisit(key, published, due)


def test_due_revisits_are_the_sites_most_overdue_first_and_bounded(store):
    _fetched(store, "nu:3", "2025-04-07T11:00:00+00:00")
    _fetched(store, "nu:1", "2025-04-07T09:00:00+00:00")
    _fetched(store, "nu:2", "2025-04-07T13:00:00+00:00")  # not due yet
    _fetched(store, "nu:4", None)  # its schedule is over
    _fetched(store, "nua:9", "2025-04-07T08:00:00+00:00")  # another site whose name starts alike
    _fetched(store, "wnl:5", "2025-04-07T08:00:00+00:00")
    due = store.due_revisits("nu", NOW, 10)
    assert [key for key, _ in due] == ["nu:1", "nu:3"]
    assert due[0][1].url == "https://www.nu.nl/x/1/a.html" and due[0][1].published == "2025-04-07T08:00:00+02:00"
    assert [key for key, _ in store.due_revisits("nu", NOW, 1)] == ["nu:1"]
    # A new fetch keeps the schedule's publication and gone marks; set_revisit moves the due time.
    store.set_gone("nu:1", "2025-04-07T11:30:00Z")
    store.record_fetch("nu:1", "https://www.nu.nl/x/1/a.html", '"f"', None, None, NOW)
    record = store.get_fetch("nu:1")
    assert (record.etag, record.gone, record.published) == ('"f"', "2025-04-07T11:30:00Z", "2025-04-07T08:00:00+02:00")
    store.set_revisit("nu:1", None, "2025-04-08T08:00:00+00:00")
    assert [key for key, _ in store.due_revisits("nu", NOW, 10)] == ["nu:3"]
    assert store.knows_site("nu") and store.knows_site("wnl") and not store.knows_site("nos")


def test_the_last_revisions_date_modified_is_kept(store):
    store.record("nu", "1", "h1", 1, "https://www.nu.nl/x/1/a.html", NOW, "2025-04-07T10:00:00+02:00")
    assert store.get("nu", "1").date_modified == "2025-04-07T10:00:00+02:00"
    store.record("nu", "1", "h2", 2, "https://www.nu.nl/x/1/a.html", NOW)
    assert store.get("nu", "1").date_modified is None and store.get("nu", "1").revision == 2


def test_listed_articles_keep_their_first_publication_hint(store):
    store.record_listed("nu:1", "https://www.nu.nl/x/1/a.html", None, "2025-04-07T09:00:00+00:00")
    store.record_listed(
        "nu:1", "https://www.nu.nl/x/1/a.html", "2025-04-07T10:55:00+02:00", "2025-04-07T10:00:00+00:00"
    )
    store.record_listed(
        "nu:2", "https://www.nu.nl/x/2/a.html", "2025-04-07T11:40:00+02:00", "2025-04-07T10:00:00+00:00"
    )
    store.record_outcome("nu:2", "failure:http_500", NOW)
    assert sorted(store.recent_publications("nu", 10)) == ["2025-04-07T10:55:00+02:00", "2025-04-07T11:40:00+02:00"]
    store.add_daily("nu", "2025-04-07", {"requests": 10, "not_modified": 4})
    store.add_daily("nu", "2025-04-07", {"requests": 5, "revisits": 2})
