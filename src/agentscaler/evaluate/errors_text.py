"""Which recorded run errors are the model's failures and which are infrastructure.

tau-bench records an exception of a trial as ``info.error`` (the exception's text, from the
openai SDK or LiteLLM) with reward 0. Its pass^k counts every such trial as a failure; here, as in
our own runs, a failure of the infrastructure is left out of the denominators instead, and only
that: a request the server refused with a 4xx other than 408/429 (context overflow included) is
the model's failure and stays a failure.
"""

from __future__ import annotations

import re

_STATUS = re.compile(
    r"(?:error code|status(?: code)?|http(?: status)?|\"code\")\W{0,3}(\d{3})\b", re.IGNORECASE
)
_MODEL_FAILURE = re.compile(
    r"context[ _-]?(?:length|window)|maximum context|too many tokens|prompt is too long|"
    r"BadRequestError|AuthenticationError|PermissionDeniedError|NotFoundError|"
    r"UnprocessableEntityError|invalid_request_error",
    re.IGNORECASE,
)
_INFRASTRUCTURE = re.compile(
    r"RateLimitError|rate limit|Timeout|timed out|APIConnectionError|Connection error|"
    r"InternalServerError|ServiceUnavailable|BadGatewayError|overloaded",
    re.IGNORECASE,
)


def is_model_failure(error: str) -> bool:
    """True when the error text says the server refused the request for the model's input: an
    HTTP 4xx other than 408/429, or a context-length / bad-request error by name. Transport
    failures, timeouts, rate limits, 5xx and errors of unknown kind are infrastructure."""
    match = _STATUS.search(error)
    if match is not None:
        status = int(match.group(1))
        if 400 <= status < 500:
            return status not in (408, 429)
        if status >= 500:
            return False
    if _INFRASTRUCTURE.search(error):
        return False
    return _MODEL_FAILURE.search(error) is not None
