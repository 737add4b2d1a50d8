#!/usr/bin/env bash
# bringup.serve: mlgen-serve and `mlgen verify --remote` on 127.0.0.1.
#   1. digits verified over the connection (the c target's shared object
#      run by the server) against the local C run: every kernel in tolerance
#   2. MLGEN_TEST_PERTURB=c:2:index: kernel #2 named in both modes, remotely
#   3. a wrong token: refused with a clear message, exit 3; the server serves on
#   4. garbage bytes, an unknown frame type, a frame before HELLO and an
#      oversize frame each get an ERR naming the problem and a closed
#      connection; the server serves on
#   5. two clients at once both pass
#   6. an idle peer is dropped after --idle seconds
#   7. the server killed mid-run (MLGEN_TEST_SERVE_STALL holds RUN): the
#      client says the connection closed during RUN, exit 3
#   8. the work folder is empty afterwards and the server wrote nothing in
#      the folder it ran from
# With TARGET vulkan (bringup.serve.vulkan, under vk_env.sh): 1 and 2 only,
# the Vulkan host code as the shared object, run on the server's device.
# usage: serve.sh MLGEN MLGEN_SERVE SOURCE_DIR [TARGET]
set -euo pipefail
MLGEN=$1 SERVE=$2 SRC=$3 T=${4:-c}
DIG=$SRC/examples/digits/digits.yaml
X=$SRC/tests/webgpu/digit0.npy
W=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
die() { echo "bringup.serve: $*" >&2; exit 1; }
unset MLGEN_TEST_PERTURB MLGEN_TEST_SERVE_STALL
command -v "${CC:-cc}" >/dev/null || { echo "no C compiler - skipped"; exit 77; }
echo "s3cret-token" >"$W/tok"
echo "not-it" >"$W/bad"
mkdir "$W/cwd"

start() { # start LOG [ENV=V]: a server on a free port; sets PORT and SPID
  local log=$1; shift
  (cd "$W/cwd" && exec env "$@" "$SERVE" --port 0 --work "$W/work" --token "$W/tok" --idle 2 --max-frame 8000000) \
    >"$log" 2>&1 &
  SPID=$!
  pids+=("$SPID")
  for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
  [ -n "$PORT" ] || { cat "$log"; die "the server did not start"; }
}
child_of() { # pids whose parent is $1 (from /proc: no procps needed)
  local f
  for f in /proc/[0-9]*/stat; do
    read -r _ _ _ pp _ <"$f" 2>/dev/null && [ "$pp" = "$1" ] && echo "${f//[^0-9]/}"
  done 2>/dev/null || true
}
rv() { # rv OUT ARGS...: verify digits remotely; returns its exit code
  local out=$1 rc=0; shift
  "$MLGEN" verify "$DIG" --input "$X" --target "$T" --remote "127.0.0.1:$PORT" "$@" >"$out" 2>"$out.err" || rc=$?
  return $rc
}
# raw: send bytes (printf format) on a new connection, print what comes back (as text)
raw() { timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; printf '$1' >&3; cat <&3" 2>/dev/null | tr -c '[:print:]\n' '.' || true; }

start "$W/server.log" A=1
echo "== 1. verify over the connection"
rv "$W/ok.txt" --token "$W/tok" || { cat "$W/ok.txt" "$W/ok.txt.err" "$W/server.log"; die "remote verify failed"; }
[ "$(grep -c 'within tolerance' "$W/ok.txt")" = 2 ] || die "expected two clean tables"
grep -q "on $T at 127.0.0.1:$PORT against c" "$W/ok.txt" || die "the table does not say where it ran"
echo ok

echo "== 2. a perturbed kernel, remotely"
if MLGEN_TEST_PERTURB=$T:2:index rv "$W/bad.txt" --token "$W/tok"; then die "a perturbed kernel passed"; fi
[ "$(grep -c 'first bad kernel: #2 k2_logits' "$W/bad.txt")" = 2 ] || { cat "$W/bad.txt"; die "kernel #2 not named in both modes"; }
echo ok
[ "$T" = c ] || exit 0

echo "== 3. a wrong token"
rc=0; rv "$W/tok.txt" --token "$W/bad" || rc=$?
[ $rc = 3 ] || die "wrong token: exit $rc, expected 3"
grep -q "refused HELLO: wrong token" "$W/tok.txt.err" || { cat "$W/tok.txt.err"; die "no clear message for a wrong token"; }
rc=0; rv "$W/tok2.txt" || rc=$?
[ $rc = 3 ] && grep -q "wrong token" "$W/tok2.txt.err" || die "no token: exit $rc"
echo ok

echo "== 4. malformed frames"
r=$(raw 'GET / HTTP/1.0\r\n\r\n'); grep -q "over the cap" <<<"$r" || die "garbage: got '$r'"
r=$(raw '\001\000\000\000\143'); grep -q "HELLO must come first" <<<"$r" || die "frame before HELLO: got '$r'"
tok=$(tr -d '\n' <"$W/tok"); n=$(( ${#tok} + 1 ))
hello="\\$(printf '%03o' $n)\\000\\000\\000\\001$tok"
r=$(raw "$hello\\001\\000\\000\\000\\143"); grep -q "unknown frame type 99" <<<"$r" || die "unknown type: got '$r'"
r=$(raw "$hello\\377\\377\\377\\177\\002"); grep -q "over the cap" <<<"$r" || die "oversize frame: got '$r'"
r=$(raw "$hello\\005\\000\\000\\000\\003\\377\\000\\000\\000"); grep -q "INPUT before LOAD" <<<"$r" || die "out of order: got '$r'"
rv "$W/after.txt" --token "$W/tok" || { cat "$W/after.txt.err"; die "the server stopped serving after malformed frames"; }
echo ok

echo "== 5. two clients at once"
"$MLGEN" verify "$DIG" --input "$X" --target c --remote "127.0.0.1:$PORT" --token "$W/tok" >"$W/c1" 2>&1 & c1=$!
"$MLGEN" verify "$DIG" --input "$X" --target c --remote "127.0.0.1:$PORT" --token "$W/tok" >"$W/c2" 2>&1 & c2=$!
wait $c1 || { cat "$W/c1"; die "client 1 failed"; }
wait $c2 || { cat "$W/c2"; die "client 2 failed"; }
echo ok

echo "== 6. an idle peer"
t0=$(date +%s)
timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat <&3" >/dev/null 2>&1 || die "the idle connection was not closed"
[ $(( $(date +%s) - t0 )) -le 6 ] || die "the idle connection lasted too long"
echo ok

echo "== 7. the server killed mid-run"
start "$W/stall.log" MLGEN_TEST_SERVE_STALL=30
rv "$W/killed.txt" --token "$W/tok" --mode e2e & vp=$!
# the session's process exists once the client connected (after its reference
# run and build); LOAD and INPUT take moments, then RUN stalls 30 s
for _ in $(seq 600); do [ -n "$(child_of "$SPID")" ] && break; sleep 0.1; done
[ -n "$(child_of "$SPID")" ] || die "the client never connected"
sleep 1
kill -9 "$SPID"
rc=0; wait $vp || rc=$?
[ $rc = 3 ] || { cat "$W/killed.txt.err"; die "killed server: exit $rc, expected 3"; }
grep -q "closed the connection during RUN" "$W/killed.txt.err" || { cat "$W/killed.txt.err"; die "no clear message"; }
echo ok

echo "== 8. files"
[ -z "$(ls -A "$W/work")" ] || { ls -la "$W/work"; die "the work folder is not empty"; }
[ -z "$(ls -A "$W/cwd")" ] || die "the server wrote in its working folder"
echo ok
