#!/bin/bash
# Sanity: our binaries, built on this machine, run on Debian's 6.1 kernel.
. ./lib.sh
check_match "kernel is Debian's 6.1" '^6\.1\.' "$(uname -r)"
check "nsnet up (seed lab)" $NSNET up
check "nsnet pingall: all pairs answer" $NSNET pingall
check "nsnet down" $NSNET down
check_eq "no namespace left" "" "$(ip netns list)"
