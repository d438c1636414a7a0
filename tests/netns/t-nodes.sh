#!/bin/bash
# Real software in nodes: files: seen inside the node only, a private /run per
# node (two daemons with the same socket path side by side), node commands
# kept (status: running / exited N), their output (nsnet logs), and down
# stopping them with SIGTERM first; down removes what up wrote.
. ./lib.sh
cd "$ROOT" || exit 1

cat > "$TMP/lab.yaml" <<Y
name: nodes
bridges:
  lan: { addresses: [10.9.0.254/24] }
nodes:
  a:
    interfaces:
      eth0: { bridge: lan, addresses: [10.9.0.1/24] }
    files:
      /etc/nsnet-test/app.conf: "hello from a\n"
      /run/app/motd: "a's motd\n"
    exec:
      - "mkdir -p /run/app && exec socat UNIX-LISTEN:/run/app/sock,fork EXEC:'cat /etc/nsnet-test/app.conf'"
  b:
    interfaces:
      eth0: { bridge: lan, addresses: [10.9.0.2/24] }
    files:
      /etc/nsnet-test/app.conf: "hello from b\n"
      /etc/hostname: "b-node\n"
    exec:
      - "mkdir -p /run/app && exec socat UNIX-LISTEN:/run/app/sock,fork EXEC:'cat /etc/nsnet-test/app.conf'"
  c:
    interfaces:
      eth0: { bridge: lan, addresses: [10.9.0.3/24] }
    exec:
      - "echo bye; exit 3"
      - "trap 'echo term > $TMP/got-term; exit 0' TERM; echo started; while :; do sleep 0.1; done"
Y
host_hostname=$(cat /etc/hostname 2>/dev/null)
check "up" $NSNET up "$TMP/lab.yaml" -q
sock() { $NSNET exec "$1" -- socat - UNIX-CONNECT:/run/app/sock; }
wait_for 5 sock a
check_eq "a's daemon answers on /run/app/sock with a's file" "hello from a" "$(sock a)"
check_eq "b's daemon, same socket path, answers with b's file" "hello from b" "$(sock b)"
check_eq "two sockets, one per node, none on the host" "" "$(ls /run/app 2>/dev/null)"
check_eq "a file under /run: in a's /run" "a's motd" "$($NSNET exec a cat /run/app/motd)"
check_eq "… not in b's" "" "$($NSNET exec b cat /run/app/motd 2>/dev/null)"
check_eq "the files are not on the host" "no" "$([ -e /etc/nsnet-test ] && echo yes || echo no)"
check_eq "an existing host file is covered in the node" "b-node" "$($NSNET exec b cat /etc/hostname)"
check_eq "… and unchanged on the host" "$host_hostname" "$(cat /etc/hostname 2>/dev/null)"
check_eq "the rest of the directory is the host's" "$(ls /etc | wc -l)" \
	"$($NSNET exec a ls /etc | grep -vx nsnet-test | wc -l)"
check "ip netns works inside a node (nsnet's dirs bound back into its /run)" \
	sh -c "$NSNET exec a ip netns list | grep -qw b"
check "nsnet works inside a node" sh -c "$NSNET exec a $NSNET status nodes | grep -q '^lab nodes'"

wait_for 5 sh -c "$NSNET status nodes | grep -q 'exited 3'"
check "status" $NSNET status nodes
out=$(cat "$TMP/out")
check_match "status: a's daemon running, with its pid" 'command a pid [0-9]+ running: mkdir' "$out"
check_match "status: c's first command exited 3" 'command c pid [0-9]+ exited 3: echo bye' "$out"
check "status -j" sh -c "$NSNET status -j nodes > $TMP/s.json"
check_eq "status -j: exit_status 3" 3 "$(jq '.commands[] | select(.command == "echo bye; exit 3") | .exit_status' "$TMP/s.json")"
check_eq "status -j: 3 running" 3 "$(jq '[.commands[] | select(.running)] | length' "$TMP/s.json")"
pid=$(jq '.commands[] | select(.node == "a") | .pid' "$TMP/s.json")
check "the pid of a's command is alive" kill -0 "$pid"
check "logs c" $NSNET logs c
check_eq "logs c: what c's commands wrote" "bye started" "$(sort "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
check "logs -l nodes c" $NSNET logs -l nodes c
check_status "logs of a node the lab lacks: exit 2" 2 $NSNET logs nosuch

# a changed files: restarts the node's commands (converge)
sed -i 's/hello from a/hello again from a/' "$TMP/lab.yaml"
check "up with a's file changed (a converge)" $NSNET up "$TMP/lab.yaml" -q
wait_for 5 sh -c "$NSNET exec a -- socat - UNIX-CONNECT:/run/app/sock | grep -q again"
check_eq "a's daemon restarted, serving the new file" "hello again from a" "$(sock a)"
check_eq "b's untouched daemon kept its pid" "$(jq '.commands[] | select(.node == "b") | .pid' "$TMP/s.json")" \
	"$($NSNET status -j nodes | jq '.commands[] | select(.node == "b") | .pid')"

check "down" $NSNET down nodes -q
check_eq "down sent SIGTERM first (the trap ran)" term "$(cat "$TMP/got-term" 2>/dev/null)"
check_eq "no command left" "" "$(pgrep -f 'UNIX-LISTEN:/run/app' ; pgrep -x nsnet-cmd)"
check_eq "the lab's state, files and /run dirs gone" "" "$(ls /run/nsnet)"

# bad files:
printf 'name: bad\nnodes:\n  n:\n    files:\n      etc/x: "y"\n' > "$TMP/bad.yaml"
check_status "a relative path in files: exit 2" 2 $NSNET validate "$TMP/bad.yaml"
check_match "… with its location" 'bad.yaml:5:7: .*must be an absolute path' "$(cat "$TMP/out")"
printf 'name: bad\nnodes:\n  n:\n    files:\n      /etc/../x: "y"\n' > "$TMP/bad.yaml"
check_status "a .. in files: exit 2" 2 $NSNET validate "$TMP/bad.yaml"
printf 'name: bad\nnodes:\n  n:\n    files:\n      /proc/x: "y"\n' > "$TMP/bad.yaml"
check_status "a file under /proc: exit 2" 2 $NSNET validate "$TMP/bad.yaml"

# files: from a file beside the lab file ({ file: PATH }), read at up; a change
# of that file alone is applied by the next up
mkdir -p "$TMP/ft/conf"
printf 'from a file\n' > "$TMP/ft/conf/greeting.txt"
cat > "$TMP/ft/lab.yaml" <<'Y'
name: ft
nodes:
  a:
    files:
      /etc/greeting: { file: conf/greeting.txt }
  b:
    files:
      /etc/greeting: { file: conf/greeting.txt }
    exec: ["exec sleep 600"]
Y
check "up a lab with { file: conf/greeting.txt }" $NSNET up "$TMP/ft/lab.yaml" -q
check_eq "… the file's content at /etc/greeting in a" "from a file" "$($NSNET exec a cat /etc/greeting)"
bpid=$($NSNET status -j ft | jq '.commands[0].pid')
check "up again, nothing changed" $NSNET up "$TMP/ft/lab.yaml"
check_match "… nothing to do" 'nothing to do' "$(cat "$TMP/out")"
printf 'changed\n' > "$TMP/ft/conf/greeting.txt"
check "up after only the referenced file changed" $NSNET up "$TMP/ft/lab.yaml" -q
check_eq "… a (no commands) sees the new content" "changed" "$($NSNET exec a cat /etc/greeting)"
check_eq "… b sees it too" "changed" "$($NSNET exec b cat /etc/greeting)"
check "… and b's command was restarted (new pid)" test "$($NSNET status -j ft | jq '.commands[0].pid')" != "$bpid"
check "down ft" $NSNET down ft -q
sed -i 's/greeting.txt/nosuch.txt/' "$TMP/ft/lab.yaml"
check_status "{ file: } that does not exist: validate exit 2" 2 $NSNET validate "$TMP/ft/lab.yaml"
check_match "… with the location and the path" 'lab.yaml:5:7: nodes.a.files."/etc/greeting": cannot read .*conf/nosuch.txt' "$(cat "$TMP/out")"
