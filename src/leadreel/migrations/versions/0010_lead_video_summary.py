"""leads carry their latest video's status and views, kept by triggers on videos

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:10:00

Why: the overview sorts by video status and by views; computed per lead from ``videos``
that sort read every lead of the table (seconds at 1M). With the two values on the lead and
a ``(column, id)`` index each, they are keyset walks like every other sort. Triggers
rather than application code keep them right for every write path (ORM, Core bulk updates,
cascaded deletes, other workers).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# the latest video (highest id) of a lead, as both databases run it
_LATEST = "(SELECT {col} FROM videos WHERE videos.lead_id = leads.id ORDER BY videos.id DESC LIMIT 1)"
_SET = f"video_status = {_LATEST.format(col='status')}, video_views = {_LATEST.format(col='view_count')}"

_PG_FUNCTION = f"""
CREATE FUNCTION leads_video_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' THEN
    UPDATE leads SET {_SET} WHERE id = NEW.lead_id;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF TG_OP = 'DELETE' OR OLD.lead_id IS DISTINCT FROM NEW.lead_id THEN
      UPDATE leads SET {_SET} WHERE id = OLD.lead_id;
    END IF;
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column('leads', sa.Column('video_status', sa.String(length=20), nullable=True))
    op.add_column('leads', sa.Column('video_views', sa.Integer(), nullable=True))
    op.execute(f"UPDATE leads SET {_SET} WHERE EXISTS (SELECT 1 FROM videos WHERE videos.lead_id = leads.id)")
    op.create_index('ix_leads_video_status', 'leads', ['video_status', 'id'])
    op.create_index('ix_leads_video_views', 'leads', ['video_views', 'id'])
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"""CREATE TRIGGER videos_summary_ai AFTER INSERT ON videos BEGIN
            UPDATE leads SET {_SET} WHERE id = new.lead_id; END""")
        op.execute(f"""CREATE TRIGGER videos_summary_au
            AFTER UPDATE OF status, view_count, lead_id ON videos BEGIN
            UPDATE leads SET {_SET} WHERE id IN (new.lead_id, old.lead_id); END""")
        op.execute(f"""CREATE TRIGGER videos_summary_ad AFTER DELETE ON videos BEGIN
            UPDATE leads SET {_SET} WHERE id = old.lead_id; END""")
    else:
        op.execute(_PG_FUNCTION)
        op.execute("""CREATE TRIGGER videos_summary
            AFTER INSERT OR DELETE OR UPDATE OF status, view_count, lead_id ON videos
            FOR EACH ROW EXECUTE FUNCTION leads_video_summary()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('videos_summary_ai', 'videos_summary_au', 'videos_summary_ad'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS videos_summary ON videos")
        op.execute("DROP FUNCTION IF EXISTS leads_video_summary()")
    op.drop_index('ix_leads_video_views', table_name='leads')
    op.drop_index('ix_leads_video_status', table_name='leads')
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of leads would
    # drop the search triggers of 0008
    op.execute("ALTER TABLE leads DROP COLUMN video_views")
    op.execute("ALTER TABLE leads DROP COLUMN video_status")
