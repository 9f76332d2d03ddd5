"""The printable sheet of a station's pump QR codes (`flask station pump-qr`).

One permanent parametric QR code a nozzle, scene `pump:<station>:<nozzle>`, fetched from
WeChat (a permanent code never expires, and WeChat allows 100,000 of them an account).
The sheet is one self-contained HTML file, the images embedded, laid out for A4: eight
labels a page, each with the station, the nozzle number and a line telling the member
what the scan does. A browser prints it (or saves it as PDF); no image library needed.
"""
from __future__ import annotations

import base64
import html
import os
import re

from bot.wechat import get_client
from loyalty.till import nozzles
from loyalty.errors import ValidationError
from loyalty.till.sales import station_by_code

MAX_NOZZLES = 64
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A4; margin: 10mm; }}
body {{ font-family: sans-serif; margin: 0; }}
.sheet {{ display: grid; grid-template-columns: 1fr 1fr; gap: 6mm; }}
.label {{ border: 1px dashed #999; padding: 4mm; text-align: center; height: 63mm; break-inside: avoid; }}
.label img {{ width: 40mm; height: 40mm; image-rendering: pixelated; }}
.nozzle {{ font-size: 20pt; font-weight: bold; }}
.hint {{ font-size: 10pt; }}
.scene {{ font-size: 7pt; color: #666; }}
</style></head><body>
<div class="sheet">
{labels}
</div></body></html>
"""
LABEL = """<div class="label" data-scene="{scene}">
<div>{station}</div><div class="nozzle">{nozzle} 号油枪</div>
<img alt="{scene}" src="data:{mime};base64,{image}">
<div class="hint">微信扫一扫，本次加油自动积分</div><div class="scene">{scene}</div>
</div>"""


def nozzle_list(spec: str) -> list[str]:
    """Nozzle numbers from "1-8" or "1,2,5" (or both: "1-4,7")."""
    numbers: list[str] = []
    for part in (p.strip() for p in (spec or "").split(",")):
        match = re.fullmatch(r"([0-9]{1,3})-([0-9]{1,3})", part)
        if match:
            low, high = int(match[1]), int(match[2])
            if low > high or high - low >= MAX_NOZZLES:
                raise ValidationError(f"油枪范围 {part} 无效", field="nozzles")
            numbers.extend(str(n) for n in range(low, high + 1))
        else:
            numbers.append(nozzles.check_nozzle(part, "nozzles"))
    numbers = list(dict.fromkeys(numbers))
    if not numbers or len(numbers) > MAX_NOZZLES:
        raise ValidationError(f"油枪数应为 1-{MAX_NOZZLES}", field="nozzles")
    return numbers


def _mime(image: bytes) -> str:
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"  # WeChat serves JPEG


def pump_images(station_code: str, numbers: list[str]) -> list[tuple[str, str, bytes]]:
    """(nozzle, scene, image bytes) for each nozzle, from WeChat."""
    client, found = get_client(), []
    for nozzle in numbers:
        scene = nozzles.scene(station_code, nozzle)
        ticket = client.create_qrcode(scene, permanent=True)["ticket"]
        found.append((nozzle, scene, client.qrcode_image(ticket)))
    return found


def render_sheet(station_name: str, images: list[tuple[str, str, bytes]]) -> str:
    """The HTML sheet of these images."""
    labels = "\n".join(LABEL.format(scene=html.escape(scene), station=html.escape(station_name),
                                    nozzle=html.escape(nozzle), mime=_mime(image),
                                    image=base64.b64encode(image).decode())
                       for nozzle, scene, image in images)
    return PAGE.format(title=html.escape(f"{station_name} 油枪二维码"), labels=labels)


def write_sheet(station_code: str, numbers: list[str], out: str) -> str:
    """Fetch the codes and write the sheet to `out` (complete or not at all); returns the path."""
    station = station_by_code(station_code)
    page = render_sheet(station.name, pump_images(station.code, numbers))
    tmp = f"{out}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, out)
    return out
