"""HTTP faces other than the webhook."""
from flask import Flask


def init_app(app: Flask) -> None:
    from web import api, health
    app.register_blueprint(health.bp)
    api.init_app(app)
    from web import cashier
    cashier.init_app(app)
    from web import admin
    admin.init_app(app)  # the operators' console under /admin
    from web import h5
    h5.init_app(app)  # the member's H5 pages under /m
    from web import simulator
    simulator.init_app(app)  # /simulator and `/` -> /simulator, development only
    from web import pushes_admin
    pushes_admin.init_app(app)  # /admin/pushes (the delivery log), /admin/queues (rq-dashboard), HQ admins
