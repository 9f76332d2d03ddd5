"""feedback tickets, invoice titles and invoice requests (M13, M18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NOW = sa.text('(CURRENT_TIMESTAMP)')


def upgrade():
    op.create_table(
        'feedback_tickets',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('message_key', sa.String(length=128), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('answer', sa.String(length=1000), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name=op.f('ck_feedback_tickets_status_known')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_feedback_tickets_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_tickets')),
        sa.UniqueConstraint('message_key', name=op.f('uq_feedback_tickets_message_key')),
    )
    op.create_index('ix_feedback_tickets_member_created', 'feedback_tickets', ['member_id', 'created_at'])
    op.create_table(
        'invoice_titles',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('tax_code', sa.String(length=18), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("kind IN ('personal', 'company')", name=op.f('ck_invoice_titles_kind_known')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_invoice_titles_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_titles')),
    )
    op.create_index(op.f('ix_invoice_titles_member_id'), 'invoice_titles', ['member_id'])
    op.create_table(
        'invoice_requests',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('sale_id', BIG_ID, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('title_kind', sa.String(length=16), nullable=False),
        sa.Column('title_name', sa.String(length=100), nullable=False),
        sa.Column('title_tax_code', sa.String(length=18), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('invoice_no', sa.String(length=64), nullable=True),
        sa.Column('pdf_url', sa.String(length=500), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('requested', 'issued', 'rejected')",
                           name=op.f('ck_invoice_requests_status_known')),
        sa.CheckConstraint("title_kind IN ('personal', 'company')", name=op.f('ck_invoice_requests_title_kind_known')),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_invoice_requests_amount_positive')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_invoice_requests_member_id_members')),
        sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_invoice_requests_sale_id_sales')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_requests')),
        sa.UniqueConstraint('sale_id', name=op.f('uq_invoice_requests_sale_id')),
    )
    op.create_index('ix_invoice_requests_member_created', 'invoice_requests', ['member_id', 'created_at'])


def downgrade():
    op.drop_table('invoice_requests')
    op.drop_table('invoice_titles')
    op.drop_table('feedback_tickets')
