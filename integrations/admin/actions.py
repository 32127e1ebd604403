"""The integration list's extra operator actions, which other apps register.

The sync engine adds "test connection" and "trigger sync", the webhook pipeline "rotate webhook
secret"; an action registered with a ``button`` label is also a button on the integration's page,
which runs the same action on that one integration (see ``IntegrationAdmin.object_buttons``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_extra_actions: list[Callable[..., Any]] = []


def register_integration_action(
    function: Callable[..., Any] | None = None, *, button: str = "", confirm: str = ""
) -> Any:
    """Add an admin action (a function decorated with ``@admin.action``) to the integration list.

    With ``button`` (its label) the action is also a button on a live integration's page, run on
    that integration alone; with ``confirm`` too, the button first shows that text and asks."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        function.button_label = button  # type: ignore[attr-defined]
        function.button_confirm = confirm  # type: ignore[attr-defined]
        if function not in _extra_actions:
            _extra_actions.append(function)
        return function

    return register(function) if function is not None else register
