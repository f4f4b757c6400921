"""leads overview: keyset sort indexes, search indexes (FTS5 / pg_trgm), user preferences

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# The searched text, as services/leads/search.py builds it (frozen here: a migration
# must not change when the code does).
LEAD_TEXT_SQL = (
    "coalesce({t}first_name, '') || ' ' || coalesce({t}last_name, '') || ' ' || "
    "coalesce({t}full_name, '') || ' ' || coalesce({t}email, '')"
)
COMPANY_TEXT_SQL = "coalesce({t}name, '') || ' ' || coalesce({t}domain, '')"

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_REPLACED = {
    'ix_leads_email': (['email'], ['email', 'id']),
    'ix_leads_owner_id': (['owner_id'], ['owner_id', 'created_at', 'id']),
    'ix_leads_batch_id': (['batch_id'], ['batch_id', 'created_at', 'id']),
    'ix_leads_company_id': (['company_id'], ['company_id', 'id']),
}
_NEW = {
    'ix_leads_created_at': ['created_at', 'id'],
    'ix_leads_last_name': ['last_name', 'id'],
    'ix_leads_job_title': ['job_title', 'id'],
    'ix_leads_city': ['city', 'id'],
    'ix_leads_country': ['country', 'id'],
}


def _sqlite_search() -> None:
    lead_new = LEAD_TEXT_SQL.format(t='new.')
    lead_old = LEAD_TEXT_SQL.format(t='old.')
    company_new = COMPANY_TEXT_SQL.format(t='new.')
    company_old = COMPANY_TEXT_SQL.format(t='old.')
    for stmt in (
        "CREATE VIRTUAL TABLE lead_fts USING fts5(body, content='', tokenize='trigram')",
        "CREATE VIRTUAL TABLE company_fts USING fts5(body, content='', tokenize='trigram')",
        f"INSERT INTO lead_fts(rowid, body) SELECT id, {LEAD_TEXT_SQL.format(t='')} FROM leads",
        f"INSERT INTO company_fts(rowid, body) SELECT id, {COMPANY_TEXT_SQL.format(t='')} FROM companies",
        f"""CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN
            INSERT INTO lead_fts(rowid, body) VALUES (new.id, {lead_new}); END""",
        f"""CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN
            INSERT INTO lead_fts(lead_fts, rowid, body) VALUES ('delete', old.id, {lead_old}); END""",
        f"""CREATE TRIGGER leads_fts_au AFTER UPDATE OF first_name, last_name, full_name, email ON leads BEGIN
            INSERT INTO lead_fts(lead_fts, rowid, body) VALUES ('delete', old.id, {lead_old});
            INSERT INTO lead_fts(rowid, body) VALUES (new.id, {lead_new}); END""",
        f"""CREATE TRIGGER companies_fts_ai AFTER INSERT ON companies BEGIN
            INSERT INTO company_fts(rowid, body) VALUES (new.id, {company_new}); END""",
        f"""CREATE TRIGGER companies_fts_ad AFTER DELETE ON companies BEGIN
            INSERT INTO company_fts(company_fts, rowid, body) VALUES ('delete', old.id, {company_old}); END""",
        f"""CREATE TRIGGER companies_fts_au AFTER UPDATE OF name, domain ON companies BEGIN
            INSERT INTO company_fts(company_fts, rowid, body) VALUES ('delete', old.id, {company_old});
            INSERT INTO company_fts(rowid, body) VALUES (new.id, {company_new}); END""",
    ):
        op.execute(stmt)


def _pg_search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        f"CREATE INDEX ix_leads_search_trgm ON leads USING gin (({LEAD_TEXT_SQL.format(t='')}) gin_trgm_ops)"
    )
    op.execute(
        f"CREATE INDEX ix_companies_search_trgm ON companies USING gin (({COMPANY_TEXT_SQL.format(t='')}) gin_trgm_ops)"
    )


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferences', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False, server_default='{}'))
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_fields', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False, server_default='[]'))
    for name, (_old, new) in _REPLACED.items():
        op.drop_index(name, table_name='leads')
        op.create_index(name, 'leads', new)
    for name, columns in _NEW.items():
        op.create_index(name, 'leads', columns)
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_search()
    else:
        _pg_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('leads_fts_ai', 'leads_fts_ad', 'leads_fts_au',
                        'companies_fts_ai', 'companies_fts_ad', 'companies_fts_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS lead_fts")
        op.execute("DROP TABLE IF EXISTS company_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_companies_search_trgm")
    for name in _NEW:
        op.drop_index(name, table_name='leads')
    for name, (old, _new) in _REPLACED.items():
        op.drop_index(name, table_name='leads')
        op.create_index(name, 'leads', old)
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('edited_fields')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('preferences')
