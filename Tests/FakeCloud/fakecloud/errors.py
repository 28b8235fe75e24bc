"""The error an API action answers with: HTTP status, Alibaba error code, message."""

from __future__ import annotations


class ApiError(Exception):
    """An Alibaba Cloud error response (`{"Code", "Message", "RequestId", "HostId", "Recommend"}`)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}  # extra response headers, such as x-acs-retry-after


def missing(name: str) -> ApiError:
    return ApiError(400, "MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing this request is not supplied.")


def invalid(name: str, detail: str = "") -> ApiError:
    text = f"The specified parameter \"{name}\" is not valid."
    return ApiError(400, "InvalidParameter", text + (f" {detail}" if detail else ""))


def not_found(instance_id: str) -> ApiError:
    return ApiError(404, "InvalidInstanceId.NotFound", f"The InstanceId provided does not exist in our records. ({instance_id})")


def busy() -> ApiError:
    return ApiError(403, "IncorrectDBInstanceState", "Current DB instance state does not support this operation.")
