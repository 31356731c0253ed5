#!/usr/bin/env bash
# aws-emulators.sh start|stop|env — the local AWS API servers the infra/aws tests run against.
#
#   DynamoDB  npm dynalite   (in memory)
#   SQS       npm fauxqs     (its buildApp, listening on 127.0.0.1)
#   KMS       github.com/nsmithuk/local-kms, built from the module source with one patch:
#             it binds ":PORT" (all interfaces); we bind 127.0.0.1
#   S3        gofakes3, in process in the tests; with BREVDUVA_WITH_MINIO=1 also MinIO, built
#             from the module proxy (~5 min, 1.5 GB the first time; not in CI's budget) and
#             started with a static SSE-KMS key, so the S3 tests run against it instead
#
# Versions are pinned below. Tools are cached in .cache (git-ignored): npm packages in
# .cache/node_modules, local-kms in .cache/bin. Every server listens on 127.0.0.1 on a free
# port; `start` writes the endpoints to $STATE/env (BREVDUVA_*_ENDPOINT=...), which
# `env` prints. $STATE is $BREVDUVA_AWS_EMU_DIR, default .cache/aws-emulators; `stop` ends
# only the processes this state directory recorded, by pid.
set -euo pipefail

DYNALITE_VERSION=4.0.0
FAUXQS_VERSION=1.9.2
LOCAL_KMS_VERSION=v0.0.0-20260228092603-2a5e92d09ab6
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.cache
STATE=${BREVDUVA_AWS_EMU_DIR:-$CACHE/aws-emulators}
case $STATE in /*) ;; *) STATE=$ROOT/$STATE ;; esac
KMS_BIN=$CACHE/bin/local-kms-$LOCAL_KMS_VERSION
MINIO_BIN=$CACHE/bin/minio-$MINIO_VERSION
WITH_MINIO=${BREVDUVA_WITH_MINIO:-0}

log() { echo "aws-emulators: $*" >&2; }

installed_npm() { # name version
  [ -f "$CACHE/node_modules/$1/package.json" ] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' "$CACHE/node_modules/$1/package.json" "$2"
}

install() {
  mkdir -p "$CACHE/bin"
  if ! installed_npm dynalite "$DYNALITE_VERSION" || ! installed_npm fauxqs "$FAUXQS_VERSION"; then
    log "npm install dynalite@$DYNALITE_VERSION fauxqs@$FAUXQS_VERSION into $CACHE"
    [ -f "$CACHE/package.json" ] || echo '{"private":true}' >"$CACHE/package.json"
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error \
      "dynalite@$DYNALITE_VERSION" "fauxqs@$FAUXQS_VERSION" >&2
  fi
  if [ ! -x "$KMS_BIN" ]; then
    log "building local-kms $LOCAL_KMS_VERSION"
    local src dir
    src=$(cd "$ROOT" && go mod download -json "github.com/nsmithuk/local-kms@$LOCAL_KMS_VERSION" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
    dir=$(mktemp -d "$CACHE/local-kms-src.XXXXXX")
    cp -r "$src/." "$dir" && chmod -R u+w "$dir"
    # Bind the loopback interface only (upstream listens on ":"+port).
    sed -i 's|addr := ":"+port|addr := "127.0.0.1:"+port|' "$dir/src/server.go"
    grep -q 'addr := "127.0.0.1:"+port' "$dir/src/server.go" || { log "local-kms patch did not apply"; exit 1; }
    (cd "$dir" && GOFLAGS=-mod=mod go build -o "$KMS_BIN.tmp" .) && mv "$KMS_BIN.tmp" "$KMS_BIN"
    rm -rf "$dir"
  fi
  if [ "$WITH_MINIO" = 1 ] && [ ! -x "$MINIO_BIN" ]; then
    log "building MinIO $MINIO_VERSION (about 5 minutes)"
    mkdir -p "$CACHE/minio-gobin"
    GOBIN="$CACHE/minio-gobin" go install "github.com/minio/minio@$MINIO_VERSION"
    mv "$CACHE/minio-gobin/minio" "$MINIO_BIN" && rmdir "$CACHE/minio-gobin"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_port NAME PORT PID: poll until PORT accepts connections (at most 30 s).
wait_port() {
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { log "$1 exited:"; cat "$STATE/$1.log" >&2; return 1; }
    sleep 0.1
  done
  log "$1 did not listen on 127.0.0.1:$2 within 30 s"; cat "$STATE/$1.log" >&2; return 1
}

start() {
  install
  if [ -f "$STATE/env" ]; then stop; fi
  mkdir -p "$STATE"
  local p_ddb p_sqs p_kms pid
  p_ddb=$(free_port); p_sqs=$(free_port); p_kms=$(free_port)

  node "$CACHE/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$p_ddb" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >"$STATE/dynalite.log" 2>&1 &
  pid=$!; echo $pid >"$STATE/dynalite.pid"; wait_port dynalite "$p_ddb" $pid

  cat >"$STATE/fauxqs.mjs" <<JS
const { buildApp } = await import(process.argv[2]);
const port = Number(process.argv[3]);
const app = buildApp({ logger: false, host: "127.0.0.1:" + port });
await app.listen({ port, host: "127.0.0.1" });
JS
  node "$STATE/fauxqs.mjs" "file://$CACHE/node_modules/fauxqs/dist/app.js" "$p_sqs" >"$STATE/fauxqs.log" 2>&1 &
  pid=$!; echo $pid >"$STATE/fauxqs.pid"; wait_port fauxqs "$p_sqs" $pid

  rm -rf "$STATE/kms-data"; mkdir -p "$STATE/kms-data"
  PORT=$p_kms KMS_DATA_PATH="$STATE/kms-data" KMS_SEED_PATH="$STATE/no-seed.yaml" \
    KMS_REGION=eu-north-1 KMS_ACCOUNT_ID=111122223333 "$KMS_BIN" >"$STATE/local-kms.log" 2>&1 &
  pid=$!; echo $pid >"$STATE/local-kms.pid"; wait_port local-kms "$p_kms" $pid

  cat >"$STATE/env" <<ENV
BREVDUVA_DYNAMODB_ENDPOINT=http://127.0.0.1:$p_ddb
BREVDUVA_SQS_ENDPOINT=http://127.0.0.1:$p_sqs
BREVDUVA_KMS_ENDPOINT=http://127.0.0.1:$p_kms
ENV

  if [ "$WITH_MINIO" = 1 ]; then
    local p_s3 p_console
    p_s3=$(free_port); p_console=$(free_port)
    mkdir -p "$STATE/minio-data"
    # The credentials are infra/aws/awstest's; MinIO's built-in KMS has one static key.
    MINIO_ROOT_USER=AKIDBREVDUVATEST MINIO_ROOT_PASSWORD=brevduva-test-secret \
      MINIO_SITE_REGION=eu-north-1 MINIO_BROWSER=off \
      MINIO_KMS_SECRET_KEY="brevduva-test:$(head -c 32 /dev/urandom | base64)" \
      "$MINIO_BIN" server --address "127.0.0.1:$p_s3" --console-address "127.0.0.1:$p_console" \
      "$STATE/minio-data" >"$STATE/minio.log" 2>&1 &
    pid=$!; echo $pid >"$STATE/minio.pid"; wait_port minio "$p_s3" $pid
    printf 'BREVDUVA_S3_ENDPOINT=http://127.0.0.1:%s\nBREVDUVA_S3_KMS_KEY=brevduva-test\n' "$p_s3" >>"$STATE/env"
  fi
  log "started (env in $STATE/env):"; cat "$STATE/env" >&2
}

stop() {
  local f pid
  for f in "$STATE"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  rm -rf "$STATE"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env) cat "$STATE/env" ;;
  *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
