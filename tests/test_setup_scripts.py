"""scripts/bootstrap.sh on a machine whose python3 cannot make a virtual environment (Debian
without python3-venv): one line saying what to install, and no half-made .venv left behind."""

import shutil
import subprocess

from conftest import PROJECT


def test_bootstrap_without_python3_venv_says_what_to_install(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(PROJECT / "scripts" / "bootstrap.sh", project / "scripts")
    shutil.copy(PROJECT / "pyproject.toml", project)
    # A .venv an earlier attempt left without pip: it must not be taken for a working one.
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").write_text("#!/bin/bash\nexit 1\n")
    (project / ".venv" / "bin" / "python").chmod(0o755)
    # A PATH with the shell's tools and a python3 without ensurepip, and no apt-get to install it with.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sha256sum", "cut", "dirname", "rm", "touch", "id", "cat"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    real = shutil.which("python3")
    (bin_dir / "python3").write_text(
        f'#!/bin/bash\nif [[ "$*" == *ensurepip* ]]; then echo "No module named ensurepip" >&2; exit 1; fi\nexec {real} "$@"\n'
    )
    (bin_dir / "python3").chmod(0o755)
    result = subprocess.run(
        [str(bin_dir / "bash"), "scripts/bootstrap.sh"],
        cwd=project,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "bootstrap: python3 cannot make a virtual environment: install python3-venv "
        "(sudo apt-get install python3-venv), then run this again"
    ]
    assert not (project / ".venv").exists()
