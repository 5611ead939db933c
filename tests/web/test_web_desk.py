"""The clerk's overview and table show the ledger as it is now, also after a change by another process."""

from __future__ import annotations

import re
import shutil

from pipeline.cli import cli

from .conftest import login


def counts(html: str) -> dict[str, int]:
    return {state: int(count) for state, count in re.findall(
        r'<tr data-state="(\w+)">.*?<td class="num">(\d+)</td></tr>', html)}


def test_the_overview_and_the_table_show_a_check_in_by_another_process_on_the_next_load(
        client, portal_round, links, scan_files, runner):
    login(client)
    before = client.get("/admin/").text  # the desk has read the round once
    assert counts(before)["verified"] == 0 and 'id="verified-count">0<' in before
    ags = sorted(links)[0]
    inbox = portal_round / "inbox"
    inbox.mkdir(exist_ok=True)
    shutil.copy(scan_files[f"signed-{ags}"], inbox / "post.pdf")
    result = runner.invoke(cli, ["checkin", "--out", str(portal_round / "out"), "--round",
                                 str(portal_round / "round.toml"), "--inbox", str(inbox), "-q"])
    assert result.exit_code == 0, result.output

    after = client.get("/admin/").text  # the very next load, not the one after
    assert 'id="verified-count">1<' in after
    assert counts(after)["verified"] == 1 and sum(counts(after).values()) == sum(counts(before).values())
    on_the_map = ": unterschrieben</title>"  # a shape's tooltip (the bars' say "Köln: 1 unterschrieben")
    assert before.count(on_the_map) == 0 and after.count(on_the_map) == 1
    table = client.get("/admin/kommunen?status=verified").text
    assert re.findall(r'<tr data-ags="(\d+)"', table) == [ags]
