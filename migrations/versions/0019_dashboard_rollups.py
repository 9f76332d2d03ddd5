"""the dashboards' daily rollups (models/rollup.py), kept by the rollup job; coupons by issue and use time

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
# Written on 0018; after main's 0023 (the phone-tail index) when main was merged in.
down_revision = '0018'  # the chain: 0018 -> 0019 -> 0020 -> ... (ascending)
branch_labels = None
depends_on = None


def _key(*names):
    return [sa.Column(name, kind, nullable=False) for name, kind in names]


def _counts(*names, big=False):
    kind = sa.BigInteger() if big else sa.Integer()
    return [sa.Column(name, kind, nullable=False) for name in names]


TABLES = {
    'rollup_sales_hours': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()), ('hour', sa.SmallInteger()), ('member', sa.Boolean()))
        + [sa.Column('weekday', sa.SmallInteger(), nullable=False)]
        + _counts('sales', 'visits') + _counts('litres_ml', 'paid_fen', big=True),
        ['day', 'station_id', 'hour', 'member']),
    'rollup_grade_days': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()), ('grade_code', sa.String(length=8)))
        + _counts('lines') + _counts('litres_ml', 'amount_fen', big=True),
        ['day', 'station_id', 'grade_code']),
    'rollup_station_members': (
        _key(('member_id', sa.Integer()), ('station_id', sa.Integer()), ('first_day', sa.Date()),
             ('last_day', sa.Date())),
        ['member_id', 'station_id']),
    'rollup_member_weeks': (
        _key(('week', sa.Date()), ('station_id', sa.Integer())) + _counts('new_members', 'active_members'),
        ['week', 'station_id']),
    'rollup_tier_counts': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()), ('tier_id', sa.Integer())) + _counts('members'),
        ['day', 'station_id', 'tier_id']),
    'rollup_liabilities': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()))
        + _counts('points', 'principal_fen', 'bonus_fen', big=True),
        ['day', 'station_id']),
    'rollup_points_expiry': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()), ('month', sa.Date())) + _counts('points', big=True),
        ['day', 'station_id', 'month']),
    'rollup_coupon_days': (
        _key(('day', sa.Date()), ('station_id', sa.Integer())) + _counts('issued', 'used', 'expired'),
        ['day', 'station_id']),
    'rollup_push_days': (
        _key(('day', sa.Date()), ('station_id', sa.Integer()), ('channel', sa.String(length=16)))
        + _counts('sent', 'failed'),
        ['day', 'station_id', 'channel']),
}


def upgrade():
    for name, (columns, key) in TABLES.items():
        op.create_table(name, *columns, sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{name}')))
    op.create_index('ix_rollup_station_members_first_day', 'rollup_station_members', ['first_day'])
    # The rollup reads a few days of coupons issued and used.
    op.create_index('ix_coupons_issued_at', 'coupons', ['issued_at'])
    op.create_index('ix_coupons_used_at', 'coupons', ['used_at'])


def downgrade():
    op.drop_index('ix_coupons_used_at', table_name='coupons')
    op.drop_index('ix_coupons_issued_at', table_name='coupons')
    op.drop_index('ix_rollup_station_members_first_day', table_name='rollup_station_members')
    for name in reversed(list(TABLES)):
        op.drop_table(name)
