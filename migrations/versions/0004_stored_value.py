"""stored value: top-up bonus rules; an index for reversals

Top-up bonus rules ("top up 1000, get 50") for M5, and an index on
ledger_entries.reverses_id: a refund of a payment or a points spend, and a claw-back of
earned points, look up what already reversed the entry, on every refund.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('topup_bonus_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('min_topup_fen', sa.BigInteger(), nullable=False),
    sa.Column('bonus_fen', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('bonus_fen > 0', name=op.f('ck_topup_bonus_rules_bonus_positive')),
    sa.CheckConstraint('min_topup_fen > 0', name=op.f('ck_topup_bonus_rules_min_topup_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topup_bonus_rules'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_reverses', ['reverses_id'], unique=False,
                              postgresql_where='reverses_id IS NOT NULL')


def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_reverses', postgresql_where='reverses_id IS NOT NULL')

    op.drop_table('topup_bonus_rules')
