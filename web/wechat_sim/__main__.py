"""`python -m web.wechat_sim [--host H] [--port P]`: serve the fake WeChat API."""
from __future__ import annotations

import argparse
import os

from web.wechat_sim import create_fake_wechat


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fake WeChat API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    if (os.environ.get("YOUKA_ENV") or "").strip().lower() == "production":
        raise SystemExit("the fake WeChat API is for development only (YOUKA_ENV=production)")
    create_fake_wechat().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
