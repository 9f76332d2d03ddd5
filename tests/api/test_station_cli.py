"""`flask station ...` and `flask member ...`."""
import base64
import json
import logging
import re

from api.pos_helpers import Pos
from sqlalchemy import select

from extensions import db
from loyalty.till import member_codes
from loyalty.people import members
from models import Station
from loyalty.qr_png import qr_png as sim_qr_png


def run(runner, *args):
    result = runner.invoke(args=list(args))
    return result, (json.loads(result.output) if result.exit_code == 0 and result.output.startswith("{") else None)


def test_create_a_station_and_sign_with_its_secret(runner, client, world, caplog):
    caplog.set_level(logging.DEBUG)
    result, made = run(runner, "station", "create", "--code", "S004", "--name", "城南加油站", "--city", "杭州")
    assert result.exit_code == 0, result.output
    assert made["code"] == "S004" and re.fullmatch(r"[0-9a-f]{64}", made["secret"])
    station = db.session.scalars(select(Station).where(Station.code == "S004")).one()
    assert (station.name, station.city) == ("城南加油站", "杭州")
    assert made["secret"] not in (station.secret_encrypted or "")  # stored encrypted
    assert made["secret"] not in caplog.text  # and never logged
    missing = Pos(client, "S004", made["secret"]).get("/nozzles/1/member")
    assert missing.status_code == 404  # authenticated: nobody at the nozzle


def test_creating_an_existing_code_fails_clearly(runner, world):
    result, _ = run(runner, "station", "create", "--code", "S001", "--name", "again")
    assert result.exit_code != 0 and "S001" in result.output and "已存在" in result.output


def test_rotate_secret(runner, client, world):
    _, first = run(runner, "station", "rotate-secret", "--code", "S002")
    _, second = run(runner, "station", "rotate-secret", "--code", "S002")
    assert first["secret"] != second["secret"]
    assert Pos(client, "S002", first["secret"]).get("/nozzles/1/member").status_code == 401
    assert Pos(client, "S002", second["secret"]).get("/nozzles/1/member").status_code == 404
    result, _ = run(runner, "station", "rotate-secret", "--code", "S999")
    assert result.exit_code != 0 and "not_found" in result.output


def test_member_create_and_code(runner, world):
    result, made = run(runner, "member", "create", "--phone", "13812345678", "--tier", "gold")
    assert result.exit_code == 0, result.output
    assert made["phone_masked"] == "138****5678" and made["tier"]["code"] == "gold"
    assert "13812345678" not in result.output
    again, _ = run(runner, "member", "create", "--phone", "13812345678")
    assert again.exit_code != 0
    _, issued = run(runner, "member", "code", "--phone", "13812345678")
    assert member_codes.resolve(issued["code"]).id == members.find_by_phone("13812345678").id
    unknown, _ = run(runner, "member", "code", "--phone", "13900000000")
    assert unknown.exit_code != 0


def test_pump_qr_writes_a_printable_sheet(runner, world, fake_wechat, tmp_path):
    out = tmp_path / "sheet.html"
    result = runner.invoke(args=["station", "pump-qr", "--station", "S001", "--nozzles", "1-8", "--out", str(out)])
    assert result.exit_code == 0, result.output
    scenes = [q["scene"] for q in fake_wechat.qrcodes]
    assert scenes == [f"pump:S001:{n}" for n in range(1, 9)]
    assert all(q["action_name"] == "QR_LIMIT_STR_SCENE" for q in fake_wechat.qrcodes)  # permanent
    page = out.read_text(encoding="utf-8")
    assert page.count("<img") == 8 and "城东加油站" in page and "@page" in page
    for n in range(1, 9):
        assert f"{n} 号油枪" in page
        # Each label carries the image WeChat served for its own scene.
        image = sim_qr_png(f"pump:S001:{n}")
        label = page.split(f'data-scene="pump:S001:{n}"', 1)[1].split("</div>\n</div>", 1)[0]
        assert base64.b64encode(image).decode() in label


def test_pump_qr_refuses_nonsense(runner, world, fake_wechat, tmp_path):
    for args in (["--station", "S999"], ["--station", "S001", "--nozzles", "8-1"], ["--station", "S001",
                                                                                    "--nozzles", "1-500"]):
        result = runner.invoke(args=["station", "pump-qr", *args, "--out", str(tmp_path / "x.html")])
        assert result.exit_code != 0
    assert not (tmp_path / "x.html").exists()
