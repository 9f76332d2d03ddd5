"""The shape of a flow: its states (State), what a state returns (Step), the graph check
run when a Flow is declared, and the Mermaid diagram. bot.conversation runs flows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.router import Turn

END = "[*]"  # a transition that finishes the flow (Mermaid's name for it)


class FlowError(ValueError):
    """A flow's graph is wrong (raised at import) or a state broke its declaration."""


@dataclass
class Step:
    """What a state returns: the reply, the next state (None or END finishes the flow;
    it must be one of the state's `to`) and data to merge into the flow's data."""

    reply: Any = None
    next: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """One question of a flow. `accepts`: a regex (the match goes to turn.accepted and
    turn.match) or a function of the text returning the accepted value or None. `reprompt`:
    a template under templates/replies/ (without .txt), or a function of the turn."""

    handler: Callable[[Turn], Step]
    to: tuple[str, ...] = ()
    accepts: str | re.Pattern | Callable[[str], Any] | None = None
    reprompt: str | Callable[[Turn], Any] | None = None

    def take(self, text: str) -> Any:
        """What the state makes of the text: None when it does not fit."""
        if self.accepts is None:
            return text
        if callable(self.accepts):
            return self.accepts(text)
        return re.search(self.accepts, text)


def check(flow) -> None:
    """Refuse a wrong graph (FlowError listing every problem): called by Flow() itself, so
    a flow module with a bad graph fails to import and the app does not start."""
    problems = []
    if flow.start not in flow.states:
        problems.append(f"start state {flow.start!r} is not declared")
    for name, state in flow.states.items():
        if not callable(getattr(state, "handler", None)):
            problems.append(f"state {name!r} has no handler")
            continue
        if not state.to:
            problems.append(f"state {name!r} has no way out (add END to finish)")
        problems += [f"state {name!r} goes to unknown state {t!r}" for t in state.to
                     if t != END and t not in flow.states]
        if state.accepts is not None and state.reprompt is None:
            problems.append(f"state {name!r} accepts only some input but has no reprompt")
    seen, todo = set(), [flow.start] if flow.start in flow.states else []
    while todo:
        name = todo.pop()
        if name not in seen and name in flow.states:
            seen.add(name)
            todo += [t for t in flow.states[name].to if t != END]
    problems += [f"state {name!r} is unreachable from {flow.start!r}" for name in flow.states
                 if name not in seen]
    if problems:
        raise FlowError(f"flow {flow.name!r}: " + "; ".join(problems))


def mermaid(flow) -> str:
    """The flow as a Mermaid stateDiagram-v2 (what `flask wechat flows` prints)."""
    lines = ["stateDiagram-v2", f"    [*] --> {flow.start}"]
    for name, state in flow.states.items():
        if state.accepts is not None:
            lines.append(f"    {name} --> {name}: 输入不符，重新提示")
        lines += [f"    {name} --> {target}" for target in state.to]
    timeout = f"{flow.timeout} 秒" if flow.timeout else "CONVERSATION_TTL"
    words = " / ".join(sorted(flow.cancel_words))
    lines.append(f"    note right of {flow.start}: 任意状态：{words} 退出；{timeout} 无回复即超时")
    return "\n".join(lines) + "\n"
