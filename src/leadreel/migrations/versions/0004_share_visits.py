"""share pages: one visit per page open and the events its script reported

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 06:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=False),
    sa.Column('played', sa.Boolean(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('cta_clicks', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], name=op.f('fk_share_visits_video_id_videos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_visits')),
    sa.UniqueConstraint('key', name=op.f('uq_share_visits_key'))
    )
    with op.batch_alter_table('share_visits', schema=None) as batch_op:
        batch_op.create_index('ix_share_visits_video_id_created_at', ['video_id', 'created_at'], unique=False)

    op.create_table('share_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['share_visits.id'], name=op.f('fk_share_events_visit_id_share_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_events'))
    )
    with op.batch_alter_table('share_events', schema=None) as batch_op:
        batch_op.create_index('ix_share_events_visit_id', ['visit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('share_events', schema=None) as batch_op:
        batch_op.drop_index('ix_share_events_visit_id')
    op.drop_table('share_events')
    with op.batch_alter_table('share_visits', schema=None) as batch_op:
        batch_op.drop_index('ix_share_visits_video_id_created_at')
    op.drop_table('share_visits')
