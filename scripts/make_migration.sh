#!/usr/bin/env bash
# Autogenerate an Alembic migration from the current models (lti_pl/models).
#
#   scripts/make_migration.sh "add goal deadline"   the next migration, on top of the existing ones
#   scripts/make_migration.sh --reset               delete migrations/versions/*.py and generate one
#                                                   initial migration (only before a first release:
#                                                   databases already upgraded must be recreated or
#                                                   `lti-pl db stamp head`-ed)
#
# It runs against a throwaway SQLite database (never your real one): the existing migrations are
# applied to it first, then autogenerate compares it with the models. Review the file it prints,
# then run `.venv/bin/python -m pytest tests/integration/migrations -q` (SQLite and, with
# LTI_PL_TEST_DATABASE_URL, PostgreSQL) to check the migrations build exactly the models' schema.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${LTI_PL_CLI:-$root/.venv/bin/lti-pl}"
message="${1:-}"
if [[ "$message" == "--reset" ]]; then
    rm -f "$root"/migrations/versions/*.py
    message="initial schema"
fi
if [[ -z "$message" ]]; then
    echo "usage: $0 \"what changed\" | --reset" >&2
    exit 2
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export LTI_PL_INSTANCE_PATH="$scratch"
export LTI_PL_DATABASE_URL="sqlite:///$scratch/migrate.sqlite3"
export LTI_PL_SECRET_KEY="make-migration-scratch"
unset LTI_PL_REDIS_URL

cd "$root"
"$cli" db upgrade
"$cli" db migrate -m "$message"
# Keep generated files in the project's format.
if [[ -x "$root/.venv/bin/ruff" ]]; then
    "$root/.venv/bin/ruff" format --quiet "$root"/migrations/versions/ || true
fi
ls -t "$root"/migrations/versions/*.py | head -1
