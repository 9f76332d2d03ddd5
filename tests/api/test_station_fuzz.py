"""Schemathesis over the OpenAPI document: generated requests, valid and invalid, never
get a server error, and every answer matches the document.

The requests go through a WSGI middleware that plays the POS and signs each one as it
is sent (web/api/signing.py), so generated requests get past authentication and reach
the views. Bounded: MAX_EXAMPLES a mode an operation, no shrinking, derandomised.
(Driven through hypothesis directly: schemathesis' own pytest plugin does not run
under this pytest version.)
"""
import io

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from web.api import members, sales, topups  # noqa: F401  (their operations, for the document)
from web.api.openapi import document
from web.api.signing import signed_headers

MAX_EXAMPLES = 25


class SigningPos:
    """WSGI middleware: sign every request with the station's secret, as a POS would."""

    def __init__(self, wsgi_app, station: str, secret: str):
        self.wsgi_app, self.station, self.secret = wsgi_app, station, secret
        self.statuses: list[int] = []

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].endswith("/openapi.json"):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ["RAW_URI"]  # the request target exactly as sent, as a POS signs it
        for name, value in signed_headers(self.station, self.secret, environ["REQUEST_METHOD"], path, body).items():
            if name != "Content-Type":
                environ["HTTP_" + name.upper().replace("-", "_")] = value

        def recording(status, headers, *args):
            self.statuses.append(int(status.split()[0]))
            return start_response(status, headers, *args)
        return self.wsgi_app(environ, recording)


@pytest.fixture
def api_schema(app, secrets_, member):
    pos = SigningPos(app, "S001", secrets_["S001"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/station/openapi.json", pos)
    schema.config.generation.update(with_security_parameters=False)
    schema.pos = pos
    return schema


# The operations as the document lists them, so a new one is fuzzed without touching this file.
OPERATIONS = [(method.upper(), path) for path, methods in document()["paths"].items() for method in methods]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_and_answers_match_the_document(api_schema, method, path, mode):
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                       response_schema_conformance])

    run()
    seen = api_schema.pos.statuses
    assert seen and 401 not in seen  # every request got past authentication to the view
