"""The GUI (gui/, served by vtapd at /) in Debian's Chromium, headless, driven by Playwright:
a tenant signs in, adds a policy through the form and sees it in the table and on the switch
(ovs-ofctl decides), real packets make the counters on the page rise without a reload, the
filter is modified, a bad MAC is shown next to Sender with nothing changed, the policy is
removed after a confirmation, and another tenant's page never shows it. Also: the explain
panel, the topology drawing with a policy's path, accessible names, and no CSP violation.

No browser is downloaded: Playwright drives /usr/bin/chromium (apt packages chromium and
chromium-driver). Without them or without the playwright module the tests skip, except in CI.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from prerequisites import missing
from test_api import api, compiled_state, installed  # noqa: F401  (api: the fixture)
from topo_helpers import tcp
from vtapd import ADMIN, TENANT_A, TENANT_B

CHROMIUM = Path("/usr/bin/chromium")
COOKIE = "cookie=0x7674"
TIMEOUT_MS = 15_000

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the fixture: skipped locally, failed in CI
    expect = sync_playwright = None


@pytest.fixture(scope="module")
def chromium():
    if sync_playwright is None:
        missing("the playwright Python module is not installed (scripts/test.sh installs it from PyPI)")
    if not CHROMIUM.is_file():
        missing(f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium chromium-driver)")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Session:
    """One browser context (its own sessionStorage) signed in with a token; records page
    errors and Content-Security-Policy violations, which must never happen."""

    def __init__(self, browser, url: str, token: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        # Refused requests (the 400s the test provokes)
        # are logged by Chromium as "Failed to load resource"; anything else is a problem.
        self.page.on("console", lambda m: self.problems.append(f"console: {m.text}")
                     if "Content Security Policy" in m.text
                     or (m.type == "error" and not m.text.startswith("Failed to load resource")) else None)
        self.page.goto(url + "/")
        # Keyboard only: the Token field, then Enter.
        self.page.get_by_label("Token").fill(token)
        self.page.get_by_label("Token").press("Enter")
        expect(self.page.locator("#live")).to_have_text(re.compile("^live"))
        # A marker that survives only as long as the page is not reloaded.
        self.page.evaluate("window.__notReloaded = true")

    def row(self, pid: int):
        return self.page.locator(f'#policies tbody tr[data-id="{pid}"]')

    def cell(self, pid: int, column: str):
        return self.row(pid).locator(f"td.{column}")

    def rows(self):
        return self.page.locator("#policies tbody tr")

    def check(self) -> None:
        assert self.page.evaluate("window.__notReloaded === true"), "the page was reloaded"
        assert self.problems == [], self.problems

    def close(self) -> None:
        self.context.close()


def api_policies(daemon, token=ADMIN) -> list[dict]:
    r = daemon.request("GET", "/v1/policies", token=token)
    assert r.status_code == 200, r.text
    return r.json()["policies"]


def libvtap_flows(net, switch: str) -> list[str]:
    return [f for f in net.ovs.ofctl("-O", "OpenFlow15", "dump-flows", switch).splitlines() if COOKIE in f]


def send(net, count: int) -> None:
    for _ in range(count):
        got = net.deliver("vm1", tcp("vm1", "vm2", dport=80))
        assert len(got["vm2"]) == 1 and len(got["vm3"]) == 1, got  # delivered, and copied to the monitor
    net.ovs.appctl("revalidator/purge")  # flow counters up to date now


def test_a_tenant_manages_a_policy_in_the_browser(api, chromium, vtapctl, tmp_path):  # noqa: F811
    daemon, net, doc = api
    a = Session(chromium, daemon.url, TENANT_A)
    b = Session(chromium, daemon.url, TENANT_B)
    try:
        expect(a.page.locator("#who")).to_have_text("tenant t1")
        expect(b.page.locator("#who")).to_have_text("tenant t2")
        page = a.page

        # Add through the form; VMs are picked by name (the datalist offers the tenant's own).
        offered = page.locator("#vm-list option").evaluate_all("os => os.map(o => o.value)")
        assert sorted(offered) == ["vm1", "vm2", "vm3"]
        page.get_by_label("Name").fill("web")
        page.get_by_label("Sender").fill("vm1")
        page.get_by_label("Receiver").fill("vm2")
        page.get_by_label("Monitor").fill("vm3")
        page.get_by_label("Filter").fill("tcp,tp_dst=80")
        page.get_by_role("button", name="Add policy").click()
        expect(a.row(1)).to_contain_text("web")
        expect(a.cell(1, "state")).to_have_text("active")
        expect(a.cell(1, "packets")).to_have_text("0")
        [added] = api_policies(daemon)
        assert added == {"id": 1, "name": "web", "tenant": "t1", "sender": {"mac": "fa:00:00:00:00:01"},
                         "receiver": {"mac": "fa:00:00:00:00:02"}, "monitor": {"mac": "fa:00:00:00:00:03"},
                         "filter": "tcp,tp_dst=80"}, added
        assert any("tp_dst=80" in f for f in libvtap_flows(net, "s1")), libvtap_flows(net, "s1")
        assert installed(net) == compiled_state(vtapctl, tmp_path, net, doc, [added])

        # Real packets: the counters rise on the page, without a reload.
        send(net, 3)
        expect(a.cell(1, "packets")).to_have_text("3")
        expect(a.cell(1, "copies")).to_have_text("3")
        page.wait_for_function(
            "() => parseFloat(document.querySelector('#policies tr[data-id=\"1\"] td.rate').textContent) > 0")
        send(net, 2)
        expect(a.cell(1, "copies")).to_have_text("5")
        # Tenant t2's page shows none of it.
        expect(b.rows()).to_have_count(0)
        expect(b.page.locator("#no-policies")).to_be_visible()

        # Modify the filter: Save, and the switch follows.
        page.get_by_role("button", name="Edit policy 1 (web)").click()
        expect(page.get_by_label("Sender")).to_have_value("vm1")
        page.get_by_label("Filter").fill("tcp,tp_dst=443")
        page.get_by_role("button", name="Save").click()
        expect(a.cell(1, "filter")).to_have_text("tcp,tp_dst=443")
        expect(page.get_by_role("button", name="Add policy")).to_be_visible()
        [modified] = api_policies(daemon)
        assert modified == dict(added, filter="tcp,tp_dst=443"), modified
        flows = libvtap_flows(net, "s1")
        assert any("tp_dst=443" in f for f in flows) and not any("tp_dst=80" in f for f in flows), flows
        assert installed(net) == compiled_state(vtapctl, tmp_path, net, doc, [modified])

        # A bad MAC: vtapd's message next to Sender, nothing applied (adding, then modifying).
        before = installed(net)
        sender_error = page.locator(".field", has=page.get_by_label("Sender")).locator(".field-error")
        page.get_by_label("Sender").fill("fa:00:00:00:00:zz")
        page.get_by_label("Receiver").fill("vm2")
        page.get_by_label("Monitor").fill("vm3")
        page.get_by_role("button", name="Add policy").click()
        expect(sender_error).to_contain_text('invalid MAC address "fa:00:00:00:00:zz"')
        expect(page.get_by_label("Sender")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Sender")).to_be_focused()
        page.get_by_role("button", name="Edit policy 1 (web)").click()
        expect(sender_error).to_be_empty()
        page.get_by_label("Sender").fill("fa:00:00:00:00:zz")
        page.get_by_role("button", name="Save").click()
        expect(sender_error).to_contain_text("MAC")
        page.get_by_role("button", name="Cancel").click()
        assert api_policies(daemon) == [modified]
        assert installed(net) == before
        expect(a.rows()).to_have_count(1)
        expect(a.cell(1, "filter")).to_have_text("tcp,tp_dst=443")

        # Tenant t2's own policy, added elsewhere, shows on its page and never on t1's.
        r = daemon.request("POST", "/v1/policies", token=TENANT_B, json={
            "name": "b-only", "sender": {"mac": "fa:00:00:00:00:04"}, "receiver": {"mac": "fa:00:00:00:00:05"},
            "monitor": {"mac": "fa:00:00:00:00:06"}})
        assert r.status_code == 201, r.text
        b_id = r.json()["id"]
        expect(b.row(b_id)).to_contain_text("b-only")
        expect(b.rows()).to_have_count(1)
        expect(b.page.locator("#policies")).not_to_contain_text("web")
        page.wait_for_timeout(1500)  # two polls and the event stream: nothing of t2's arrives
        expect(a.rows()).to_have_count(1)
        expect(page.locator("#policies")).not_to_contain_text("b-only")
        expect(page.locator("#events")).not_to_contain_text(f"policy {b_id}")

        # Remove, with a confirmation: Cancel keeps it, Remove takes it off every switch.
        page.get_by_role("button", name="Remove policy 1 (web)").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Remove policy 1 (web)?")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert [p["id"] for p in api_policies(daemon, TENANT_A)] == [1]
        page.get_by_role("button", name="Remove policy 1 (web)").click()
        dialog.get_by_role("button", name="Remove", exact=True).click()
        expect(a.rows()).to_have_count(0)
        expect(page.locator("#no-policies")).to_be_visible()
        assert api_policies(daemon, TENANT_A) == []
        remaining = [f for sw in ("s1", "s2") for f in libvtap_flows(net, sw)]
        assert not any("fa:00:00:00:00:01" in f for f in remaining), remaining  # policy 1's rules are gone
        assert any("dl_src=fa:00:00:00:00:04" in f for f in remaining), remaining  # t2's policy stays
        expect(page.locator("#events")).to_contain_text("applied policy 1: removed")
        expect(b.rows()).to_have_count(1)
        a.check()
        b.check()
    finally:
        a.close()
        b.close()


def test_explain_topology_and_accessibility(api, chromium):  # noqa: F811
    daemon, _, _ = api
    r = daemon.request("POST", "/v1/policies", json={
        "id": 1, "name": "http", "tenant": "t1", "sender": {"mac": "fa:00:00:00:00:01", "ip": "10.1.1.1"},
        "receiver": {"mac": "fa:00:00:00:00:02"}, "monitor": {"mac": "fa:00:00:00:00:03"},
        "filter": "tcp,tp_dst=80", "direction": "both", "truncate": 64, "rate_limit": {"pktps": 100}})
    assert r.status_code == 201, r.text
    a = Session(chromium, daemon.url, TENANT_A)
    admin = Session(chromium, daemon.url, ADMIN)
    try:
        page = a.page
        expect(a.row(1)).to_contain_text("vm1 fa:00:00:00:00:01, 10.1.1.1")
        expect(a.row(1)).to_contain_text("both directions; truncate 64 B; limit 100 pkt/s")

        # Explain: which monitor gets a copy, and why; a packet without a sender is refused.
        page.get_by_label("Packet", exact=True).fill(
            "tcp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_dst=80")
        page.get_by_role("button", name="Explain").click()
        answer = page.locator("#explanation")
        expect(answer).to_contain_text("1 copy of this packet from vm1")
        expect(answer).to_contain_text("vm3, for policy 1")
        expect(answer.locator("table.verdicts tbody tr").first).to_contain_text("yes")
        page.get_by_label("Packet", exact=True).fill("tcp,tp_dst=80")
        page.get_by_role("button", name="Explain").click()
        expect(page.locator("#e-packet")).not_to_be_empty()

        # The topology: switches, the link, the tenant's VMs only; then the policy's path.
        svg = page.locator("#topology svg")
        expect(svg.locator(".switch text")).to_have_text(["s1", "s2"])
        expect(svg.locator(".vm text")).to_have_text(["vm1", "vm2", "vm3"])
        expect(svg.locator(".link")).to_have_count(1)
        page.get_by_label("Path of policy").select_option("1")
        expect(page.locator("#path-text")).to_contain_text("s1 → s2")
        expect(svg.locator(".switch.on-path")).to_have_count(2)
        expect(svg.locator(".link.path")).to_have_count(1)
        expect(svg.locator(".vm.role-monitor text")).to_have_text("vm3")

        # Every control has an accessible name; everything is reachable by Tab.
        unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea')]
            .filter(e => e.offsetParent !== null)
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby') && !e.textContent.trim())
            .map(e => e.outerHTML)""")
        assert unnamed == []
        page.get_by_label("Sender").focus()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Receiver")).to_be_focused()

        # The administrator sees every tenant's VMs and is named so.
        expect(admin.page.locator("#who")).to_have_text("administrator")
        expect(admin.page.locator("#topology svg .vm text")).to_have_count(6)
        expect(admin.page.get_by_label("Tenant", exact=True)).to_be_visible()
        expect(admin.row(1)).to_contain_text("t1")

        # Signing out forgets the token.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("Token")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0
        a.check()
        admin.check()
    finally:
        a.close()
        admin.close()
