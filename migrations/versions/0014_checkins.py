"""daily check-ins (签到), one per member per business day

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'checkins',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('streak', sa.Integer(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('bonus', sa.BigInteger(), nullable=False),
        sa.Column('ledger_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.CheckConstraint('streak > 0', name=op.f('ck_checkins_streak_positive')),
        sa.CheckConstraint('points >= 0 AND bonus >= 0', name=op.f('ck_checkins_points_not_negative')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_checkins_member_id_members')),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'],
                                name=op.f('fk_checkins_ledger_entry_id_ledger_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
        # Once per member per business day, enforced by the database.
        sa.UniqueConstraint('member_id', 'day', name='uq_checkins_member_id_day'),
    )


def downgrade():
    op.drop_table('checkins')
