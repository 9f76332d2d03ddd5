"""the console's notice-kind -> template mapping and operators' reply texts, both reference
data (their changes move reference_version, as migration 0015's tables do)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'  # the chain ascends: ... 0020 -> 0021 (campaigns) -> 0022 -> 0023
branch_labels = None
depends_on = None

TABLES = ("notice_templates", "reply_texts")
SQLITE_BUMP = """
CREATE TRIGGER {table}_{op}_reference_version AFTER {op} ON {table} BEGIN
  INSERT INTO reference_version (id, version) VALUES (1, random())
  ON CONFLICT (id) DO UPDATE SET version = excluded.version;
END"""
SQLITE_OPS = ("insert", "update", "delete")


def upgrade():
    op.create_table(
        'notice_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('template_id', sa.String(length=64), nullable=False),
        sa.Column('keys', sa.JSON(), nullable=False),
        sa.Column('link', sa.String(length=512), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'),
                  nullable=False),
        sa.CheckConstraint("channel IN ('template', 'subscribe')", name=op.f('ck_notice_templates_channel_known')),
        sa.CheckConstraint('NOT active OR length(template_id) > 0',
                           name=op.f('ck_notice_templates_active_has_template')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_templates')),
        sa.UniqueConstraint('channel', 'kind', name=op.f('uq_notice_templates_channel')),
    )
    op.create_table(
        'reply_texts',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('text', sa.String(length=2000), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'),
                  nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_reply_texts')),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:  # youka_bump_reference_version() is migration 0015's
            op.execute(f"CREATE TRIGGER {table}_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                       f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION youka_bump_reference_version()")
    else:
        for table in TABLES:
            for name in SQLITE_OPS:
                op.execute(SQLITE_BUMP.format(table=table, op=name))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_reference_version ON {table}")
    else:
        for table in TABLES:
            for name in SQLITE_OPS:
                op.execute(f"DROP TRIGGER {table}_{name}_reference_version")
    op.drop_table('reply_texts')
    op.drop_table('notice_templates')
