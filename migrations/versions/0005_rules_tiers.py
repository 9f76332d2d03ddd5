"""earning rules, multipliers, tier changes and tier rewards

Branches from 0003 beside the other feature migrations; the lead linearises the chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('stacking', sa.String(length=16), nullable=False),
    sa.Column('cap_per_sale', sa.BigInteger(), nullable=True),
    sa.Column('cap_per_day', sa.BigInteger(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("stacking IN ('multiply', 'best_of')", name=op.f('ck_rule_sets_stacking_known')),
    sa.CheckConstraint('cap_per_sale IS NULL OR cap_per_sale >= 0', name=op.f('ck_rule_sets_cap_per_sale_not_negative')),
    sa.CheckConstraint('cap_per_day IS NULL OR cap_per_day >= 0', name=op.f('ck_rule_sets_cap_per_day_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_sets'))
    )
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        # At most one active set: two loads racing cannot both win.
        batch_op.create_index('uq_rule_sets_active', ['active'], unique=True,
                              postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))

    op.create_table('earning_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('per', sa.BigInteger(), nullable=False),
    sa.Column('applies_to', sa.String(length=8), nullable=True),
    sa.Column('grade_code', sa.String(length=8), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('per_amount', 'per_litre', 'per_category')", name=op.f('ck_earning_rules_kind_known')),
    sa.CheckConstraint('points > 0 AND per > 0', name=op.f('ck_earning_rules_rate_positive')),
    sa.CheckConstraint("applies_to IS NULL OR applies_to IN ('all', 'fuel', 'shop')", name=op.f('ck_earning_rules_applies_to_known')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_sets.id'], name=op.f('fk_earning_rules_rule_set_id_rule_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_earning_rules'))
    )
    with op.batch_alter_table('earning_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_earning_rules_rule_set_id'), ['rule_set_id'], unique=False)

    op.create_table('points_multipliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('factor', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.Column('identities', sa.JSON(), nullable=True),
    sa.Column('weekdays', sa.JSON(), nullable=True),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('birthday_scope', sa.String(length=8), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stations', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('identity', 'weekday', 'birthday', 'campaign')", name=op.f('ck_points_multipliers_kind_known')),
    sa.CheckConstraint('factor > 0', name=op.f('ck_points_multipliers_factor_positive')),
    sa.CheckConstraint("birthday_scope IS NULL OR birthday_scope IN ('day', 'month')", name=op.f('ck_points_multipliers_birthday_scope_known')),
    sa.CheckConstraint('start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute', name=op.f('ck_points_multipliers_window_in_day')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['rule_sets.id'], name=op.f('fk_points_multipliers_rule_set_id_rule_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_multipliers'))
    )
    with op.batch_alter_table('points_multipliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_multipliers_rule_set_id'), ['rule_set_id'], unique=False)

    op.create_table('tier_changes',
    sa.Column('id', BigId, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_tier_id', sa.Integer(), nullable=True),
    sa.Column('to_tier_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('metric_value', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason IN ('initial', 'upgrade', 'downgrade', 'trial_end')", name=op.f('ck_tier_changes_reason_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tier_changes_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_tier_id'], ['tiers.id'], name=op.f('fk_tier_changes_from_tier_id_tiers')),
    sa.ForeignKeyConstraint(['to_tier_id'], ['tiers.id'], name=op.f('fk_tier_changes_to_tier_id_tiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_changes'))
    )
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.create_index('ix_tier_changes_member_at', ['member_id', 'at'], unique=False)

    op.create_table('tier_rewards',
    sa.Column('id', BigId, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('ledger_entry_id', BigId, nullable=True),
    sa.Column('coupon_template', sa.String(length=32), nullable=True),
    sa.Column('coupon_id', sa.BigInteger(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tier_rewards_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_tier_rewards_tier_id_tiers')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'], name=op.f('fk_tier_rewards_ledger_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_rewards')),
    sa.UniqueConstraint('member_id', 'tier_id', 'window_start', name=op.f('uq_tier_rewards_member_id'))
    )


def downgrade():
    op.drop_table('tier_rewards')
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_tier_changes_member_at')
    op.drop_table('tier_changes')
    with op.batch_alter_table('points_multipliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_multipliers_rule_set_id'))
    op.drop_table('points_multipliers')
    with op.batch_alter_table('earning_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_earning_rules_rule_set_id'))
    op.drop_table('earning_rules')
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.drop_index('uq_rule_sets_active', postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    op.drop_table('rule_sets')
