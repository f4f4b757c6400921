"""exports: custom field values, field visibility in the overview, the record of each export

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('field_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_overview', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom', JSON, nullable=False, server_default='{}'))
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('custom', JSON, nullable=False, server_default='{}'))
    op.create_table('exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('template_name', sa.String(length=200), nullable=False),
    sa.Column('columns', JSON, nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('selection', JSON, nullable=False),
    sa.Column('filter_text', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('file_path', sa.String(length=1000), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name=op.f('ck_exports_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['export_templates.id'], name=op.f('fk_exports_template_id_export_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exports'))
    )
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.create_index('ix_exports_created_by_id', ['created_by_id'], unique=False)
        batch_op.create_index('ix_exports_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index('ix_exports_created_at')
        batch_op.drop_index('ix_exports_created_by_id')
    op.drop_table('exports')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('custom')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('custom')
    with op.batch_alter_table('field_definitions', schema=None) as batch_op:
        batch_op.drop_column('in_overview')
