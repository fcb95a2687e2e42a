# Sourced by .ci/run (reliability block): start SecantusDB in its own venv on a free port and
# export MONGODB_URL, so `make test` runs the `mongo` tier and the whole-system flows on it too.
# The server is stopped when .ci/run exits.
SECANTUS_DIR="$(mktemp -d /tmp/lumi-ci-secantus.XXXXXX)"
trap 'bash scripts/secantusdb.sh stop "$SECANTUS_DIR"' EXIT
MONGODB_URL="$(bash scripts/secantusdb.sh start "$SECANTUS_DIR")"
export MONGODB_URL
echo "MONGODB_URL=${MONGODB_URL} (SecantusDB, log ${SECANTUS_DIR}/secantusdb.log)"
