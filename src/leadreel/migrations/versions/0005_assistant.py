"""assistant: conversations, the tool-call log and single-use confirmations

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 06:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('chat_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_conversations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_conversations'))
    )
    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.create_index('ix_chat_conversations_user', ['user_id', 'id'], unique=False)

    op.create_table('chat_tool_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tool', sa.String(length=60), nullable=False),
    sa.Column('arguments', JSON, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.Column('confirmation_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('done', 'proposed', 'confirmed', 'refused', 'invalid', 'error')", name=op.f('ck_chat_tool_calls_status')),
    sa.ForeignKeyConstraint(['conversation_id'], ['chat_conversations.id'], name=op.f('fk_chat_tool_calls_conversation_id_chat_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_tool_calls_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_tool_calls'))
    )
    with op.batch_alter_table('chat_tool_calls', schema=None) as batch_op:
        batch_op.create_index('ix_chat_tool_calls_conversation', ['conversation_id', 'id'], unique=False)
        batch_op.create_index('ix_chat_tool_calls_user', ['user_id', 'id'], unique=False)

    op.create_table('chat_confirmations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('tool', sa.String(length=60), nullable=False),
    sa.Column('args_hash', sa.String(length=64), nullable=False),
    sa.Column('arguments', JSON, nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['chat_conversations.id'], name=op.f('fk_chat_confirmations_conversation_id_chat_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_confirmations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_confirmations'))
    )

    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conversation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_chat_messages_conversation_id_chat_conversations'), 'chat_conversations', ['conversation_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_chat_messages_conversation', ['conversation_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_conversation')
        batch_op.drop_constraint(batch_op.f('fk_chat_messages_conversation_id_chat_conversations'), type_='foreignkey')
        batch_op.drop_column('conversation_id')
    op.drop_table('chat_confirmations')
    with op.batch_alter_table('chat_tool_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_tool_calls_user')
        batch_op.drop_index('ix_chat_tool_calls_conversation')
    op.drop_table('chat_tool_calls')
    with op.batch_alter_table('chat_conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_conversations_user')
    op.drop_table('chat_conversations')
