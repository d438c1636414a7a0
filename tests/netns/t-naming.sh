#!/bin/bash
# Naming a lab: -l LAB and positional names, status of several labs, down of
# a lab that is not up, a directory as lab file, overlapping bridge subnets,
# the default network of `nsnet run` not counted as a user's lab.
. ./lib.sh
cd "$ROOT" || exit 1

check "up examples/seed.yaml" $NSNET up -q
check_status "down of a lab that is not up: exit 1" 1 $NSNET down nosuchlab
check_match "… says so" 'no lab nosuchlab is up' "$(cat "$TMP/out")"
check_status "down -l of a lab that is not up: exit 1" 1 $NSNET down -l nosuchlab -q
check "the seed lab is still up" ip netns pids red
check "status -l seed" $NSNET status -l seed
check_match "… the seed lab in detail" 'lab seed' "$(cat "$TMP/out")"

check "second lab up (examples/router.yaml)" $NSNET up examples/router.yaml -q
check "status with two labs and no name: lists both" $NSNET status
out=$(cat "$TMP/out")
check_match "… a line for seed" '^seed +4 +1 +0 +up' "$out"
check_match "… a line for router" '^router +3 +2 +0 +up' "$out"
check "status -j with two labs: a JSON array" sh -c "$NSNET status -j > $TMP/s.json"
check_eq "… of two labs" "router seed" "$(jq -r '[.[].name] | sort | join(" ")' "$TMP/s.json")"
check_eq "… all up" "up up" "$(jq -r '[.[].state] | join(" ")' "$TMP/s.json")"
ip netns del a
check_status "a namespace gone: status lists router as degraded (exit 1)" 1 $NSNET status
check_match "… degraded" '^router .*degraded' "$(cat "$TMP/out")"
check_status "down with two labs and no name: exit 1, name one" 1 $NSNET down
check_match "… names them" '2 labs are up' "$(cat "$TMP/out")"
check "down router (half removed: a namespace already gone): exit 0" $NSNET down router -q
check_status "down router again: not up, exit 1" 1 $NSNET down router -q
check "down -l seed" $NSNET down -l seed -q
check_status "down with no lab up and no name: exit 0" 0 $NSNET down

# the default network of nsnet run does not make an omitted name ambiguous
check "nsnet run --keep-network (its default network stays up after)" $NSNET run --keep-network -- true
check_eq "… the run network is there" "run" "$(ls /run/nsnet | grep -x run)"
check "up the seed lab" $NSNET up -q
check "pingall with no name: the seed lab (run's network not counted)" $NSNET pingall -W 2
check "status with no name: the seed lab in detail" $NSNET status
check_match "… seed" '^lab seed' "$(cat "$TMP/out")"
check "down with no name: the seed lab" $NSNET down -q
check_eq "… the run network is still there" "run" "$(ls /run/nsnet | grep -x run)"
check_status "down with no name now: no user lab is up (exit 0)" 0 $NSNET down
check "status with only the run network: listed, marked" $NSNET status
check_match "… as nsnet run's" 'default network of nsnet run' "$(cat "$TMP/out")"
check "down run (by name)" $NSNET down run -q
check_eq "… gone" "" "$(ls /run/nsnet | grep -x run)"

# a directory as the lab file
mkdir "$TMP/labdir"
check_status "up DIR: exit 2" 2 $NSNET up "$TMP/labdir"
check_match "… says it is a directory" 'labdir: is a directory, not a lab file' "$(cat "$TMP/out")"
check_status "validate DIR: exit 2" 2 $NSNET validate "$TMP/labdir"

# two bridges, overlapping subnets
cat > "$TMP/ov.yaml" <<'Y'
name: ov
bridges:
  b1: { addresses: [10.0.0.1/24] }
  b2: { addresses: [10.0.0.2/16] }
nodes:
  n1:
    interfaces:
      eth0: { bridge: b1, addresses: [10.0.0.5/24] }
Y
check_status "overlapping bridge subnets: validate exit 2" 2 $NSNET validate "$TMP/ov.yaml"
check_match "… both locations" 'ov.yaml:4:21: bridges.b2.addresses\[0\] 10.0.0.2/16 overlaps bridges.b1.addresses\[0\] 10.0.0.1/24 \(at .*ov.yaml:3:21\)' "$(cat "$TMP/out")"
check_status "… up refuses too, nothing made" 2 $NSNET up "$TMP/ov.yaml"
check_eq "… no bridge b1" "" "$(ip -o link show b1 2>/dev/null)"
