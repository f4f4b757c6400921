"""drive storage: account state, per-batch destination, upload state, login attempts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drive_accounts', schema=None) as batch_op:
        batch_op.alter_column('encrypted_refresh_token', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.add_column(sa.Column('status', sa.String(length=30), nullable=False, server_default='connected'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            'status', "status IN ('connected', 'reconnect_required', 'disconnected')"
        )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_destination', sa.String(length=100), nullable=True))
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('upload_error', sa.Text(), nullable=True))
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_key_at', ['key', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_attempts_attempted_at', ['attempted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_attempted_at')
        batch_op.drop_index('ix_login_attempts_key_at')
    op.drop_table('login_attempts')
    with op.batch_alter_table('videos', schema=None) as batch_op:
        batch_op.drop_column('upload_error')
        batch_op.drop_column('upload_status')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('storage_destination')
    op.execute("DELETE FROM drive_accounts WHERE encrypted_refresh_token IS NULL")
    with op.batch_alter_table('drive_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_drive_accounts_status'), type_='check')
        batch_op.drop_column('last_error')
        batch_op.drop_column('status')
        batch_op.alter_column('encrypted_refresh_token', existing_type=sa.LargeBinary(), nullable=False)
