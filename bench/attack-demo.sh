#!/bin/bash
# A live demo for the dashboard preview: a real drachtio-server and sipwarden, a sipp registrar
# as the PBX, phones registering at 5/s, and attacks (svwar, a password brute force, svmap, an
# INVITE flood) while bench/dashboard-preview.ts samples /metrics. Writes docs/dashboard-preview.svg.
# Every load loop is bounded (-m counts, timeouts). Needs DRACHTIO_BIN, sipp and sipvicious.
set -euo pipefail
: "${DRACHTIO_BIN:?set DRACHTIO_BIN to a drachtio-server binary}"
cd "$(dirname "$0")/.."
SECONDS_TOTAL=${SECONDS_TOTAL:-60}
DIR=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"; }
trap cleanup EXIT

ADMIN_PORT=39811; SIP_PORT=51811; PBX_PORT=51812; HTTP_PORT=18099
SC=test/e2e/scenarios
npm run build >/dev/null

cat > "$DIR/drachtio.xml" <<XML
<drachtio>
  <admin port="$ADMIN_PORT" secret="demo">127.0.0.1</admin>
  <sip><contacts><contact>sip:127.0.0.1:$SIP_PORT;transport=udp</contact></contacts></sip>
  <logging><console/><sofia-loglevel>1</sofia-loglevel><loglevel>warning</loglevel></logging>
</drachtio>
XML
"$DRACHTIO_BIN" -f "$DIR/drachtio.xml" > "$DIR/drachtio.log" 2>&1 & PIDS+=($!)
sipp -sf $SC/registrar.xml -i 127.0.0.2 -bind_local -p $PBX_PORT -nostdin -m 100000 > /dev/null 2>&1 & PIDS+=($!)
cat > "$DIR/config.yml" <<YML
log: { level: warn }
drachtio: { port: $ADMIN_PORT, secret: demo }
pbx: { host: 127.0.0.2, port: $PBX_PORT }
trusted_networks: [127.0.0.20]
database: { path: $DIR/sipwarden.db }
admin: { port: $HTTP_PORT }
YML
node dist/src/main.js --config "$DIR/config.yml" > "$DIR/sipwarden.log" 2>&1 & PIDS+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.2; done

node dist/bench/dashboard-preview.js --url "http://127.0.0.1:$HTTP_PORT" --seconds "$SECONDS_TOTAL" --interval 2000 --out docs/dashboard-preview.svg & SAMPLER=$!
register() { sipp 127.0.0.1:$SIP_PORT -sf $SC/$1 -s 1001 -au 1001 -ap "$2" -i "$3" -bind_local -p "$4" -nostdin -timeout 20s "${@:5}" >/dev/null 2>&1 || true; }
# Phones: 5 registrations per second from an office address, for the whole run.
register register.xml e2e-right-password 127.0.0.30 52001 -r 5 -m $((SECONDS_TOTAL * 5 - 20)) -timeout $((SECONDS_TOTAL - 4))s & PIDS+=($!)
sleep 8;  timeout 10 svwar -p $SIP_PORT -m INVITE -e 100-400 127.0.0.1 >/dev/null 2>&1 || true
sleep 6;  for i in $(seq 1 12); do register register-wrong-password.xml "guess-$i" 127.0.0.50 52002 -m 1 -timeout 4s; sleep 0.5; done
sleep 4;  timeout 10 svmap -b 127.0.0.40 -p $SIP_PORT 127.0.0.1 >/dev/null 2>&1 || true
sleep 4;  timeout 10 sipp 127.0.0.1:$SIP_PORT -sn uac -i 127.0.0.60 -bind_local -p 52003 -r 40 -m 200 -nostdin -timeout 8s >/dev/null 2>&1 || true
wait $SAMPLER
echo "blocks at the end:"; curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | grep '^sipwarden_blocks_active'
