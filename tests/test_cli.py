"""`python -m bot run`, as a real process configured only by BOT_* variables."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.fakegram import FakeTelegram
from tests.harness import expect


async def test_python_m_bot_run_serves_citizens_and_stops_cleanly(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_TOKEN=fake.token, BOT_API_URL=fake.url, BOT_DATA_DIR=str(tmp_path / "d"),
               BOT_ADMINS="42", BOT_LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        alice = fake.user(first_name="Сараа")
        await alice.send("/start")
        await expect(alice, "Сайн байна уу", timeout=30)
        assert [c["command"] for c in fake.commands()][:2] == ["start", "complain"]
        assert fake.commands(language_code="en")  # both languages are published
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, output.decode()
    log = output.decode()
    assert "bot ready" in log and fake.token not in log
    assert (tmp_path / "d" / "secret.key").stat().st_mode & 0o777 == 0o600


async def test_python_m_bot_run_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "BOT_TOKEN" in output.decode()


async def test_content_check_names_file_field_and_reason(tmp_path: Path) -> None:
    shipped = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "content", "check",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(shipped.communicate(), timeout=30)
    assert shipped.returncode == 0, out.decode()
    assert "OK" in out.decode()
    broken = tmp_path / "content"
    (broken / "posts").mkdir(parents=True)
    (broken / "posts" / "bad.md").write_text("---\nid: Bad Id\nkind: rumour\n---\nТекст\n",
                                             encoding="utf-8")
    checked = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "content", "check", "--dir", str(broken),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(checked.communicate(), timeout=30)
    assert checked.returncode == 1
    assert "bad.md: id:" in out.decode() or "bad.md: kind:" in out.decode(), out.decode()


async def test_starting_the_bot_loads_no_chart_report_or_qr_library() -> None:
    # matplotlib, python-docx, openpyxl and segno load on first use: an idle bot stays
    # small and starts sooner (measured in docs/benchmarks.md).
    heavy = ["matplotlib", "numpy", "docx", "openpyxl", "segno", "PIL", "httpx"]
    probe = ("import sys, bot.__main__, bot.tg.app, bot.messenger.serve; "
             f"print([m for m in {heavy!r} if m in sys.modules])")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, stdout=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    assert output.decode().strip() == "['httpx']"  # PTB itself imports httpx
