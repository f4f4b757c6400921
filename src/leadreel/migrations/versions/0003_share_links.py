"""share links: a token per video, view counters, the Drive link

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 06:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('share_enabled', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('view_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('play_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('first_viewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_viewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('drive_url', sa.String(length=2048), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_videos_share_token'), ['share_token'])


def downgrade() -> None:
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_videos_share_token'), type_='unique')
        batch_op.drop_column('drive_url')
        batch_op.drop_column('last_viewed_at')
        batch_op.drop_column('first_viewed_at')
        batch_op.drop_column('play_count')
        batch_op.drop_column('view_count')
        batch_op.drop_column('share_enabled')
        batch_op.drop_column('share_token')
