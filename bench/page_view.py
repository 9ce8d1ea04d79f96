"""The next page on a school's network: from a student's tap on a link to the page drawn.

Run: `.venv/bin/python -m bench.page_view [--rtt 100 --mbps 20 --views 30 --rounds 3]`.

What a person waits for after the launch: the tool and its sandbox LMS run as `lti-pl demo`
ships them (gunicorn, SQLite, the demo course); Debian's Chromium launches a student in the
LMS's frame, then opens the student's pages one after another inside that frame on a network
throttled by the browser (DevTools: `--rtt` ms added to each request, `--mbps` both ways). For each
view the browser's own clocks give the first contentful paint (the page drawn, with its
stylesheet) and the end of the load; the baseline, measured in the same frame on the same network
right after, is one `fetch()` of the same page's HTML: the one round trip nothing can avoid. The
ratio says how much longer than that round trip a person waits (1.0 would be the page's own
request alone). Also printed: requests the tool answered per view (its access log). Then the
same student's next launch (a later lesson, the assets cached): the click on the LMS's launch
button to the tool's page drawn, through the sandbox LMS's launch page, the OIDC login, the
platform's auth and the launch POST.

`LTI_PL_BENCH_PYTHONPATH` runs the servers on another checkout (an A/B against an older commit).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import VENV_BIN, Server, free_port, serve, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The student's pages visited in turn (paths under the course).
PAGES = ("/learn/targets", "/learn/binder", "/learn/", "/learn/profile")

TIMING_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {paint: paint ? paint.startTime : null, load: nav.loadEventEnd,
          html: nav.responseEnd};
}"""
#: When the page was drawn, on the clock all of the browser's documents share (epoch ms).
PAINTED_AT_JS = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const nav = performance.getEntriesByType("navigation")[0];
  return performance.timeOrigin + (paint ? paint.startTime : nav.loadEventEnd);
}"""
FETCH_JS = """async () => {
  const start = performance.now();
  const response = await fetch(location.href, {cache: "no-store", credentials: "include"});
  await response.text();
  return performance.now() - start;
}"""


@contextmanager
def demo(folder: Path) -> Iterator[tuple[Server, str]]:
    """`lti-pl demo` on free ports with its own instance folder: (the tool, the sandbox's URL)."""
    port, sandbox_port = free_port(), free_port()
    env = {"LTI_PL_INSTANCE_PATH": str(folder), "PYTHONUNBUFFERED": "1"}  # its access log at once
    if os.environ.get("LTI_PL_BENCH_PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["LTI_PL_BENCH_PYTHONPATH"]
    command = [str(VENV_BIN / "lti-pl"), "demo", "--port", str(port)]
    with serve([*command, "--sandbox-port", str(sandbox_port)], env, "/healthz", port) as tool:
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        wait_for(sandbox + "/")
        yield tool, sandbox


def requests_answered(tool: Server) -> int:
    """The requests the tool has answered so far (the lines of its access log)."""
    return sum(len(times) for times in tool.access_times().values())


def one_round(
    playwright: Any, tool: Server, sandbox: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Launch a student, throttle the network, open `args.views` pages: each one's figures."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_context(viewport={"width": 800, "height": 900}).new_page()
        page.goto(sandbox + "/")
        page.get_by_role("button", name=re.compile(r"^Launch as Ben Okafor ")).click()
        page.frame_locator("#tool-frame").locator("h1").first.wait_for()
        page.wait_for_load_state("networkidle")
        frame = page.frame(name="tool_frame")
        assert frame is not None
        course = re.match(r"(.*/courses/\d+)", frame.url)
        assert course, frame.url
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        bytes_per_second = args.mbps * 1_000_000 / 8
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": args.rtt,
                "downloadThroughput": bytes_per_second,
                "uploadThroughput": bytes_per_second,
            },
        )
        for path in PAGES:  # each page once, unmeasured: what a student opened before
            frame.goto(course.group(1) + path)
        launches, launch_counts = [], []
        for _ in range(args.launches):  # the same student launches again (a later lesson)
            page.goto(sandbox + "/")
            before = requests_answered(tool)
            clicked = page.evaluate("() => performance.timeOrigin + performance.now()")
            page.get_by_role("button", name=re.compile(r"^Launch as Ben Okafor ")).click()
            page.frame_locator("#tool-frame").locator("h1").first.wait_for()
            frame = page.frame(name="tool_frame")
            assert frame is not None
            frame.wait_for_load_state("load")
            drawn = frame.evaluate(PAINTED_AT_JS)
            page.wait_for_timeout(50)
            launches.append(drawn - clicked)
            launch_counts.append(requests_answered(tool) - before)
        paints, loads, fetches, counts = [], [], [], []
        for view in range(args.views):
            before = requests_answered(tool)
            frame.goto(course.group(1) + PAGES[view % len(PAGES)], wait_until="load")
            timing = frame.evaluate(TIMING_JS)
            page.wait_for_timeout(50)  # the access log line of the last request
            counts.append(requests_answered(tool) - before)
            paints.append(timing["paint"] if timing["paint"] is not None else timing["load"])
            loads.append(timing["load"])
            fetches.append(frame.evaluate(FETCH_JS))
        return {
            "paint": paints,
            "load": loads,
            "fetch": fetches,
            "requests": counts,
            "launch": launches,
            "launch requests": launch_counts,
        }
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=100.0, help="ms added to each request")
    parser.add_argument("--mbps", type=float, default=20.0, help="throughput, each way")
    parser.add_argument("--views", type=int, default=24)
    parser.add_argument("--launches", type=int, default=6, help="repeat launches per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    lines = [
        f"a student's next page in the LMS frame, {args.views} views x {args.rounds} rounds,"
        f" +{args.rtt:.0f} ms per request, {args.mbps:.0f} Mbit/s (lti-pl demo defaults)",
        f"{'round':>5} {'paint p50':>10} {'load p50':>9} {'fetch p50':>10} {'paint/fetch':>12}"
        f" {'requests/view':>14}",
    ]
    ratios, launch_ratios, launch_lines = [], [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        demo(Path(tmp)) as (tool, sandbox),
        sync_playwright() as playwright,
    ):
        for round_ in range(args.rounds):
            figures = one_round(playwright, tool, sandbox, args)
            paint = statistics.median(figures["paint"])
            fetch = statistics.median(figures["fetch"])
            ratios.append(paint / fetch)
            launch = statistics.median(figures["launch"])
            launch_ratios.append(launch / fetch)
            launch_lines.append(
                f"{round_ + 1:>5} {launch:>8.1f}ms {launch / fetch:>13.2f}"
                f" {statistics.mean(figures['launch requests']):>14.1f}"
            )
            lines.append(
                f"{round_ + 1:>5} {paint:>8.1f}ms {statistics.median(figures['load']):>7.1f}ms"
                f" {fetch:>8.1f}ms {paint / fetch:>12.2f}"
                f" {statistics.mean(figures['requests']):>14.1f}"
            )
    lines.append(
        "paint / one fetch of the page (baseline), min / median / max over rounds:"
        f" {min(ratios):.2f} / {statistics.median(ratios):.2f} / {max(ratios):.2f}"
        " (1.0: the person waits only for the page's own request)"
    )
    lines += [
        "the same student's next launch (click in the LMS to the tool's page drawn):",
        f"{'round':>5} {'launch p50':>10} {'launch/fetch':>13} {'requests/launch':>15}",
        *launch_lines,
        "launch / one fetch of a page, min / median / max over rounds:"
        f" {min(launch_ratios):.2f} / {statistics.median(launch_ratios):.2f}"
        f" / {max(launch_ratios):.2f} (round trips, about: the sandbox LMS's own launch page,"
        " its storage frame and its launch form take 3-4, the OIDC login, the platform's auth"
        " and the launch 3; requests: what the tool answered)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
