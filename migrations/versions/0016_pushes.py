"""pushes: outbox delivery state, the delivery log, subscription-notice acceptances

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
UNSENT = sa.text("status IN ('pending', 'sending')")


def upgrade():
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), server_default='pending', nullable=False))
        batch.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_error', sa.String(length=200), nullable=True))
    # Rows written before this migration were never sent and never will be: old news.
    op.execute("UPDATE outbox SET status = 'skipped', last_error = 'before pushes existed'")
    op.create_index('ix_outbox_unsent', 'outbox', ['next_attempt_at', 'id'],
                    postgresql_where=UNSENT, sqlite_where=UNSENT)
    op.create_table(
        'deliveries',
        sa.Column('id', BigId, nullable=False),
        sa.Column('outbox_id', BigId, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('errcode', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=64), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_deliveries_outbox_id_outbox'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_deliveries_member_id_members'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    )
    op.create_index('ix_deliveries_member_id_id', 'deliveries', ['member_id', 'id'])
    op.create_index('ix_deliveries_outbox_id', 'deliveries', ['outbox_id'])
    op.create_table(
        'notice_acceptances',
        sa.Column('id', BigId, nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('template_id', sa.String(length=64), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outbox_id', BigId, nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_status', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_notice_acceptances_member_id_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'],
                                name=op.f('fk_notice_acceptances_outbox_id_outbox'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_acceptances')),
    )
    op.create_index('ix_notice_acceptances_openid_template', 'notice_acceptances', ['openid', 'template_id'])


def downgrade():
    op.drop_index('ix_notice_acceptances_openid_template', table_name='notice_acceptances')
    op.drop_table('notice_acceptances')
    op.drop_index('ix_deliveries_outbox_id', table_name='deliveries')
    op.drop_index('ix_deliveries_member_id_id', table_name='deliveries')
    op.drop_table('deliveries')
    op.drop_index('ix_outbox_unsent', table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('last_error')
        batch.drop_column('next_attempt_at')
        batch.drop_column('attempts')
        batch.drop_column('channel')
        batch.drop_column('status')
