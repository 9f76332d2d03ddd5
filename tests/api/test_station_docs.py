"""docs/station-api.md tells the truth: its worked example signs as the server checks,
and its shell snippet gets a real answer from a real server."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from werkzeug.serving import make_server

from web.api.signing import canonical, sign

DOC = (Path(__file__).resolve().parents[2] / "docs" / "station-api.md").read_text()


def example() -> dict[str, str]:
    block = DOC.split("### Worked example", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    return {key.strip(): value.strip() for key, value in
            (line.split("=", 1) for line in block.strip().splitlines())}


def test_the_worked_example_signs_as_the_server_checks():
    ex = example()
    body = ex["body"].encode()
    assert hashlib.sha256(body).hexdigest() == ex["body_sha256"]
    assert sign(ex["secret"], ex["method"], ex["path"], ex["timestamp"], ex["nonce"], body) == ex["signature"]
    signed_block = DOC.split("The string that was signed:", 1)[1].split("```text", 1)[1].split("```", 1)[0]
    assert signed_block.strip("\n") == canonical(ex["method"], ex["path"], ex["timestamp"], ex["nonce"], body)
    json.loads(body)  # the example body is JSON a POS could send


def test_the_get_example():
    ex = example()
    assert hashlib.sha256(b"").hexdigest() in DOC
    expected = sign(ex["secret"], "GET", "/api/v1/station/sales/42", "1795500000", "0123456789abcdef0123", b"")
    assert f"signed `{expected}`" in DOC.replace("\n", " ")


def test_the_shell_snippet_works_against_a_real_server(app, secrets_, code):
    # Never skipped: a guide whose snippet is not run can rot unseen. `make test` installs
    # both tools (apt), as it installs the browser.
    missing = [tool for tool in ("openssl", "curl", "sha256sum") if not shutil.which(tool)]
    assert not missing, f"the snippet needs {', '.join(missing)}: run `make browser` (apt-get install openssl curl)"
    snippet = re.search(r"```sh\n(.*?)```", DOC, re.S).group(1)
    the_code = code()
    snippet = snippet.replace("661234567890123456", the_code)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET": secrets_["S001"], "STATION": "S001",
               "BASE": f"http://127.0.0.1:{server.server_port}"}
        out = subprocess.run(["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["member"]["phone_masked"] == "139****0001"
