#!/bin/bash
# pingall's flow control (lib/ping.c): on a chain of 200 bridges every ping
# crosses ~67 bridges on average, so the 39,800 pairs take several seconds of
# kernel work; with -W 2 each pair still has only 2 s from its first request.
# Every pair must answer (no fixed deadline for the whole run), and a failure
# is still found and named: one host's cable down fails exactly its pairs.
. ./lib.sh
N=$NSNET

check "up --topo linear,200" $N up -q --topo linear,200
$N pingall -W 2 -j > "$TMP/p.json" 2> "$TMP/p.err"
check_eq "pingall -W 2: all 39,800 pairs answered" "39800 39800" \
	"$(jq -r '"\(.answered) \(.expected)"' "$TMP/p.json")"
echo "# took $(jq -r .seconds "$TMP/p.json") s"
check "take h100's cable down" $N link set h100:eth0 down
check_status "pingall -W 2 with h100 cut off: exit 1" 1 timeout 120 $N pingall -W 2 -j
check_eq "… exactly h100's 398 pairs fail, both ways" "398 398" \
	"$(jq '[.pairs[] | select(.ok | not)] | length' "$TMP/out") $(jq '[.pairs[] | select((.ok | not) and (.src == "h100" or .dst == "h100"))] | length' "$TMP/out")"
check_eq "… every other pair answered" "39402" "$(jq -r .answered "$TMP/out")"
check "down" $N down -q
