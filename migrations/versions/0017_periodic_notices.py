"""periodic notices: the vehicle's registration date, survey ratings, the outbox by member and kind

`members.vehicle_registered_on`: the first registration date, from which the inspection
reminders follow. `survey_ratings`: a member's 1-5 reply to the satisfaction survey, one
per sale. `ix_outbox_member_kind_created`: the producers' cooldown lookups (recall,
surveys) and the survey reply's lookup of the push it answers. `ix_sales_created`: the
survey producer's recent sales (and later dashboards by time).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'  # rechained at merge: 0014 -> 0016 (pushes) -> 0017
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('vehicle_registered_on', sa.Date(), nullable=True))
    op.create_table(
        'survey_ratings',
        sa.Column('id', BigId, nullable=False),
        sa.Column('sale_id', BigId, nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('rating', sa.SmallInteger(), nullable=False),
        sa.Column('outbox_id', BigId, nullable=True),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_survey_ratings_rating_in_range')),
        sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_survey_ratings_sale_id_sales')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_survey_ratings_member_id_members')),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_survey_ratings_outbox_id_outbox')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_ratings')),
        sa.UniqueConstraint('sale_id', name=op.f('uq_survey_ratings_sale_id')),
    )
    op.create_index(op.f('ix_survey_ratings_member_id'), 'survey_ratings', ['member_id'])
    op.create_index('ix_outbox_member_kind_created', 'outbox', ['member_id', 'kind', 'created_at'])
    op.create_index('ix_sales_created', 'sales', ['created_at'])


def downgrade():
    op.drop_index('ix_sales_created', table_name='sales')
    op.drop_index('ix_outbox_member_kind_created', table_name='outbox')
    op.drop_index(op.f('ix_survey_ratings_member_id'), table_name='survey_ratings')
    op.drop_table('survey_ratings')
    with op.batch_alter_table('members') as batch:
        batch.drop_column('vehicle_registered_on')
