"""point lots remember the entry that first credited their points; tier rewards can be reversed

`point_lots.origin_entry_id`: the earn (or reissuing refund) whose points a lot holds. A
lot opened by that entry has it as its origin; a lot a family join opened in the pool
keeps the origin of the lot it was moved from, so a refund's claw-back finds the points
where they are now. Existing pool lots are paired with the lots they came from by the
order the join wrote them in (movements of the ":out" entry by id, lots of the ":in"
entry by id: loyalty.benefits.family writes both in lot-id order).

`tier_rewards.reversed_at`: when the review took back an upgrade reward (the upgrade was
undone by a refund); such a reward may be given again in the same window.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_OWN_LOTS = """
UPDATE point_lots SET origin_entry_id = entry_id
WHERE entry_id NOT IN (SELECT id FROM ledger_entries WHERE kind = 'transfer')"""

_POOL_LOTS = r"""
WITH src AS (
  SELECT i.id AS in_id, l.entry_id AS origin, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY m.id) AS n
  FROM ledger_entries i
  JOIN ledger_entries o ON o.kind = 'transfer'
   AND o.idempotency_key = substr(i.idempotency_key, 1, length(i.idempotency_key) - 3) || '\:out'
  JOIN lot_movements m ON m.entry_id = o.id
  JOIN point_lots l ON l.id = m.lot_id
  WHERE i.kind = 'transfer' AND i.amount > 0 AND i.idempotency_key LIKE '%\:in'),
dst AS (
  SELECT id AS lot_id, entry_id AS in_id, ROW_NUMBER() OVER (PARTITION BY entry_id ORDER BY id) AS n
  FROM point_lots WHERE entry_id IN (SELECT in_id FROM src))
UPDATE point_lots SET origin_entry_id = (
  SELECT s.origin FROM dst d JOIN src s ON s.in_id = d.in_id AND s.n = d.n WHERE d.lot_id = point_lots.id)
WHERE id IN (SELECT lot_id FROM dst)"""


def upgrade():
    with op.batch_alter_table('point_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_entry_id', BigId, nullable=True))
    op.execute(_OWN_LOTS)
    op.execute(sa.text(_POOL_LOTS))  # \: keeps the colons out of bind parameters
    # Anything left unpaired (none is expected) is its own origin rather than none.
    op.execute("UPDATE point_lots SET origin_entry_id = entry_id WHERE origin_entry_id IS NULL")
    with op.batch_alter_table('point_lots', schema=None) as batch_op:
        batch_op.alter_column('origin_entry_id', existing_type=BigId, nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_point_lots_origin_entry_id_ledger_entries'),
                                    'ledger_entries', ['origin_entry_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_point_lots_origin_entry_id'), ['origin_entry_id'], unique=False)
    with op.batch_alter_table('tier_rewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tier_rewards', schema=None) as batch_op:
        batch_op.drop_column('reversed_at')
    with op.batch_alter_table('point_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_lots_origin_entry_id'))
        batch_op.drop_constraint(batch_op.f('fk_point_lots_origin_entry_id_ledger_entries'), type_='foreignkey')
        batch_op.drop_column('origin_entry_id')
