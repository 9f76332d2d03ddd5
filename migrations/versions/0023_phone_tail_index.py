"""members are found by the last four digits of their phone through an index

Revision ID: 0023
Revises: 0022
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# The expression loyalty.people.phone_tail compiles to, per database (an index on an
# expression is used only by a query with the same expression).
TAIL = {"postgresql": "right(phone, 4)", "sqlite": "substr(phone, -4)"}


def upgrade():
    op.execute(f"CREATE INDEX ix_members_phone_tail ON members ({TAIL[op.get_bind().dialect.name]})")


def downgrade():
    op.execute("DROP INDEX ix_members_phone_tail")
