"""The install the README gives works with Debian's packages alone: no package index, no build isolation."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PACKAGE_ROOT


def test_should_install_into_a_venv_that_sees_the_system_packages(tmp_path):
    if subprocess.run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True).returncode != 0:
        pytest.skip("python3-venv is not installed")
    source = tmp_path / "python"
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns("tests", "bench", "build", "*.egg-info",
                                                                         "__pycache__", "target"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)  # only what this machine's Debian packages hold
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", str(source)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import losswatch, losswatch.torch; print(losswatch.__version__, losswatch.__file__)"],
                         capture_output=True, text=True, cwd=tmp_path, check=True).stdout.split()
    assert out[0] == "0.1.0" and out[1].startswith(str(venv))
