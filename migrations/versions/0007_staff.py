"""staff: logins for the cashier page and the console, with roles

Branches from 0003 beside the other feature migrations; the lead linearises the chain.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("role IN ('hq_admin', 'station_manager', 'cashier')", name=op.f('ck_staff_role_known')),
    # A cashier or a station manager acts at one station; only HQ may have none.
    sa.CheckConstraint("role = 'hq_admin' OR station_id IS NOT NULL", name=op.f('ck_staff_station_required')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_staff_station_id_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_username'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_station_id'), ['station_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_station_id'))
    op.drop_table('staff')
