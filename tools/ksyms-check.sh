#!/bin/sh
# ksyms-check.sh NM PASS1 FINAL: fail unless every text symbol has the same
# address in both links (so the table in FINAL describes FINAL).
set -eu
nm=$1 pass1=$2 final=$3
syms() { "$nm" -n --defined-only "$1" | awk '$2 ~ /^[Tt]$/ { print $1, $3 }'; }
if [ "$(syms "$pass1")" != "$(syms "$final")" ]; then
	echo "ksyms-check: text symbols moved between the two links" >&2
	exit 1
fi
