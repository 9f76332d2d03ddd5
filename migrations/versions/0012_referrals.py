"""referral codes (with their cached permanent QR ticket), pending scans, referrals

`referrals.referred_id` is unique: one referrer per member, so a referral is rewarded once
even when two binds race.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'referral_codes',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('qr_ticket', sa.String(length=255), nullable=True),
        sa.Column('qr_url', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_codes_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_referral_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_referral_codes_code')),
    )
    op.create_table(
        'referral_scans',
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('referrer_id', sa.Integer(), nullable=False),
        sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['referrer_id'], ['members.id'],
                                name=op.f('fk_referral_scans_referrer_id_members')),
        sa.PrimaryKeyConstraint('openid', name=op.f('pk_referral_scans')),
    )
    op.create_index(op.f('ix_referral_scans_referrer_id'), 'referral_scans', ['referrer_id'])
    op.create_table(
        'referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referrer_id', sa.Integer(), nullable=False),
        sa.Column('referred_id', sa.Integer(), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rewarded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('referrer_points', sa.Integer(), nullable=False),
        sa.Column('referred_points', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referrals_referrer_id_members')),
        sa.ForeignKeyConstraint(['referred_id'], ['members.id'], name=op.f('fk_referrals_referred_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
        sa.UniqueConstraint('referred_id', name=op.f('uq_referrals_referred_id')),
    )
    op.create_index(op.f('ix_referrals_referrer_id'), 'referrals', ['referrer_id'])


def downgrade():
    op.drop_index(op.f('ix_referrals_referrer_id'), table_name='referrals')
    op.drop_table('referrals')
    op.drop_index(op.f('ix_referral_scans_referrer_id'), table_name='referral_scans')
    op.drop_table('referral_scans')
    op.drop_table('referral_codes')
