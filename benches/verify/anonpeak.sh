#!/bin/bash
# Runs a command and reports its peak anonymous and file-backed resident memory (sampled every 0.2 s).
"$@" &
pid=$!
maxa=0; maxf=0
while kill -0 $pid 2>/dev/null; do
  a=$(awk '/RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null); f=$(awk '/RssFile/ {print $2}' /proc/$pid/status 2>/dev/null)
  [ -n "$a" ] && [ "$a" -gt "$maxa" ] && maxa=$a
  [ -n "$f" ] && [ "$f" -gt "$maxf" ] && maxf=$f
  sleep 0.2
done
wait $pid; rc=$?
echo "peak RssAnon $((maxa/1024)) MiB, peak RssFile $((maxf/1024)) MiB, rc=$rc"
