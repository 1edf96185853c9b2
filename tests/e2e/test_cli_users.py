"""``jiuzhu user``: people who sign in to the web front, made and managed on the command line."""

from __future__ import annotations

import subprocess
import sys

from cli_support import Cli, set_up_binhai

import jiuzhu


def _with_stdin(cli: Cli, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jiuzhu.cli", *args], input=text,
                          capture_output=True, text=True, encoding="utf-8", env=cli.env(),
                          cwd=cli.cwd, timeout=120, check=False)  # fmt: skip


def test_a_user_made_on_the_command_line_signs_in_with_the_password_shown_once(cli: Cli) -> None:
    set_up_binhai(cli)
    made = cli.json("user", "create", "wangfang", "--role", "village", "--org", "320922100001",
                    "--name", "王芳", "--generate")  # fmt: skip
    assert made["org_name"] == "团结社区" and made["status"] == "active"
    svc = jiuzhu.connect(str(cli.db), upgrade=False)
    try:
        assert svc.sign_in("wangfang", made["password"]).actor.org == "320922100001"
    finally:
        svc.close()
    listed = cli.ok("user", "list").stdout
    assert "wangfang" in listed and "团结社区" in listed and made["password"] not in listed


def test_a_password_from_stdin_and_disable(cli: Cli) -> None:
    set_up_binhai(cli)
    done = _with_stdin(cli, "a long pass phrase\n", "user", "create", "lim", "--role", "township",
                       "--org", "320922100", "--name", "李明", "--password-stdin")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "a long pass phrase" not in done.stdout + done.stderr
    assert "已停用" in cli.ok("user", "disable", "lim").stdout
    assert cli.json("user", "list")[0]["status"] == "disabled"


def test_a_short_password_is_refused_in_both_languages_and_no_user_is_made(cli: Cli) -> None:
    set_up_binhai(cli)
    done = _with_stdin(cli, "short\n", "user", "create", "x", "--role", "county", "--org",
                       "320922", "--name", "x", "--password-stdin")  # fmt: skip
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "密码长度" in done.stderr and "10 to 128" in done.stderr
    assert cli.json("user", "list") == []
