#!/usr/bin/python3
"""html-check.py - open a run folder's report.html in headless Chromium
(Debian's chromium) and check the page it builds.

  tests/html-check.py [--screenshots DIR] RUN_DIR [RUN_DIR...]

For each run folder, Chromium loads report.html from the folder
(file://) and dumps the DOM it built (--dump-dom); that DOM must have:
  - for every planned point of results.json, one section with its cell,
    case and status (data-cell, data-case, data-status) and one matrix
    cell with the same, linking to that section;
  - every link resolving: "#id" to an element of the page, anything else
    to a regular file inside the run folder (a relative path, no symlink
    on the way, nothing outside the folder); no absolute or external URL;
  - nothing fetched: no external stylesheet, no img, iframe, object or
    embed, no src attribute at all, and one script only, inline;
  - opened at a point's anchor (report.html#p-...), as a matrix cell links
    to it, that point's details are open (the page's script, allowed by
    its Content-Security-Policy);
  - the five plots; where the run has a stress point, the throughput and
    loss-knee plots drawn (SVG bars and lines), not "nothing to plot";
  - for a failed point, its failures listed; for a known defect, the
    defect named.
With --screenshots, Chromium also takes a screenshot of each page, kept
there as <run id>.png (it must be a PNG of some size).

Chromium runs with the flags this machine needs (no sandbox as root, no
GPU, no background networking) and a fresh, empty profile each time.
Prints one line per run folder; exits 1 on any problem, 2 on bad usage or
no chromium.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def run_chromium(exe, args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="nicq-chromium-") as prof:
        return subprocess.run([exe] + FLAGS + [f"--user-data-dir={prof}"] +
                              args, capture_output=True, timeout=timeout,
                              check=False)


class Dom(HTMLParser):
    """What the check needs from the DOM Chromium dumped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []
        self.sections = []      # (cell, case, status, id)
        self.matrix = []        # (cell, case, status)
        self.fetching = []
        self.scripts = 0
        self.open_details = []  # ids of point sections whose details are open
        self.section = None
        self.figures = {}       # id -> {"rect": n, "polyline": n, ...}
        self.fig = None
        self.depth_fig = 0
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "section" and "point" in (a.get("class") or "").split():
            self.sections.append((a.get("data-cell"), a.get("data-case"),
                                  a.get("data-status"), a.get("id")))
        if tag == "td" and "data-case" in a:
            self.matrix.append((a.get("data-cell"), a.get("data-case"),
                                a.get("data-status")))
        if tag == "section":
            self.section = a.get("id")
        if tag == "details" and "open" in a and self.section:
            self.open_details.append(self.section)
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "iframe", "object", "embed") or \
                "src" in a or (tag == "link" and
                               "stylesheet" in (a.get("rel") or "")):
            self.fetching.append(f"<{tag} {a}>")
        if tag == "figure":
            self.fig = a.get("id")
            self.figures[self.fig] = {}
        elif self.fig:
            self.figures[self.fig][tag] = self.figures[self.fig].get(tag,
                                                                      0) + 1

    def handle_endtag(self, tag):
        if tag == "figure":
            self.fig = None

    def handle_data(self, data):
        self.text.append(data)


def link_ok(run_dir, href):
    u = urlsplit(href)
    if u.scheme or u.netloc or href.startswith("/"):
        return f"not a relative link: {href}"
    path = unquote(u.path)
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return f"a path with empty, . or .. parts: {href}"
    cur = run_dir
    for p in parts:
        cur = os.path.join(cur, p)
        if os.path.islink(cur):
            return f"goes through a symlink: {href}"
    if not os.path.isfile(cur):
        return f"no such file in the run folder: {href}"
    return None


def check_run(exe, run_dir, shots, said):
    problems = []
    run_dir = os.path.abspath(run_dir)
    page = os.path.join(run_dir, "report.html")
    with open(os.path.join(run_dir, "results.json")) as f:
        res = json.load(f)
    r = run_chromium(exe, ["--dump-dom", "file://" + page])
    if r.returncode != 0 or b"</html>" not in r.stdout:
        return [f"chromium --dump-dom failed (exit {r.returncode}): "
                f"{r.stderr.decode(errors='replace')[-400:]}"], 0
    dom = Dom()
    dom.feed(r.stdout.decode("utf-8"))
    secs = {(c, k): (s, i) for c, k, s, i in dom.sections}
    mat = {(c, k): s for c, k, s in dom.matrix}
    n = 0
    for cell in res["cells"]:
        for p in cell["points"]:
            n += 1
            key = (cell["name"], p["case"])
            if key not in secs:
                problems.append(f"{key}: no section for the point")
            elif secs[key][0] != p["status"]:
                problems.append(f"{key}: section says {secs[key][0]}, "
                                f"results {p['status']}")
            if mat.get(key) != p["status"]:
                problems.append(f"{key}: matrix says {mat.get(key)}, "
                                f"results {p['status']}")
            if key in secs and "#" + secs[key][1] not in dom.links:
                problems.append(f"{key}: nothing links to its section")
    if len(dom.sections) != n or len(dom.matrix) != n:
        problems.append(f"{len(dom.sections)} sections and "
                        f"{len(dom.matrix)} matrix cells for {n} points")
    files = 0
    for href in dom.links:
        if href.startswith("#"):
            if href[1:] not in dom.ids:
                problems.append(f"link to a missing anchor: {href}")
            continue
        why = link_ok(run_dir, href)
        files += why is None
        if why:
            problems.append(why)
    if files == 0 and any(p["result"] for c in res["cells"]
                          for p in c["points"]):
        problems.append("no link to any file, yet points ran")
    problems += [f"fetches something: {x}" for x in dom.fetching]
    if dom.scripts != 1:
        problems.append(f"{dom.scripts} scripts, not the page's one")
    # a passing point's details open when the page is opened at it
    closed = [i for c, k, s, i in dom.sections if i not in dom.open_details]
    if closed:
        r = run_chromium(exe, ["--dump-dom", f"file://{page}#{closed[0]}"])
        at = Dom()
        at.feed(r.stdout.decode("utf-8"))
        if closed[0] not in at.open_details:
            problems.append(f"opened at #{closed[0]}, its details stay "
                            "closed")
    want = ["plot-throughput", "plot-knee", "plot-loss", "plot-boot",
            "plot-durations"]
    for fid in want:
        if fid not in dom.figures:
            problems.append(f"no figure {fid}")
    stress = any(p["case"] == "stress" and p["result"] and
                 p["result"]["verdict"] in ("pass", "fail")
                 for c in res["cells"] for p in c["points"])
    if stress:
        if dom.figures.get("plot-throughput", {}).get("rect", 0) < 4:
            problems.append("stress ran, but no throughput bars")
        if dom.figures.get("plot-knee", {}).get("polyline", 0) < 1:
            problems.append("stress ran, but no loss-knee lines")
    text = "".join(dom.text)
    for c in res["cells"]:
        for p in c["points"]:
            r0 = p["result"]
            if p["status"] == "fail":
                for line in r0["failures"][:5]:
                    if " ".join(line.split()) not in " ".join(text.split()):
                        problems.append(f"{c['name']} {p['case']}: failure "
                                        f"not shown: {line[:80]}")
            if p["status"] == "known" and \
                    r0["known_defect"]["defect"] not in text:
                problems.append(f"{c['name']} {p['case']}: defect not shown")
    if shots:
        os.makedirs(shots, exist_ok=True)
        png = os.path.join(shots, res["run"]["run_id"] + ".png")
        s = run_chromium(exe, ["--window-size=1280,2000",
                               f"--screenshot={png}", "file://" + page])
        if s.returncode != 0 or not os.path.exists(png):
            problems.append(f"no screenshot (exit {s.returncode})")
        else:
            with open(png, "rb") as f:
                head = f.read(8)
            if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 20000:
                problems.append(f"screenshot {png} is not a real PNG")
            else:
                said.append(f"html-check: screenshot {png}")
    said.append(f"html-check (chromium): {run_dir}: {n} points, {files} "
                f"file links, {len(problems)} problems")
    return problems, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshots")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()
    exe = chromium()
    if not exe:
        print("html-check: no chromium (Debian: apt-get install chromium)",
              file=sys.stderr)
        return 2
    def one(d):
        said = []
        try:
            problems, _ = check_run(exe, d, a.screenshots, said)
        except (OSError, ValueError, KeyError,
                subprocess.TimeoutExpired) as e:
            problems = [f"{d}: {e!r}"]
            said.append(f"html-check (chromium): {d}: cannot check")
        return said + ["  " + p for p in problems[:30]], len(problems)

    # two Chromiums at a time (each run folder its own, with its own
    # profile); what each says is printed together, in the given order
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        for said, n in ex.map(one, a.runs):
            print("\n".join(said))
            bad += n
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
