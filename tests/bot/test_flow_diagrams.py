"""`flask wechat flows`: each flow of handlers/ as a Mermaid diagram; the committed
diagrams (handlers/flows/*.mmd, docs/wechat.md) equal the generated ones."""
import os
import shutil

import pytest

from bot import conversation, flow_docs
from bot.conversation import END, Flow, State, Step

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_committed_diagrams_are_the_generated_ones(app):
    for flow in flow_docs.handler_flows():
        with open(os.path.join(ROOT, flow_docs.FLOWS_DIR, f"{flow.name}.mmd"), encoding="utf-8") as fh:
            assert fh.read() == flow.mermaid(), f"run `flask wechat flows --write` ({flow.name})"
    committed = {n[:-4] for n in os.listdir(os.path.join(ROOT, flow_docs.FLOWS_DIR)) if n.endswith(".mmd")}
    assert committed == {f.name for f in flow_docs.handler_flows()}, "a stale .mmd file"
    with open(os.path.join(ROOT, flow_docs.DOC), encoding="utf-8") as fh:
        assert flow_docs.doc_block() in fh.read(), "run `flask wechat flows --write` (docs/wechat.md)"


@pytest.fixture
def handler_flow():
    flow = Flow("test_handler_flow", start="ask", timeout=120, states={
        "ask": State(lambda turn: Step("好", next=END), to=(END,)),
    })
    flow.module = "handlers.test_handler_flow"  # as if declared in handlers/
    yield flow
    conversation._flows.pop(flow.name)


def test_flows_prints_each_handler_flow_as_mermaid(runner, handler_flow):
    result = runner.invoke(args=["wechat", "flows"])
    assert result.exit_code == 0, result.output
    assert ("%% flow test_handler_flow (handlers.test_handler_flow)\n"
            "stateDiagram-v2\n"
            "    [*] --> ask\n"
            "    ask --> [*]\n"
            "    note right of ask: 任意状态：取消 / 退出 退出；120 秒 无回复即超时\n") in result.output
    assert "test_quiz" not in result.output  # flows declared by tests are not documented


def test_write_puts_the_diagram_beside_the_flows_and_into_the_docs(tmp_path, handler_flow):
    os.makedirs(tmp_path / "docs")
    shutil.copy(os.path.join(ROOT, flow_docs.DOC), tmp_path / "docs" / "wechat.md")
    flow_docs.write(str(tmp_path))
    assert (tmp_path / "handlers" / "flows" / "test_handler_flow.mmd").read_text() == handler_flow.mermaid()
    doc = (tmp_path / "docs" / "wechat.md").read_text()
    assert f"### test_handler_flow\n\n```mermaid\n{handler_flow.mermaid()}```\n" in doc
    assert doc.count(flow_docs.BEGIN) == 1 and doc.count(flow_docs.END) == 1


def test_the_routing_table_in_docs_wechat_md_is_handlers_routing():
    import re
    from pathlib import Path

    from handlers import ROUTING
    doc = (Path(__file__).resolve().parents[2] / "docs" / "wechat.md").read_text()
    table = doc[doc.index("| # | module | triggers |"):]
    rows = re.findall(r"^\| (\d+) \| (\w+) \|", table.split("\n\n")[0], re.M)
    assert [module for _, module in rows] == list(ROUTING)
    assert [int(n) for n, _ in rows] == list(range(1, len(ROUTING) + 1))
