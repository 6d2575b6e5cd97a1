"""Scheduled incremental crawls on a real Scrapyd (127.0.0.1, HTTP basic auth), deployed with scrapyd-deploy.

Marked `scrapyd` (about 30 s); `.ci/run` runs it like every other test. Skip with `-m "not scrapyd"`.
"""

import base64
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from conftest import FIXTURES, PROJECT
from loopback import free_port

from newscrawl.extract.registry import sites

pytestmark = pytest.mark.scrapyd

# A password no text substitution survives: quotes, &, /, a backslash reference, spaces.
USER, PASSWORD = "newscrawl", "s3c&r/e\\1 'q\" t"
CREDENTIALS = {"SCRAPYD_USERNAME": USER, "SCRAPYD_PASSWORD": PASSWORD}
BIN = Path(sys.executable).parent


def api(url: str, endpoint: str, auth: bool = True, **query) -> dict:
    request = Request(f"{url}/{endpoint}?{urlencode(query)}")
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
    with urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@contextmanager
def running_scrapyd(home: Path, port: int):
    """Scrapyd started in ``home`` (its config there), answering on ``port``; stopped afterwards."""
    # Credentials from the environment, as scripts/scrapyd.sh passes them: never written into a file.
    server = subprocess.Popen(
        [str(BIN / "scrapyd"), "--pidfile=", "--logfile=scrapyd.log"],
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **CREDENTIALS},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                api(url, "daemonstatus.json")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"scrapyd did not start: {(home / 'scrapyd.log').read_text()[-2000:]}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def scrapyd_home(home: Path) -> int:
    """``home`` made a Scrapyd home with the shipped config on a free port (returned)."""
    port = free_port()
    (home / "scrapyd.conf").write_text(
        (PROJECT / "deploy" / "scrapyd.conf")
        .read_text()
        .replace("http_port     = 6800", f"http_port     = {port}")
        .replace("poll_interval = 2.0", "poll_interval = 0.5")
    )
    return port


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    home = tmp_path_factory.mktemp("scrapyd")
    with running_scrapyd(home, scrapyd_home(home)) as url:
        yield url, home


def test_one_variable_says_where_scrapyd_listens(tmp_path):
    """scripts/scrapyd.sh binds the address and port of SCRAPYD_URL: no tracked file is edited."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **CREDENTIALS, "SCRAPYD_URL": url, "SCRAPYD_HOME": str(tmp_path)}
    log = (tmp_path / "out.log").open("w")
    server = subprocess.Popen(
        ["bash", "scripts/scrapyd.sh"],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                assert "projects" in api(url, "listprojects.json")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"scrapyd did not start on {url}: {(tmp_path / 'out.log').read_text()[-2000:]}")
        assert (tmp_path / "scrapyd.conf").exists()  # its state where SCRAPYD_HOME says, not in the work tree
        assert f"Scrapyd on {url}" in (tmp_path / "out.log").read_text()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        log.close()
    bad = subprocess.run(
        [sys.executable, "-m", "newscrawl.tools.scrapyd_client"],
        env={**os.environ, "SCRAPYD_URL": "127.0.0.1:6800"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "SCRAPYD_URL must be http://HOST:PORT" in bad.stderr


def test_scrapyd_demands_the_password(scrapyd):
    url, _ = scrapyd
    with pytest.raises(OSError, match="401"):
        api(url, "listprojects.json", auth=False)
    assert "projects" in api(url, "listprojects.json")  # the odd password works as given


@pytest.mark.parametrize("config", ["scrapyd.conf", "scrapy-eggfree.cfg"])
def test_no_shipped_config_starts_scrapyd_without_credentials(tmp_path, config):
    port = free_port()
    name = "scrapyd.conf" if config.endswith(".conf") else "scrapy.cfg"
    (tmp_path / name).write_text(
        (PROJECT / "deploy" / config).read_text().replace("http_port     = 6800", f"http_port     = {port}")
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCRAPYD_USERNAME", "SCRAPYD_PASSWORD", "NEWSCRAWL_SCRAPYD"))
    }
    result = subprocess.run(
        [str(BIN / "scrapyd"), "--pidfile=", "--nodaemon"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "Scrapyd needs credentials" in result.stderr + result.stdout


def test_unauthenticated_scrapyd_only_when_asked_and_only_on_loopback():
    from newscrawl.tools.scrapyd_app import CredentialsMissing, check_credentials

    check_credentials({"bind_address": "127.0.0.1"}, {"NEWSCRAWL_SCRAPYD_NO_AUTH": "1"})
    check_credentials({}, {"SCRAPYD_USERNAME": "u", "SCRAPYD_PASSWORD": "p"})
    with pytest.raises(CredentialsMissing, match="loopback"):
        check_credentials({"bind_address": "0.0.0.0"}, {"NEWSCRAWL_SCRAPYD_NO_AUTH": "1"})
    with pytest.raises(CredentialsMissing, match="needs credentials"):
        check_credentials({"bind_address": "127.0.0.1"}, {})


def untracked_build_files() -> set[str]:
    found = set()
    for pattern in ("build", "*.egg-info", "dist", "project.egg-info"):
        found |= {str(p.relative_to(PROJECT)) for p in PROJECT.glob(pattern)}
    return found


@pytest.fixture(scope="module")
def deployed(scrapyd):
    url, _ = scrapyd
    before = untracked_build_files()
    setup_py = (PROJECT / "setup.py").read_text()
    # The target and its credentials come from the environment (SCRAPYD_URL: the one variable
    # that says where Scrapyd is), as scripts/deploy.sh and scrapy.cfg expect.
    env = {**os.environ, "SCRAPYD_URL": url, "SCRAPYD_USERNAME": USER, "SCRAPYD_PASSWORD": PASSWORD}
    result = subprocess.run(
        ["bash", "scripts/deploy.sh", "--version", "r1"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0 and '"status": "ok"' in result.stdout, result.stdout + result.stderr
    assert json.loads(result.stdout)["spiders"] == len(sites())  # one spider per registered site
    # Deploying leaves nothing behind in the work tree.
    assert untracked_build_files() == before and (PROJECT / "setup.py").read_text() == setup_py
    return url


def schedule(url: str, data_dir: Path, spider: str, archive: Path) -> dict:
    result = subprocess.run(
        [
            str(BIN / "newscrawl"),
            "schedule",
            "--once",
            "--url",
            url,
            "--username",
            USER,
            "--password",
            PASSWORD,
            "--data-dir",
            str(data_dir),
            "--setting",
            f"REPLAY_WARC={archive}",
            spider,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_finished(url: str, jobs: set[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = api(url, "listjobs.json", project="newscrawl")
        finished = {job["id"] for job in listing["finished"]}
        if jobs <= finished:
            return
        time.sleep(0.5)
    pytest.fail(f"jobs did not finish: {listing}")


def job_outputs(data_dir: Path, spider: str) -> list[tuple[list[dict], dict]]:
    """(items, stats) of each job of a spider, oldest first; a job without news kept no dataset file."""
    outputs = []
    for stats_file in sorted((data_dir / spider).glob(f"{spider}-*.stats.json")):
        feed = stats_file.with_name(stats_file.name.replace(".stats.json", ".jsonl"))
        items = [json.loads(line) for line in feed.read_text().splitlines()] if feed.exists() else []
        outputs.append((items, json.loads(stats_file.read_text())))
    return outputs


def test_scheduled_incremental_crawls(deployed, tmp_path):
    url = deployed
    data = tmp_path / "data"
    nu_job = schedule(url, data, "nu", FIXTURES / "nu" / "site.warc.gz")["nu"]
    # A second tick while the first job is pending or running starts nothing.
    assert schedule(url, data, "nu", FIXTURES / "nu" / "site.warc.gz") == {
        "nu": "skipped: a job is still pending or running"
    }
    wnl_job = schedule(url, data, "wnl", FIXTURES / "wnl" / "site.warc.gz")["wnl"]
    wait_finished(url, {nu_job, wnl_job})

    [(nu_items, nu_stats)] = job_outputs(data, "nu")
    [(wnl_items, wnl_stats)] = job_outputs(data, "wnl")
    assert (len(nu_items), len(wnl_items)) == (7, 8)
    assert nu_stats["finish_reason"] == wnl_stats["finish_reason"] == "finished"
    assert (data / "state.sqlite3").exists()
    [rejects] = (data / "nu" / "rejects").glob("nu-*.rejects.jsonl")  # one per job, each line with its job id
    assert {json.loads(line)["job"] for line in rejects.read_text().splitlines()} == {nu_job}

    # The site an hour later (tests/fixtures/nu/later.json): one article changed, one new article in the RSS feed.
    later = FIXTURES / "nu" / "later.warc.gz"
    jobs = {
        schedule(url, data, "nu", later)["nu"],
        schedule(url, data, "wnl", FIXTURES / "wnl" / "site.warc.gz")["wnl"],
    }
    wait_finished(url, jobs)

    _, (nu_items, nu_stats) = job_outputs(data, "nu")
    assert sorted((i["articleId"], i["metadata"]["revision"]) for i in nu_items) == [("6400103", 2), ("6400114", 1)]
    assert (nu_stats["run/new"], nu_stats["run/revised"]) == (1, 1)
    _, (wnl_items, wnl_stats) = job_outputs(data, "wnl")
    assert wnl_items == [] and wnl_stats["run/unchanged_skipped"] == 5
    # Nothing new for wnl: no empty job file, and the job's manifest says so.
    assert len(list((data / "wnl").glob("wnl-*.jsonl"))) == 1
    assert (
        sum(
            json.loads(m.read_text()).get("noNewArticles", False)
            for m in (data / "wnl").glob("wnl-*.jsonl.manifest.json")
        )
        == 1
    )
    # Figures for the record (printed with -s): requests made and items emitted by the second run.
    print(
        f"\nsecond run nu: {nu_stats['downloader/request_count']} requests, {len(nu_items)} items, "
        f"fetched={nu_stats['run/fetched']} not_modified={nu_stats['run/not_modified']} unchanged_skipped={nu_stats['run/unchanged_skipped']} "
        f"new={nu_stats['run/new']} revised={nu_stats['run/revised']}"
    )
    print(
        f"second run wnl: {wnl_stats['downloader/request_count']} requests, {len(wnl_items)} items, "
        f"fetched={wnl_stats['run/fetched']} not_modified={wnl_stats['run/not_modified']} unchanged_skipped={wnl_stats['run/unchanged_skipped']}"
    )


def test_every_scheduled_job_is_recorded_across_a_scrapyd_restart(deployed, scrapyd, tmp_path):
    """One job finished before Scrapyd restarted, one was running when it went down (the machine
    rebooted), one another client started: after the restart the run log has all three, the running one
    failed as lost."""
    import shutil
    import signal

    home = tmp_path / "scrapyd"
    home.mkdir()
    shutil.copytree(scrapyd[1] / "eggs", home / "eggs")  # the project as deployed
    port = scrapyd_home(home)
    data = tmp_path / "data"
    command = [str(BIN / "newscrawl"), "schedule", "--url", f"http://127.0.0.1:{port}"]
    command += ["--username", USER, "--password", PASSWORD, "--data-dir", str(data)]
    # An archive that is a FIFO no one writes to: the wnl job blocks opening it, still running when Scrapyd goes down.
    hang = tmp_path / "hang.warc.gz"
    os.mkfifo(hang)
    with running_scrapyd(home, port) as url:
        started = subprocess.run(
            [
                *command,
                "--once",
                "--setting",
                f"nu:REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
                "--setting",
                f"wnl:REPLAY_WARC={hang}",
                "nu",
                "wnl",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert started.returncode == 0, started.stderr
        jobs = json.loads(started.stdout.strip().splitlines()[-1])
        # A job started by other means than this scheduler (scrapyd-client, curl): Scrapyd's own
        # record of it is all there is, so it must survive the restart (SQLite job storage).
        from newscrawl.tools.scheduling import Scheduler
        from newscrawl.tools.scrapyd_client import Scrapyd

        server = Scrapyd(url, USER, PASSWORD)
        settings = Scheduler(server, "newscrawl", [], data).job_settings("nos")
        jobs["nos"] = server.schedule(
            "newscrawl", "nos", [*settings, ("REPLAY_WARC", str(FIXTURES / "nos" / "site.warc.gz"))], []
        )
        wait_finished(url, {jobs["nu"], jobs["nos"]})
        listing = api(url, "listjobs.json", project="newscrawl")
        assert [job["id"] for job in listing["running"]] == [jobs["wnl"]], listing
        [running] = listing["running"]
        assert running["id"] == jobs["wnl"]
    # Scrapyd is down; its job goes down with the machine.
    try:
        os.kill(int(running["pid"]), signal.SIGKILL)
    except ProcessLookupError:
        pass
    with running_scrapyd(home, port):
        recorded = subprocess.run([*command, "--record-only"], capture_output=True, text=True, timeout=60)
    assert recorded.returncode == 0, recorded.stderr
    log = {entry["job"]: entry for entry in map(json.loads, (data / "runs.jsonl").read_text().splitlines())}
    assert set(log) == {jobs["nu"], jobs["wnl"], jobs["nos"]}
    assert (log[jobs["nu"]]["status"], log[jobs["nu"]]["items"]) == ("ok", 7)
    assert (log[jobs["nos"]]["status"], log[jobs["nos"]]["items"]) == ("ok", 4)  # Scrapyd kept it across the restart
    assert (log[jobs["wnl"]]["status"], log[jobs["wnl"]]["finishReason"]) == ("failed", "lost")
    assert "Scrapyd no longer knows the job" in log[jobs["wnl"]]["problems"][0]
    assert "ended failed: Scrapyd no longer knows the job" in recorded.stderr  # and the log says so


def test_egg_free_scrapyd_serves_the_installed_project(tmp_path):
    port = free_port()
    (tmp_path / "scrapy.cfg").write_text(
        (PROJECT / "deploy" / "scrapy-eggfree.cfg")
        .read_text()
        .replace("http_port     = 6800", f"http_port     = {port}")
        .replace("max_proc      = 2", "max_proc      = 2\npoll_interval = 0.5")
    )
    with running_scrapyd(tmp_path, port) as url:
        assert api(url, "listspiders.json", project="newscrawl")["spiders"] == sorted(sites())
        job = schedule(url, tmp_path / "data", "nu", FIXTURES / "nu" / "site.warc.gz")["nu"]
        wait_finished(url, {job})
        [(items, _)] = job_outputs(tmp_path / "data", "nu")
        assert len(items) == 7
