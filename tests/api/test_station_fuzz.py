"""Schemathesis over the OpenAPI document: generated requests, valid and invalid, never
get a server error, and every answer matches the document.

The requests go through a WSGI middleware that plays the POS and signs each one as it
is sent (web/api/signing.py), so generated requests get past authentication and reach
the views. The header run fuzzes the four signature headers too: schemathesis generates
them (any latin-1 text, as on the wire: "²", "é"), and the POS keeps some of them in
place of its own, a different few each request, so each check of web/api/auth.py meets
fuzzed input behind valid values of the others. Bounded: MAX_EXAMPLES a mode an
operation, no shrinking, derandomised. (Driven through hypothesis directly:
schemathesis' own pytest plugin does not run under this pytest version.)
"""
import io
import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from web.api import members, sales, topups  # noqa: F401  (their operations, for the document)
from web.api.openapi import document
from web.api.signing import HEADERS, signed_headers

MAX_EXAMPLES = 25


class SigningPos:
    """WSGI middleware: sign every request with the station's secret, as a POS would."""

    def __init__(self, wsgi_app, station: str, secret: str, fuzz_headers: bool = False):
        self.wsgi_app, self.station, self.secret = wsgi_app, station, secret
        self.fuzz_headers = fuzz_headers
        self.statuses: list[int] = []
        self.kept: set[str] = set()  # the generated headers that were sent (header run)

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].endswith("/openapi.json"):
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        path = environ["RAW_URI"]  # the request target exactly as sent, as a POS signs it
        generated = {name: environ.get(_key(name)) for name in HEADERS}
        # Which generated headers replace the signed ones: a mask drawn from what was generated,
        # so the choice varies with the example yet stays derandomised.
        mask = zlib.crc32(repr(sorted(generated.items())).encode()) % 16 if self.fuzz_headers else 0
        for i, (name, value) in enumerate(signed_headers(self.station, self.secret, environ["REQUEST_METHOD"],
                                                         path, body).items()):
            if name == "Content-Type":
                continue
            if mask & (1 << i) and generated[name] is not None:
                self.kept.add(name)
            else:
                environ[_key(name)] = value

        def recording(status, headers, *args):
            self.statuses.append(int(status.split()[0]))
            return start_response(status, headers, *args)
        return self.wsgi_app(environ, recording)


def _key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def load_schema(app, secret: str, *, fuzz_headers: bool):
    pos = SigningPos(app, "S001", secret, fuzz_headers=fuzz_headers)
    schema = schemathesis.openapi.from_wsgi("/api/v1/station/openapi.json", pos)
    if fuzz_headers:  # header values as any latin-1 text, not only RFC-valid ASCII
        schema.config.generation.update(with_security_parameters=True, codec="latin-1")
    else:
        schema.config.generation.update(with_security_parameters=False)
    schema.pos = pos
    return schema


@pytest.fixture
def api_schema(app, secrets_, member):
    return load_schema(app, secrets_["S001"], fuzz_headers=False)


@pytest.fixture
def header_schema(app, secrets_, member):
    return load_schema(app, secrets_["S001"], fuzz_headers=True)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


# The operations as the document lists them, so a new one is fuzzed without touching this file.
OPERATIONS = [(method.upper(), path) for path, methods in document()["paths"].items() for method in methods]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error_and_answers_match_the_document(api_schema, method, path, mode):
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()
    seen = api_schema.pos.statuses
    assert seen and 401 not in seen  # every request got past authentication to the view


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzzed_signature_headers_get_a_4xx_never_a_server_error(header_schema, method, path, mode):
    @given(case=header_schema[path][method].as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case):
        case.call_and_validate(checks=CHECKS)

    run()
    seen = header_schema.pos.statuses
    assert 401 in seen and header_schema.pos.kept == set(HEADERS)  # each header was fuzzed, and refused
