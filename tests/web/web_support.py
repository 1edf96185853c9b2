"""Helpers of the browser tests: the people, the site, screenshots, waiting marks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import Org

from jiuzhu import CaseService, FakeClock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
PASSWORD = "Jiuzhu-test-2024"
# user name -> (role, the Org attribute of its unit, display name)
PEOPLE = {
    "cun": ("village", "village", "王村干"),
    "zhen": ("township", "township", "李镇干"),
    "xian": ("county", "county", "张科长"),
    "hedui": ("verification_centre", "centre", "赵核对"),
    "shenji": ("auditor", "auditor", "孙审计"),
    "linju": ("village", "neighbour_village", "钱村干"),
}


@dataclass
class Site:
    """The server pointed at this test's service, and the people who sign in to it."""

    base_url: str
    svc: CaseService
    org: Org
    clock: FakeClock
    browser: Any

    def page(self, width: int = 1280, height: int = 900) -> Any:
        context = self.browser.new_context(viewport={"width": width, "height": height},
                                           base_url=self.base_url, locale="zh-CN")  # fmt: skip
        context.set_default_timeout(15_000)
        return context.new_page()

    def sign_in(self, user: str, page: Any = None, password: str = PASSWORD) -> Any:
        page = page or self.page()
        page.goto("/sign-in")
        page.get_by_label("用户名").fill(user)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^(?!.*/sign-in).*$"))
        return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
