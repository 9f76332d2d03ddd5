"""members' daily totals (the tier metric and the daily points cap as running figures),
backfilled from the sales and refunds; the reference data's version, moved by triggers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Every table a process caches (loyalty.reference): any change to one moves the version.
REFERENCE_TABLES = ("stations", "station_prices", "fuel_grades", "tiers", "rule_sets", "earning_rules",
                    "points_multipliers")

# One row per member and business day (Asia/Shanghai, a fixed UTC+8) from the sales and
# their refunds, as loyalty.till.daily_totals keeps them: litres kept in proportion to the
# money kept (floored per sale), amount paid less refunded, visits not fully refunded,
# points earned less what refunds took back.
BACKFILL = """
INSERT INTO member_daily_totals (member_id, day, litres_ml, amount_fen, visits, points)
SELECT s.member_id, {day},
       SUM(CASE WHEN s.payable_fen > 0 THEN s.litres_ml * (s.payable_fen - s.refunded_fen) / s.payable_fen
                ELSE s.litres_ml END),
       SUM(s.payable_fen - s.refunded_fen),
       SUM(CASE WHEN s.payable_fen > 0 AND s.refunded_fen >= s.payable_fen THEN 0 ELSE 1 END),
       SUM(s.points_earned - COALESCE(r.reversed, 0))
FROM sales s
LEFT JOIN (SELECT sale_id, SUM(points_reversed) AS reversed FROM sale_refunds GROUP BY sale_id) r
  ON r.sale_id = s.id
WHERE s.member_id IS NOT NULL
GROUP BY s.member_id, {day}
"""
PG_DAY = "CAST(timezone('Asia/Shanghai', s.created_at) AS DATE)"
SQLITE_DAY = "date(s.created_at, '+8 hours')"

PG_BUMP = """
CREATE FUNCTION youka_bump_reference_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reference_version (id, version) VALUES (1, txid_current())
  ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
  RETURN NULL;
END $$"""
SQLITE_BUMP = """
CREATE TRIGGER {table}_{op}_reference_version AFTER {op} ON {table} BEGIN
  INSERT INTO reference_version (id, version) VALUES (1, random())
  ON CONFLICT (id) DO UPDATE SET version = excluded.version;
END"""
SQLITE_OPS = ("insert", "update", "delete")


def upgrade():
    op.create_table(
        'member_daily_totals',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('litres_ml', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('visits', sa.Integer(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE',
                                name=op.f('fk_member_daily_totals_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', 'day', name=op.f('pk_member_daily_totals')),
    )
    op.create_table(
        'reference_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_version')),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(BACKFILL.format(day=PG_DAY if postgres else SQLITE_DAY))
    op.execute("INSERT INTO reference_version (id, version) VALUES (1, 1)")
    if postgres:
        op.execute(PG_BUMP)
        for table in REFERENCE_TABLES:
            op.execute(f"CREATE TRIGGER {table}_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                       f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION youka_bump_reference_version()")
    else:
        for table in REFERENCE_TABLES:
            for name in SQLITE_OPS:
                op.execute(SQLITE_BUMP.format(table=table, op=name))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in REFERENCE_TABLES:
            op.execute(f"DROP TRIGGER {table}_reference_version ON {table}")
        op.execute("DROP FUNCTION youka_bump_reference_version()")
    else:
        for table in REFERENCE_TABLES:
            for name in SQLITE_OPS:
                op.execute(f"DROP TRIGGER {table}_{name}_reference_version")
    op.drop_table('reference_version')
    op.drop_table('member_daily_totals')
