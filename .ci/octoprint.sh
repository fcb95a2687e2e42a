# Sourced by .ci/run (printing block): a real OctoPrint (with its virtual printer) for the
# OctoPrint adapter test, in its own venv cached by path (.ci-venvs/octoprint). The test starts
# and stops the server itself; without this venv it skips with the reason.
OCTOPRINT_VENV=".ci-venvs/octoprint"
if [ ! -x "$OCTOPRINT_VENV/bin/octoprint" ]; then
  python3 -m venv "$OCTOPRINT_VENV" \
    && "$OCTOPRINT_VENV/bin/pip" install -q "octoprint==1.11.8" \
    || echo "OctoPrint could not be installed: its adapter test will skip" >&2
fi
export OCTOPRINT_BIN="$PWD/$OCTOPRINT_VENV/bin/octoprint"
