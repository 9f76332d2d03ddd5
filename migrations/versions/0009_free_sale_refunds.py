"""sale refunds of 0 fen: a sale paid wholly by coupons is refunded to give its coupons back

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # batch: SQLite rebuilds the table to change a CHECK constraint.
    with op.batch_alter_table('sale_refunds') as batch:
        batch.drop_constraint(op.f('ck_sale_refunds_amount_positive'), type_='check')
        batch.create_check_constraint('amount_not_negative', 'amount_fen >= 0')


def downgrade():
    with op.batch_alter_table('sale_refunds') as batch:
        batch.drop_constraint(op.f('ck_sale_refunds_amount_not_negative'), type_='check')
        batch.create_check_constraint('amount_positive', 'amount_fen > 0')
