"""The one domain error. Services raise it; the API's exception handler renders it."""

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request: a machine `code`, a human `detail`, an HTTP status."""

    def __init__(self, code: str, detail: Any, status: int = 400, fields: dict | None = None):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = status
        self.fields = fields
