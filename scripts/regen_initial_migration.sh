# Developer-only, before the first release: rebuild migration 0001 from the models and round-trip it.
set -e
cd /work/main
rm -f src/leadreel/migrations/versions/0001_initial_schema.py /tmp/gen.db
.venv/bin/python -c "from leadreel import migrate; migrate.revision('sqlite:////tmp/gen.db', 'initial schema')" >/dev/null
f=$(ls src/leadreel/migrations/versions/*_initial_schema.py)
rev=$(basename $f | cut -d_ -f1)
sed -i "s/'$rev'/'0001'/; s/Revision ID: $rev/Revision ID: 0001/; /^import leadreel.models.base$/d" $f
mv $f src/leadreel/migrations/versions/0001_initial_schema.py
rm -f /tmp/gen.db
.venv/bin/python -c "
from leadreel import migrate
for u in ['sqlite:////tmp/gen.db','postgresql+psycopg://postgres@127.0.0.1:5432/test']:
    migrate.upgrade(u); migrate.downgrade(u); migrate.upgrade(u); migrate.downgrade(u); print('ok',u)
"
