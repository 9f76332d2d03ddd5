"""the operators' console: change records (append-only), manual adjustments, the feedback inbox

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# Append-only on PostgreSQL: an UPDATE or DELETE of a change record raises.
APPEND_ONLY = """
CREATE FUNCTION change_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'change_records is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER change_records_append_only BEFORE UPDATE OR DELETE ON change_records
    FOR EACH ROW EXECUTE FUNCTION change_records_append_only();
"""


def upgrade():
    op.create_table(
        'change_records',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('object_key', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_change_records_staff_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_records')),
    )
    op.create_index('ix_change_records_object', 'change_records', ['kind', 'object_key', 'id'])
    op.create_index('ix_change_records_at', 'change_records', ['at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)

    op.create_table(
        'adjustments',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('request_key', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('account_kind', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('bucket', sa.String(length=16), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('requested_by', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('ledger_entry_id', BIG_ID, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('amount <> 0', name=op.f('ck_adjustments_amount_not_zero')),
        sa.CheckConstraint("account_kind IN ('points', 'stored_value')",
                           name=op.f('ck_adjustments_account_kind_known')),
        sa.CheckConstraint("status IN ('applied', 'pending', 'rejected')", name=op.f('ck_adjustments_status_known')),
        sa.CheckConstraint('length(reason) > 0', name=op.f('ck_adjustments_reason_given')),
        sa.CheckConstraint('decided_by IS NULL OR decided_by <> requested_by',
                           name=op.f('ck_adjustments_four_eyes')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_adjustments_member_id_members')),
        sa.ForeignKeyConstraint(['requested_by'], ['staff.id'], name=op.f('fk_adjustments_requested_by_staff')),
        sa.ForeignKeyConstraint(['decided_by'], ['staff.id'], name=op.f('fk_adjustments_decided_by_staff')),
        sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'],
                                name=op.f('fk_adjustments_ledger_entry_id_ledger_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustments')),
        sa.UniqueConstraint('request_key', name=op.f('uq_adjustments_request_key')),
    )
    op.create_index(op.f('ix_adjustments_member_id'), 'adjustments', ['member_id'])
    op.create_index('ix_adjustments_status', 'adjustments', ['status'])

    with op.batch_alter_table('feedback_tickets') as batch:
        batch.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_feedback_tickets_assignee_id_staff'), 'staff', ['assignee_id'], ['id'])


def downgrade():
    with op.batch_alter_table('feedback_tickets') as batch:
        batch.drop_constraint(op.f('fk_feedback_tickets_assignee_id_staff'), type_='foreignkey')
        batch.drop_column('closed_at')
        batch.drop_column('assignee_id')
    op.drop_table('adjustments')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER change_records_append_only ON change_records")
        op.execute("DROP FUNCTION change_records_append_only()")
    op.drop_table('change_records')
