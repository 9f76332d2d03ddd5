"""campaigns: saved segments, campaigns with arms and a holdout, the members who entered

`segments` (filters as JSON), `campaigns` (segment, schedule once or a daily trigger,
holdout share, conversion window), `campaign_arms` (weight, offer, messages per channel)
and `campaign_members` (the sticky assignment: one arm per member per campaign, recorded
on entry; no foreign keys, see below). docs/campaigns.md.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'  # the chain ascends: ... 0020 -> 0021 -> 0022 -> 0023
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(32), nullable=False),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('created_at', TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
        sa.UniqueConstraint('code', name=op.f('uq_segments_code')),
    )
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(32), nullable=False),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('schedule', sa.String(8), nullable=False),
        sa.Column('trigger', sa.JSON(), nullable=True),
        sa.Column('cooldown_days', sa.Integer(), nullable=True),
        sa.Column('holdout_bp', sa.Integer(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('conversion', sa.String(16), nullable=False),
        sa.Column('min_amount_fen', sa.BigInteger(), nullable=True),
        sa.Column('status', sa.String(8), nullable=False),
        sa.Column('launched_at', TS, nullable=True),
        sa.Column('stopped_at', TS, nullable=True),
        sa.Column('created_at', TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'running', 'paused', 'stopped')", name=op.f('ck_campaigns_status_known')),
        sa.CheckConstraint("schedule IN ('once', 'trigger')", name=op.f('ck_campaigns_schedule_known')),
        sa.CheckConstraint("conversion IN ('visit', 'sale_over', 'coupon_used')",
                           name=op.f('ck_campaigns_conversion_known')),
        sa.CheckConstraint('holdout_bp >= 0 AND holdout_bp < 10000', name=op.f('ck_campaigns_holdout_in_range')),
        sa.CheckConstraint('window_days > 0 AND window_days <= 365', name=op.f('ck_campaigns_window_in_range')),
        sa.CheckConstraint('cooldown_days IS NULL OR cooldown_days > 0', name=op.f('ck_campaigns_cooldown_positive')),
        sa.CheckConstraint("schedule = 'once' OR trigger IS NOT NULL", name=op.f('ck_campaigns_trigger_set')),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_campaigns_segment_id_segments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
        sa.UniqueConstraint('code', name=op.f('uq_campaigns_code')),
    )
    op.create_table(
        'campaign_arms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(16), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('holdout', sa.Boolean(), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('coupon_template_id', sa.Integer(), nullable=True),
        sa.Column('points', sa.BigInteger(), nullable=True),
        sa.Column('message', sa.String(300), nullable=True),
        sa.Column('sms_text', sa.String(140), nullable=True),
        sa.CheckConstraint('weight >= 0', name=op.f('ck_campaign_arms_weight_not_negative')),
        sa.CheckConstraint('points IS NULL OR points > 0', name=op.f('ck_campaign_arms_points_positive')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_arms_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['coupon_template_id'], ['coupon_templates.id'],
                                name=op.f('fk_campaign_arms_coupon_template_id_coupon_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_arms')),
    )
    op.create_index('uq_campaign_arms_code', 'campaign_arms', ['campaign_id', 'code'], unique=True)
    op.create_table(
        'campaign_members',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('arm_id', sa.Integer(), nullable=False),
        sa.Column('entered_at', TS, nullable=False),
        sa.Column('window_ends_at', TS, nullable=False),
        sa.Column('last_entered_at', TS, nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        # No foreign keys: written only by the set-based entry, from members and the
        # campaign's own arms (neither is ever deleted once a campaign has members), and a
        # million rows' checks cost six times the insert itself (bench/campaigns.py).
        sa.PrimaryKeyConstraint('campaign_id', 'member_id', name=op.f('pk_campaign_members')),
    )
    op.create_index('ix_campaign_members_arm', 'campaign_members', ['campaign_id', 'arm_id'])


def downgrade():
    op.drop_index('ix_campaign_members_arm', table_name='campaign_members')
    op.drop_table('campaign_members')
    op.drop_index('uq_campaign_arms_code', table_name='campaign_arms')
    op.drop_table('campaign_arms')
    op.drop_table('campaigns')
    op.drop_table('segments')
