#!/usr/bin/env bash
# The Python environment of the third-party tests: a venv in target/third-party-venv with the
# pinned packages of tests/third_party/requirements.txt (moto's server, boto3/botocore and the
# providers' official SDKs). Re-run after changing requirements.txt; a venv that already has
# exactly those pins is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/third-party-venv
req=tests/third_party/requirements.txt
if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements.txt"; then
	exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$venv/requirements.txt"
