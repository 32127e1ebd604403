"""The API's JSON parser: DRF's, reading through the bounded reader so a body nested too deep is
a 400 (``JSON parse error``) instead of a ``RecursionError`` and a 500."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from integrations.jsontext import json_loads_bounded


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        # DRF's own choice of charset (it refuses bytes-to-bytes codecs); not in the stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = json.strict_constant if self.strict else None
            return json_loads_bounded(text, parse_constant=parse_constant)
        except ValueError as error:  # JSONTooDeep is one
            raise ParseError(f"JSON parse error - {error}") from error
