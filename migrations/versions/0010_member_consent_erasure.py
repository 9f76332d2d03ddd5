"""members remember which privacy terms they consented to, and when they were erased

`members.consent_version`: the PRIVACY_TERMS_VERSION the member agreed to at binding
(with `consent_at`, already there). `members.deleted_at`: set when the member asked for
deletion (PIPL, loyalty.people.erasure): the row stays so the ledger and sales keep a
reference, its personal data is gone and its phone is a placeholder that frees the real one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('consent_version', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('members') as batch:
        batch.drop_column('deleted_at')
        batch.drop_column('consent_version')
