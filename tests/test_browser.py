"""The app in a real browser: Debian's headless Chromium driven by Playwright.

The test starts ``streamlit run app.py`` on a free port, waits for ``/_stcore/health``, loads the
sample city, changes the response level and waits for new KPIs, edits one depot's stock in the
Drugs tab's data editor (a canvas: edited by mouse position) and logs how long the new figures
took, downloads the plan's xlsx and opens it, checks that the map fetched nothing from the
internet, and switches to Chinese. Screenshots go to ``test-artifacts/`` (gitignored).

Without ``/usr/bin/chromium`` (or Playwright) the test is skipped, unless ``CI`` is set: in CI it
must run (``.ci/run`` installs ``chromium`` and ``fonts-wqy-microhei``). Timings are printed, never
asserted.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from planner.ui.stage_tabs import EDIT_COLUMN_WIDTH, ID_COLUMN_WIDTH

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT_S = 90
SOLVE_TIMEOUT_MS = 180_000
VIEWPORT = {"width": 1600, "height": 2400}
"""Tall: a screenshot captures the viewport only (Streamlit scrolls inside its own container)."""
LOCAL_HOSTS = ("http://localhost", "http://127.0.0.1", "ws://localhost", "ws://127.0.0.1", "data:", "blob:")
HEADER_HEIGHT_PX = 35
ROW_HEIGHT_PX = 35

pytestmark = pytest.mark.browser


def _skip_or_fail(reason: str) -> None:
    """Skip on a developer machine; under CI a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser test must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"streamlit did not become healthy within {timeout_s} s")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port; stopped by its process id afterwards."""
    if not CHROMIUM.exists():
        _skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("playwright is not installed")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, STARTUP_TIMEOUT_S)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
    print(f"streamlit log: {log_path}")


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[Any]:
    """A Chromium page on the app, with every request to another host recorded in ``page.external``."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        tab = context.new_page()
        external: list[str] = []
        tab.on("request", lambda request: None if request.url.startswith(LOCAL_HOSTS) else external.append(request.url))
        tab.external = external
        try:
            yield tab
        finally:
            context.close()
            browser.close()


def _settled(page: Any) -> None:
    """Wait until the script has finished its run (it flips to running ~0.1 s after an action)."""
    time.sleep(0.3)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=SOLVE_TIMEOUT_MS)


def _metric(page: Any, label: str) -> Any:
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    time.sleep(0.5)
    _settled(page)


def _edit_first_cell(page: Any, editor: Any, column: int, text: str) -> float:
    """Type ``text`` into the first row's cell of ``column`` (0 = the id column) of a data editor.

    Returns the monotonic time at which the edit was committed (Enter).
    """
    from playwright.sync_api import expect

    editor.wait_for(state="visible")
    editor.scroll_into_view_if_needed()
    time.sleep(1.0)  # let the grid lay out its canvas
    box = editor.bounding_box()
    assert box is not None
    # the id and editable columns have fixed widths (planner.ui.stage_tabs); aim at the middle of the cell
    x = box["x"] + (ID_COLUMN_WIDTH if column else 0) + EDIT_COLUMN_WIDTH * max(column - 1, 0)
    x += (EDIT_COLUMN_WIDTH if column else ID_COLUMN_WIDTH) / 2
    y = box["y"] + HEADER_HEIGHT_PX + ROW_HEIGHT_PX / 2
    page.mouse.dblclick(x, y)
    cell = page.locator("input.gdg-input")  # the grid's overlay editor
    cell.wait_for(timeout=10_000)
    cell.press("Control+A")
    cell.type(text)
    expect(cell).to_have_value(text)
    time.sleep(0.3)  # let the grid take the new value before Enter commits it
    started = time.monotonic()
    cell.press("Enter")
    return started


VIEWS: dict[str, tuple[str, ...]] = {
    "en": ("Overview", "Observation", "Ambulances", "Nurses", "Drugs", "Map", "Compare", "Risk"),
    "zh": ("总览", "集中健康观察", "120 急救", "护理人员", "药品物资", "地图", "情景对比", "风险分析"),
}
"""The tab labels (planner.ui.views.VIEWS) as the reader sees them."""


def _selected_tab(page: Any) -> str:
    return str(page.get_by_role("tab", selected=True).first.inner_text()).strip()


def _download(page: Any, label: str, tmp_path: Path) -> Path:
    with page.expect_download(timeout=SOLVE_TIMEOUT_MS) as download_info:
        page.get_by_test_id("stDownloadButton").filter(has_text=label).first.locator("button").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    return target


def _screenshots(page: Any, language: str) -> None:
    """Every view in ``language``, one screenshot each (test-artifacts/views-<language>-<n>-<view>.png)."""
    for index, view in enumerate(VIEWS[language]):
        _open_tab(page, view)
        time.sleep(2.0 if index == 5 else 0.3)  # the map draws after the script ends
        name = VIEWS["en"][index].lower()
        page.screenshot(path=str(ARTIFACTS / f"views-{language}-{index}-{name}.png"))


def test_level_change_edit_download_and_language(page: Any, app_url: str, tmp_path: Path) -> None:
    try:
        _walk_through(page, app_url, tmp_path)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure.png"))
        raise


def test_a_coordinator_stays_where_she_is_reads_chinese_and_fills_in_her_district(
    page: Any, app_url: str, tmp_path: Path
) -> None:
    try:
        _coordinator(page, app_url, tmp_path)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-coordinator.png"))
        raise


def _coordinator(page: Any, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(app_url, wait_until="domcontentloaded")
    placed = _metric(page, "Persons placed in observation")
    placed.wait_for(timeout=SOLVE_TIMEOUT_MS)
    _settled(page)
    sample_placed = placed.inner_text()

    # keep a scenario on the Drugs view: the Drugs view stays
    _open_tab(page, "Drugs")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Keep this scenario").click()
    expect(page.get_by_test_id("stAlert").filter(has_text="Kept scenario")).to_be_visible(timeout=60_000)
    _settled(page)
    assert _selected_tab(page) == "Drugs"
    expect(page.get_by_text("Depots (drug and supplies reserves)").first).to_be_visible()

    # switch the language: still on the Drugs view, now in Chinese
    sidebar.get_by_text("中文", exact=True).click()
    expect(page.get_by_role("tab", name="药品物资", exact=True)).to_be_visible(timeout=60_000)
    _settled(page)
    assert _selected_tab(page) == "药品物资"
    expect(page.get_by_text("药品物资储备库", exact=True).first).to_be_visible()

    # the Chinese workbook: Chinese sheet names and headers, names beside ids
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "方案（.xlsx）", tmp_path).read_bytes()), read_only=True)
    assert book.sheetnames[:2] == ["概要", "合规检查"]
    headers = next(book["集中健康观察点"].iter_rows(values_only=True, max_row=1))
    assert headers[:2] == ("集中健康观察点编号", "集中健康观察点")
    pdf = _download(page, "一页摘要（.pdf）", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")

    # every view in Chinese, then in English, screenshots to look at
    _screenshots(page, "zh")

    # the district view: 丰台区's part of the plan, with what crosses its border
    _open_tab(page, "总览")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="显示范围").click()
    page.get_by_role("option", name="丰台区 (110106)").click()
    expect(page.get_by_text("跨区往来", exact=True)).to_be_visible(timeout=60_000)
    _settled(page)
    page.screenshot(path=str(ARTIFACTS / "views-zh-district-110106.png"))
    workbook = _download(page, "方案（.xlsx）", tmp_path)
    assert workbook.name == "epiplan-prevalent-110106-zh.xlsx"
    assert "跨区往来" in openpyxl.load_workbook(workbook, read_only=True).sheetnames
    _open_tab(page, "地图")
    time.sleep(2)
    page.screenshot(path=str(ARTIFACTS / "views-zh-district-110106-map.png"))
    sidebar.get_by_test_id("stSelectbox").filter(has_text="显示范围").click()
    page.get_by_role("option", name="全部区").click()
    _settled(page)

    # the template round trip: this dataset written into the template, uploaded, plans to the same figures
    template = _download(page, "当前数据（模板格式）", tmp_path)
    sidebar.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(template))
    expect(sidebar.get_by_text(template.name)).to_be_visible(timeout=60_000)
    chinese_placed = _metric(page, "集中健康观察已安置人数")
    expect(chinese_placed).to_have_text(sample_placed, timeout=SOLVE_TIMEOUT_MS)
    _settled(page)
    assert page.get_by_test_id("stAlert").filter(has_text="错误").count() == 0

    sidebar.get_by_text("English", exact=True).click()
    expect(page.get_by_role("tab", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    _settled(page)
    _screenshots(page, "en")


def _walk_through(page: Any, app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    page.goto(app_url, wait_until="domcontentloaded")
    placed = _metric(page, "Persons placed in observation")
    placed.wait_for(timeout=SOLVE_TIMEOUT_MS)
    _settled(page)
    print(f"\nfirst load with a solve of the sample city: {time.monotonic() - started:.1f} s")
    page.screenshot(path=str(ARTIFACTS / "01-overview-en.png"))
    # the sample's barrier-free rooms are all used at prevalent and severe (2023 rules): the unplaced differ
    without = _metric(page, "Persons without a room")
    prevalent = without.inner_text()

    # the response level: new KPIs
    started = time.monotonic()
    page.get_by_test_id("stSidebar").get_by_text("severe", exact=True).click()
    expect(without).not_to_have_text(prevalent, timeout=SOLVE_TIMEOUT_MS)
    _settled(page)
    print(f"level prevalent -> severe, new KPIs after {time.monotonic() - started:.1f} s")
    assert without.inner_text() != prevalent
    page.screenshot(path=str(ARTIFACTS / "02-severe.png"))

    # one what-if edit in the data editor: the first depot's antipyretic stock to 0
    _open_tab(page, "Drugs")
    short = _metric(page, "Drug packs short")
    before = short.inner_text()
    editor = page.locator('[role="tabpanel"]:visible').get_by_test_id("stDataFrame").first
    started = _edit_first_cell(page, editor, column=1, text="0")
    expect(short).not_to_have_text(before, timeout=SOLVE_TIMEOUT_MS)
    seconds = time.monotonic() - started
    _settled(page)
    boxes = page.get_by_test_id("stExpander").filter(has_text="Plan ready in")
    status = "the solve's own time not shown: the run after the edit found the plan solved"
    if boxes.count():  # the editor may rerun once more after the edit is stored: the cached plan is shown then
        status = next(line for line in boxes.first.inner_text().splitlines() if "Plan ready in" in line)
    print(f"re-solve after one edit (depot stock): new figures in the browser after {seconds:.2f} s ({status})")
    print(f"drug packs short: {before} -> {short.inner_text()}")
    (ARTIFACTS / "browser-timings.txt").write_text(
        f"re-solve of the sample city after one edit (depot stock), new figures in the browser: {seconds:.2f} s"
        f" ({status})\n",
        encoding="utf-8",
    )
    page.screenshot(path=str(ARTIFACTS / "03-after-edit-drugs.png"))

    # the plan as xlsx
    target = _download(page, "Plan (.xlsx)", tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(target.read_bytes()), read_only=True)
    assert target.name == "epiplan-severe-en.xlsx"
    assert {"Summary", "Compliance"} <= set(book.sheetnames)

    # the map: drawn without fetching anything from the internet
    _open_tab(page, "Map")
    page.get_by_test_id("stDeckGlJsonChart").wait_for(timeout=60_000)
    time.sleep(2)
    page.screenshot(path=str(ARTIFACTS / "04-map.png"))
    assert page.external == [], f"requests to other hosts: {page.external[:5]}"

    # 中文
    _open_tab(page, "Overview")
    page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()
    expect(page.get_by_role("tab", name="总览", exact=True)).to_be_visible(timeout=60_000)
    _settled(page)
    expect(_metric(page, "集中健康观察已安置人数")).to_be_visible()
    page.get_by_role("tab", name="总览", exact=True).click()
    time.sleep(1)
    page.screenshot(path=str(ARTIFACTS / "05-overview-zh.png"))
    checked = page.get_by_test_id("stSidebar").locator("input[type=radio]:checked")
    expect(checked).to_have_count(2)  # one choice in each radio group: the level and the plan kind
