"""Small pieces the admin screens of every app share."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from integrations.redaction import redact


def pretty_json(value: Any, *, redact_keys: bool = False) -> str:
    """A JSON value as an indented, escaped ``<pre>`` block."""
    if redact_keys:
        value = redact(value)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html(
        '<pre style="white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32em; '
        'overflow: auto; margin: 0">{}</pre>',
        text,
    )


def short(text: str | None, limit: int = 80) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows that only the hub writes (webhooks, jobs, logs): operators look and act, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryAdmin(ViewOnlyAdmin):
    """A record of what happened (logs, sync jobs, synced records): the API cannot delete it and
    neither can the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@dataclass(frozen=True)
class ObjectButton:
    """A button on an object's page that runs one operation on that object.

    ``action`` is the name of the list action doing the same: the button is offered, and its URL
    answers, only to a user who may use that action. ``run`` performs the operation through the
    action or the service behind it and returns a page to show, or None to go back to the object
    with the messages it left. With ``confirm`` the button is a link to a page that says so and
    asks before running (GET shows it, POST runs); without, it is a form that POSTs at once.
    """

    name: str
    label: str
    action: str
    run: Callable[[HttpRequest, Any], HttpResponse | None]
    applies: Callable[[Any], bool] = lambda obj: True
    confirm: str = ""


if TYPE_CHECKING:
    # What the mixin is mixed into, so that mypy knows the ModelAdmin methods it calls.
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class ObjectButtonsMixin(_ModelAdminBase):
    """Buttons on the change/view page (in the object tools), each behind a POST-only URL
    ``<object id>/button/<name>/`` of this admin, so a GET (a prefetch, a crawler) changes
    nothing. Subclasses list them in ``object_buttons``."""

    change_form_template = "admin/change_form_buttons.html"

    def object_buttons(self, request: HttpRequest) -> list[ObjectButton]:
        return []

    def _button_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_button"

    def get_urls(self) -> list[URLPattern]:
        # Before the admin's own: its "<object id>/" catch-all would take the URL otherwise.
        view = self.admin_site.admin_view(self.object_button_view)
        own = [path("<path:object_id>/button/<str:name>/", view, name=self._button_url_name())]
        return own + super().get_urls()

    def _permitted(self, request: HttpRequest, obj: Any, button: ObjectButton) -> bool:
        """As for the list action: the user sees the object and may use that action."""
        return self.has_view_or_change_permission(request, obj) and button.action in (
            self.get_actions(request)
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        # None when adding: there is nothing yet to act on.
        context["object_buttons"] = [
            {
                "label": button.label,
                "confirm": bool(button.confirm),
                "url": reverse(
                    f"admin:{self._button_url_name()}",
                    args=[quote(obj.pk), button.name],
                    current_app=self.admin_site.name,
                ),
            }
            for button in (self.object_buttons(request) if obj is not None else [])
            if self._permitted(request, obj, button) and button.applies(obj)
        ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def object_button_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        buttons = {button.name: button for button in self.object_buttons(request)}
        obj = self.get_object(request, unquote(object_id))
        if obj is None or name not in buttons:
            raise Http404
        button = buttons[name]
        if not self._permitted(request, obj, button):
            raise PermissionDenied
        if request.method not in (("GET", "POST") if button.confirm else ("POST",)):
            return HttpResponseNotAllowed(["GET", "POST"] if button.confirm else ["POST"])
        if not button.applies(obj):
            # The page was older than the object's state (a job finished, a webhook was retried).
            self.message_user(
                request, f"{button.label}: not possible for {obj} now.", messages.WARNING
            )
            return redirect(self._object_url(obj))
        if request.method == "GET":
            return TemplateResponse(
                request,
                "admin/object_button_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"{button.label}: {obj}",
                    "opts": self.opts,
                    "object": obj,
                    "button": button,
                    "object_url": self._object_url(obj),
                },
            )
        response = button.run(request, obj)
        return response if response is not None else redirect(self._object_url(obj))

    def _object_url(self, obj: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )
