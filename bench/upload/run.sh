#!/usr/bin/env bash
# Upload throughput of the local OSS server (oss-presign serve) against nginx `dav_methods PUT`, interleaved
# (A B A B ...) on loopback, each run on a fresh server process and a fresh data folder:
#   large: one upload of LARGE_MIB MiB with `curl -T` (a presigned PUT URL for ours)
#   small: 4 KiB PUTs at CONNECTIONS connections for SMALL_SECONDS s with wrk, every request a new key
# Before each measured run, the fresh server gets WARMUP_SECONDS of the same small PUTs (other keys, not measured):
# .NET compiles the hot paths again with full optimization during the first ~10 s, which is start-up cost, not the
# steady state a long-running server is in. nginx gets the same warm-up.
# Per run: throughput, server CPU seconds (utime+stime of the server's processes, /proc/PID/stat) per GiB received,
# peak RSS (VmHWM, summed over nginx's master and workers), wrk latency percentiles, and the count check
# "every acknowledged PUT is committed". Writes results.tsv, summary.md and PNG plots to the run folder.
#
# Usage: bench/upload/run.sh [--quick] [--no-build]
#   --quick     one round, 64 MiB, 3 s, 2 s warm-up: a smoke check of the whole pipeline (about a minute)
#   --no-build  use the existing Release builds
# Environment: ROUNDS (5), LARGE_MIB (1024), SMALL_SECONDS (15), WARMUP_SECONDS (10), CONNECTIONS (64), BENCH_DIR (/work/bench-upload;
# must be on the filesystem under test), NGINX_PORT (18080), OURS_PORT (18081), PUBLISH_DIR (when set, results.tsv,
# summary.md, machine.txt and the PNGs are copied there, e.g. docs/benchmarks), OURS_CLI (another build's
# oss-presign.dll as "ours", e.g. of an older commit for a before/after comparison; implies --no-build for the CLI),
# BASELINE_CLI (another build's oss-presign.dll: then no nginx and no large uploads, but an A/B of small PUTs, "ours"
# against "baseline", the order alternating by round; results.tsv and the medians per server, no plots).
# Needs: Debian's nginx and wrk (apt-get install -y nginx wrk), curl, sqlite3, the .NET SDK.
# Nothing is deleted before measuring (see /work/shared/BENCHMARKING.md: creating files is slow for minutes after
# deleting many); every run writes into a new folder, and old run folders are left for you to remove.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
quick=0
build=1
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ $quick == 1 ]]; then
  ROUNDS=${ROUNDS:-1} LARGE_MIB=${LARGE_MIB:-64} SMALL_SECONDS=${SMALL_SECONDS:-3} WARMUP_SECONDS=${WARMUP_SECONDS:-2}
fi
ROUNDS=${ROUNDS:-5}
LARGE_MIB=${LARGE_MIB:-1024}
SMALL_SECONDS=${SMALL_SECONDS:-15}
WARMUP_SECONDS=${WARMUP_SECONDS:-10}
CONNECTIONS=${CONNECTIONS:-64}
BENCH_DIR=${BENCH_DIR:-/work/bench-upload}
NGINX_PORT=${NGINX_PORT:-18080}
OURS_PORT=${OURS_PORT:-18081}
SMALL_BYTES=4096
WRK_THREADS=2
BUCKET=bench
REGION=cn-hangzhou
# The key only opens this loopback server for the length of the run.
export OSS_ACCESS_KEY_ID=LTAIbenchupload
export OSS_ACCESS_KEY_SECRET=bench-upload-secret-0123456789
unset OSS_SESSION_TOKEN

for tool in nginx wrk curl sqlite3 dotnet; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install -y nginx wrk curl sqlite3)" >&2; exit 2; }
done

cli_dll=${OURS_CLI:-$repo/src/OssPresign.Cli/bin/Release/net10.0/oss-presign.dll}
loadgen_dll=$repo/bench/OssPresign.LoadGen/bin/Release/net10.0/oss-loadgen.dll
if [[ $build == 1 ]]; then
  [[ -n ${OURS_CLI:-} ]] || dotnet build "$repo/src/OssPresign.Cli" -c Release -v q -nologo >/dev/null
  dotnet build "$repo/bench/OssPresign.LoadGen" -c Release -v q -nologo >/dev/null
fi

# A full run keeps ~4.8 GB per round (both 1 GiB bodies, nginx's 4 KiB files, ours' database); a disk that fills
# mid-run fails it half-way, so refuse up front, with a margin: 2 x the large body + 3 GiB per round.
mkdir -p "$BENCH_DIR"
large_runs_mib=$((2 * LARGE_MIB))
[[ -n ${BASELINE_CLI:-} ]] && large_runs_mib=0   # the A/B runs no large uploads
needed_mib=$(( ROUNDS * (large_runs_mib + 3 * 1024) ))
free_mib=$(( $(df --output=avail -k "$BENCH_DIR" | tail -1) / 1024 ))
if (( free_mib < needed_mib )); then
  echo "not enough free space under $BENCH_DIR: ${free_mib} MiB free, this run keeps up to ~${needed_mib} MiB;" \
    "remove old run-* folders there (not right before measuring: file creation is slow for minutes after a large delete)" >&2
  exit 2
fi

run=$BENCH_DIR/run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run"
echo "run folder: $run"
clk_tck=$(getconf CLK_TCK)
server_pids=()

cleanup() {
  for pid in "${server_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
# Runs the EXIT trap (stopping the servers) when the script itself is interrupted or killed.
trap 'exit 130' INT TERM

# ---- machine state, for the report ----
{
  echo "date: $(date -u +%FT%TZ)"
  echo "uptime: $(uptime)"
  echo "dotnet processes: $(pgrep -c dotnet || true)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  echo "nginx: $(nginx -v 2>&1)"
  echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "curl: $(curl --version | head -1)"
  echo "ours: $cli_dll"
  [[ -z ${BASELINE_CLI:-} ]] || echo "baseline: $BASELINE_CLI"
  echo "settings: rounds=$ROUNDS large=${LARGE_MIB}MiB small=${SMALL_SECONDS}s warm-up=${WARMUP_SECONDS}s connections=$CONNECTIONS"
} > "$run/machine.txt"
cat "$run/machine.txt"

# ---- inputs: the large body (kept between invocations: creating it is not what is measured) and the URL list ----
source_file=$BENCH_DIR/source-${LARGE_MIB}MiB.bin
if [[ ! -f $source_file ]]; then
  head -c $((LARGE_MIB * 1024 * 1024)) /dev/urandom > "$source_file.tmp"
  mv "$source_file.tmp" "$source_file"
fi
source_md5=$(md5sum "$source_file" | cut -d' ' -f1)
# Warm the page cache so that the client reads the body from memory in every run alike.
cat "$source_file" > /dev/null

# Enough presigned URLs that no run reuses one (a reuse would overwrite, not create): 40k/s is well above either
# server here; put.lua flags a run that runs out.
url_file=$run/urls.txt
warm_url_file=$run/warm-urls.txt
dotnet "$loadgen_dll" presign "http://127.0.0.1:$OURS_PORT" "$REGION" "$BUCKET" small/ $((SMALL_SECONDS * 40000)) "$url_file"
dotnet "$loadgen_dll" presign "http://127.0.0.1:$OURS_PORT" "$REGION" "$BUCKET" warm/ $((WARMUP_SECONDS * 40000)) "$warm_url_file"
dotnet "$loadgen_dll" presign "http://127.0.0.1:$OURS_PORT" "$REGION" "$BUCKET" large/ 1 "$run/large-url.txt"
large_path=$(cat "$run/large-url.txt")

# ---- servers ----
port_free() {
  if curl -s -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; then
    echo "port $1 is already in use (a server left by an earlier run?); stop it first" >&2
    exit 1
  fi
}

wait_listening() {
  local port=$1
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "server on port $port did not start" >&2
  return 1
}

start_nginx() {
  local dir=$1
  mkdir -p "$dir/data" "$dir/body-temp" "$dir/other-temp"
  cat > "$dir/nginx.conf" <<EOF
user root;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 0;
  # Same filesystem as the data, so that the final rename is a rename and not a copy.
  client_body_temp_path $dir/body-temp;
  proxy_temp_path $dir/other-temp;
  fastcgi_temp_path $dir/other-temp;
  uwsgi_temp_path $dir/other-temp;
  scgi_temp_path $dir/other-temp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $dir/data;
    location / {
      dav_methods PUT;
      create_full_put_path on;
    }
  }
}
EOF
  port_free "$NGINX_PORT"
  nginx -c "$dir/nginx.conf" -g 'daemon off;' &
  server_pid=$!
  server_pids+=("$server_pid")
  wait_listening "$NGINX_PORT"
  port=$NGINX_PORT
}

start_ours() {
  local dir=$1 dll=$cli_dll
  [[ ${2:-ours} == baseline ]] && dll=$BASELINE_CLI
  port_free "$OURS_PORT"
  # --quiet: no line per request, as nginx runs with access_log off; warnings and errors still reach server.log.
  dotnet "$dll" serve --host 127.0.0.1 --port "$OURS_PORT" --data "$dir/data" --bucket "$BUCKET" --no-console --quiet > "$dir/server.log" 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
  wait_listening "$OURS_PORT"
  port=$OURS_PORT
}

stop_server() {
  # SIGQUIT is nginx's graceful stop; SIGTERM stops ours like Ctrl+C (SIGINT is ignored by background jobs of a script).
  local signal=$1
  kill "-$signal" "$server_pid"
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
  echo "server $server_pid did not stop within 30 s" >&2
  kill -9 "$server_pid"
  exit 1
}

# The server process and its children (nginx's workers).
server_tree() {
  echo "$server_pid"
  pgrep -P "$server_pid" || true
}

cpu_ticks() {
  local total=0 pid
  for pid in $(server_tree); do
    # Fields 14 and 15 (utime, stime) follow the ')' that ends the command name.
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

peak_rss_kib() {
  local total=0 pid
  for pid in $(server_tree); do
    total=$((total + $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}

# Small PUTs to keys that the measured run does not use (warm/ for ours, /warm/ for nginx); nothing is recorded.
warm_up() {
  timeout $((WARMUP_SECONDS + 60)) wrk -t$WRK_THREADS -c"$CONNECTIONS" -d"${WARMUP_SECONDS}s" --timeout 10s \
    -s "$repo/bench/upload/put.lua" "http://127.0.0.1:$port" -- "$1" "$warm_url_file" $WRK_THREADS $SMALL_BYTES warm > /dev/null
}

results=$run/results.tsv
printf 'round\tserver\ttest\tthroughput\tunit\tcpu_s\tgib\tcpu_s_per_gib\tcpu_us_per_request\tpeak_rss_mib\trequests\tacked\tcommitted\tp50\tp90\tp99\tp99.9\n' > "$results"

record() {
  # round server test throughput unit cpu_ticks bytes requests acked committed p50 p90 p99 p999
  local cpu_s gib
  cpu_s=$(awk -v t="$6" -v h="$clk_tck" 'BEGIN {printf "%.2f", t / h}')
  gib=$(awk -v b="$7" 'BEGIN {printf "%.4f", b / 1073741824}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$cpu_s" "$gib" \
    "$(awk -v c="$cpu_s" -v g="$gib" 'BEGIN {printf "%.2f", c / g}')" \
    "$(awk -v c="$cpu_s" -v r="$8" 'BEGIN {printf "%.1f", c * 1e6 / r}')" \
    "$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')" "$8" "$9" "${10}" "${11}" "${12}" "${13}" "${14}" >> "$results"
  tail -1 "$results"
}

# Writes back what earlier runs left dirty before the next run starts. nginx never fsyncs: its 1 GiB body stays in
# the page cache until the kernel writes it back ~30 s later (dirty_expire_centisecs), which was in the middle of a
# later run, slowing that run's fsyncs (ours: 3,544 req/s in one such round against 6,300-7,144 in the others).
settle() {
  sync
}

run_large() {
  local round=$1 server=$2 dir=$run/r$round-$2-large url before after out code seconds etag committed
  mkdir -p "$dir"
  settle
  if [[ $server == nginx ]]; then start_nginx "$dir"; url="http://127.0.0.1:$port/large/object"; else start_ours "$dir"; url="http://127.0.0.1:$port$large_path"; fi
  warm_up "$server"
  before=$(cpu_ticks)
  out=$(timeout 600 curl -sS -T "$source_file" -o /dev/null -D "$dir/headers.txt" -w '%{http_code} %{time_total}' "$url")
  after=$(cpu_ticks)
  rss=$(peak_rss_kib)
  read -r code seconds <<<"$out"
  if [[ $server == nginx ]]; then
    stop_server QUIT
    [[ $(stat -c %s "$dir/data/large/object") == $((LARGE_MIB * 1048576)) ]] && committed=1 || committed=0
  else
    # The ETag is the MD5 of what was stored.
    etag=$(tr -d '\r"' < "$dir/headers.txt" | awk -F': ' 'tolower($1) == "etag" {print tolower($2)}')
    stop_server TERM
    [[ $etag == "$source_md5" && $(sqlite3 "$dir/data/metadata.db" "SELECT size FROM objects WHERE key = 'large/0'") == $((LARGE_MIB * 1048576)) ]] \
      && committed=1 || committed=0
  fi
  [[ $code == 200 || $code == 201 ]] || { echo "large upload to $server failed: HTTP $code" >&2; exit 1; }
  [[ $committed == 1 ]] || { echo "large upload to $server acknowledged but not stored whole" >&2; exit 1; }
  record "$round" "$server" large "$(awk -v b=$((LARGE_MIB * 1048576)) -v s="$seconds" 'BEGIN {printf "%.1f", b / s / 1e6}')" MB/s \
    $((after - before)) $((LARGE_MIB * 1048576)) 1 1 1 "$(awk -v s="$seconds" 'BEGIN {printf "%.1f", s * 1000}')" - - -
}

run_small() {
  local round=$1 server=$2 dir=$run/r$round-$2-small before after line committed requests acked sent wrapped failed socket_errors
  # put.lua's mode: the baseline is another build of ours, sent presigned URLs the same way.
  local mode=ours
  [[ $server == nginx ]] && mode=nginx
  mkdir -p "$dir"
  settle
  if [[ $server == nginx ]]; then start_nginx "$dir"; else start_ours "$dir" "$server"; fi
  warm_up "$mode"
  before=$(cpu_ticks)
  line=$(timeout $((SMALL_SECONDS + 120)) wrk -t$WRK_THREADS -c"$CONNECTIONS" -d"${SMALL_SECONDS}s" --timeout 10s \
    -s "$repo/bench/upload/put.lua" "http://127.0.0.1:$port" -- "$mode" "$url_file" $WRK_THREADS $SMALL_BYTES bench | grep '^RESULT')
  after=$(cpu_ticks)
  rss=$(peak_rss_kib)
  echo "$line" > "$dir/wrk.txt"
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  requests=$(field requests) acked=$(field acked) sent=$(field sent) wrapped=$(field wrapped) failed=$(field failed) socket_errors=$(field socket_errors)
  if [[ $server == nginx ]]; then
    stop_server QUIT
    committed=$(find "$dir/data/bench" -type f -size ${SMALL_BYTES}c | wc -l)
  else
    stop_server TERM
    committed=$(sqlite3 "$dir/data/metadata.db" "SELECT count(*) FROM objects WHERE bucket = '$BUCKET' AND key LIKE 'small/%' AND size = $SMALL_BYTES")
    # A sample of committed objects: each body has the recorded MD5. Under 64 KiB it is in SQLite: in the bodies
    # table (or, in data folders of earlier versions, in its objects row); else a file.
    in_sqlite="COALESCE(o.body, (SELECT data FROM bodies b WHERE b.body_id = o.body_id))"
    sqlite3 -separator ' ' "$dir/data/metadata.db" "SELECT body_id, md5, $in_sqlite IS NOT NULL FROM objects o WHERE key LIKE 'small/%' ORDER BY random() LIMIT 50" |
      while read -r body md5 inline; do
        file=$dir/data/objects/${body:0:2}/$body
        if [[ $inline == 1 ]]; then
          file=$dir/sample-body.bin
          sqlite3 "$dir/data/metadata.db" "SELECT writefile('$file', $in_sqlite) FROM objects o WHERE body_id = '$body'" >/dev/null
        fi
        [[ $(md5sum "$file" | cut -d' ' -f1) == "${md5,,}" ]] || { echo "object body $body does not match its MD5" >&2; exit 1; }
      done
  fi
  [[ $wrapped == 0 ]] || { echo "$server: wrk ran out of presigned URLs; raise url_count" >&2; exit 1; }
  [[ $failed == 0 && $socket_errors == 0 ]] || echo "warning: $server small run: $failed failed responses, $socket_errors socket errors" >&2
  # Every acknowledged PUT is committed. wrk cannot tell which keys were acknowledged, so this is a count: at least
  # as many objects as acknowledgements, and at most one more per connection (requests in flight when wrk stopped).
  if ((committed < acked || committed > acked + CONNECTIONS)); then
    echo "$server: $acked PUTs acknowledged but $committed objects committed" >&2
    exit 1
  fi
  record "$round" "$server" small "$(awk -v r="$requests" -v d="$(field duration_us)" 'BEGIN {printf "%.0f", r / (d / 1e6)}')" req/s \
    $((after - before)) $((requests * SMALL_BYTES)) "$requests" "$acked" "$committed" \
    "$(field p50_ms)" "$(field p90_ms)" "$(field p99_ms)" "$(field p999_ms)"
}

if [[ -n ${BASELINE_CLI:-} ]]; then
  for round in $(seq 1 "$ROUNDS"); do
    if ((round % 2)); then run_small "$round" ours; run_small "$round" baseline; else run_small "$round" baseline; run_small "$round" ours; fi
  done
  echo "after: $(uptime)" >> "$run/machine.txt"
  # The median requests/s per server (the summary tool compares with nginx); the rest is in results.tsv.
  for server in ours baseline; do
    awk -F'\t' -v s="$server" '$2 == s {print $4}' "$results" | sort -n |
      awk -v s="$server" '{r[NR] = $1} END {m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2; printf "%s: median %.0f req/s over %d runs\n", s, m, NR}'
  done
  echo "results: $run (results.tsv)"
  exit 0
fi

for round in $(seq 1 "$ROUNDS"); do
  run_large "$round" nginx
  run_large "$round" ours
  run_small "$round" nginx
  run_small "$round" ours
done

echo "after: $(uptime)" >> "$run/machine.txt"
dotnet "$loadgen_dll" summary "$results" > "$run/summary.md"
dotnet "$loadgen_dll" plot "$results" "$run"
cat "$run/summary.md"
if [[ -n ${PUBLISH_DIR:-} ]]; then
  mkdir -p "$PUBLISH_DIR"
  cp "$run/results.tsv" "$run/summary.md" "$run/machine.txt" "$run"/*.png "$PUBLISH_DIR/"
  echo "published to $PUBLISH_DIR"
fi
echo "results: $run (results.tsv, summary.md, *.png)"
