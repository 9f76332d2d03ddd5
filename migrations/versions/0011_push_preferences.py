"""push preferences per member (the H5 profile page)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'push_preferences',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('service_notices', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('reminders', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('marketing', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_push_preferences_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_push_preferences')),
    )


def downgrade():
    op.drop_table('push_preferences')
