"""member profiles (computed nightly), tag rules (edited in the console) and members' tags

`member_profiles`: one row per member with a sale, replaced by the nightly profile job
(loyalty.profiles.compute). `tag_rules`: a tag's Chinese name and its condition as JSON
(loyalty.profiles.tag_rules' language). `member_tags`: who carries which tag.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'member_profiles',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('visits_30d', sa.Integer(), nullable=False),
        sa.Column('visits_90d', sa.Integer(), nullable=False),
        sa.Column('visits_365d', sa.Integer(), nullable=False),
        sa.Column('visits_per_month', sa.Numeric(8, 2), nullable=False),
        sa.Column('avg_litres_ml', sa.BigInteger(), nullable=True),
        sa.Column('litres_365d_ml', sa.BigInteger(), nullable=False),
        sa.Column('amount_365d_fen', sa.BigInteger(), nullable=False),
        sa.Column('favourite_grade', sa.String(length=8), nullable=True),
        sa.Column('favourite_weekday', sa.SmallInteger(), nullable=True),
        sa.Column('favourite_hour', sa.SmallInteger(), nullable=True),
        sa.Column('weekend_share_permille', sa.Integer(), nullable=True),
        sa.Column('shop_share_permille', sa.Integer(), nullable=True),
        sa.Column('first_visit_at', TZ, nullable=False),
        sa.Column('last_visit_at', TZ, nullable=False),
        sa.Column('days_since_last_visit', sa.Integer(), nullable=False),
        sa.Column('median_interval_days', sa.Numeric(7, 1), nullable=True),
        sa.Column('r_score', sa.SmallInteger(), nullable=True),
        sa.Column('f_score', sa.SmallInteger(), nullable=True),
        sa.Column('m_score', sa.SmallInteger(), nullable=True),
        sa.Column('rfm_segment', sa.String(length=24), nullable=False),
        sa.Column('computed_at', TZ, nullable=False),
        sa.CheckConstraint('r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5 AND m_score BETWEEN 1 AND 5',
                           name=op.f('ck_member_profiles_scores_quintiles')),
        sa.CheckConstraint('favourite_weekday BETWEEN 0 AND 6 AND favourite_hour BETWEEN 0 AND 23',
                           name=op.f('ck_member_profiles_week_clock')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_profiles_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_profiles')),
    )
    op.create_index('ix_member_profiles_segment', 'member_profiles', ['rfm_segment', 'member_id'])
    op.create_table(
        'tag_rules',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('condition', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.Column('updated_at', TZ, nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_tag_rules')),
    )
    op.create_table(
        'member_tags',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('tag_code', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_tags_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_code'], ['tag_rules.code'], name=op.f('fk_member_tags_tag_code_tag_rules'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('member_id', 'tag_code', name=op.f('pk_member_tags')),
    )
    op.create_index('ix_member_tags_tag', 'member_tags', ['tag_code', 'member_id'])


def downgrade():
    op.drop_table('member_tags')
    op.drop_table('tag_rules')
    op.drop_table('member_profiles')
