#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The documentation a user installs: the manual page (doc/unixcap.8) lints clean and documents
# every option `unixcap --help` lists; the bash completion (doc/unixcap.bash-completion) offers
# every such option and the values of --type, --decode-as, -r and -w; `make install` puts both
# where man and bash-completion look, honouring DESTDIR and PREFIX, and `make uninstall` takes
# them away. Needs no root and no BPF: only a built ./unixcap (for --help and make install).
. "$(dirname "$0")/lib.sh"

MAN=$ROOT/doc/unixcap.8
COMPLETION=$ROOT/doc/unixcap.bash-completion

# ---- the manual page lints clean and renders ----

lint_man() {
    local out
    if ! command -v groff >/dev/null; then
        skip "man page: groff -man -ww finds nothing to warn about" "groff not installed"
    else
        out=$(groff -man -ww -z "$MAN" 2>&1)
        check "man page: groff -man -ww finds nothing to warn about" "$(head -5 <<<"$out" | tr '\n' ' ')" \
            test -z "$out"
    fi
    if ! command -v mandoc >/dev/null; then
        skip "man page: mandoc -T lint finds nothing to warn about" "mandoc not installed"
    else
        out=$(mandoc -T lint -W style "$MAN" 2>&1)
        check "man page: mandoc -T lint finds nothing to warn about" "$(head -5 <<<"$out" | tr '\n' ' ')" \
            test -z "$out"
    fi
    if ! command -v man >/dev/null; then
        skip "man page: man -l renders it" "man not installed"
        return
    fi
    MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$MAN" >"$WORK/man.txt" 2>"$WORK/man.err"
    local rc=$?
    check "man page: man -l renders it at 80 columns (NAME, SYNOPSIS, OPTIONS, EXIT STATUS)" \
        "exit $rc, stderr: $(head -3 "$WORK/man.err" | tr '\n' ' ')" rendered "$rc"
}

rendered() { # RC: man exited RC, said nothing on stderr, and printed the main sections
    local s
    [ "$1" = 0 ] && [ ! -s "$WORK/man.err" ] || return 1
    for s in NAME SYNOPSIS OPTIONS "EXIT STATUS"; do grep -q "^$s\$" "$WORK/man.txt" || return 1; done
}

# ---- the options --help lists ----

# The option words of `unixcap --help`: on each option line (indented at most 4 spaces), the
# column before the description ("-x, -X, -A", "--decode-as P=PROTO"), split at ", ", first
# word of each.
help_options() { # [SUBCOMMAND]
    "$UNIXCAP" "$@" --help | sed -nE 's/^ {1,4}(-.*)$/\1/p' | sed -E 's/ {2,}.*//; s/, /\n/g' |
        awk '{ print $1 }' | grep -E '^--?[A-Za-z0-9]' | sort -u
}

# The tags of a man page section (default OPTIONS): the line after each .TP.
man_option_tags() { # [SECTION]
    awk -v want="${1:-OPTIONS}" '/^\.SH / { s = $0; sub(/^\.SH "?/, "", s); sub(/"$/, "", s); in_options = (s == want) }
         in_options && after_tp { print; after_tp = 0; next }
         in_options && /^\.TP/ { after_tp = 1 }' "$MAN"
}

# A man page section's whole text.
man_section_text() { # SECTION
    awk -v want="$1" '/^\.SH / { s = $0; sub(/^\.SH "?/, "", s); sub(/"$/, "", s); in_section = (s == want) }
         in_section' "$MAN"
}

# Each subcommand's -h options are named in its man page section (an entry of their own, or
# "as for a capture" with the others) and offered by the completion after the subcommand.
check_subcommands() {
    local sub section o missing opts
    for sub in list top proxy; do
        case $sub in list) section="LISTING SOCKETS" ;; top) section=TOP ;; proxy) section=PROXY ;; esac
        mapfile -t opts < <(help_options "$sub")
        TAGS=$(man_section_text "$section")
        missing=()
        for o in "${opts[@]}"; do man_has "$o" || missing+=("$o"); done
        check "man page: $section names each of the ${#opts[@]} options 'unixcap $sub -h' lists" \
            "no entry for: ${missing[*]}" eval '[ "${#opts[@]}" -ge 3 ] && [ "${#missing[@]}" = 0 ]'
        offers "completion: 'unixcap $sub -' offers each option 'unixcap $sub -h' lists" \
            "${opts[@]}" -- unixcap "$sub" -
    done
    offers "completion: the first word offers the subcommands" list top proxy -- unixcap ""
}

# man_has OPTION: an OPTIONS tag names OPTION, written as roff writes it (\-x, \-\-decode\-as),
# not as part of a longer option (\-v is not \-\-version).
man_has() {
    local src=${1//-/\\-}
    local re=${src//\\/\\\\}
    grep -Eq "(^|[^-])$re([^A-Za-z0-9\\\\]|\\\\[^-]|\$)" <<<"$TAGS"
}

check_man_options() {
    local missing=() o
    TAGS=$(man_option_tags)
    for o in "${OPTIONS[@]}"; do man_has "$o" || missing+=("$o"); done
    check "man page: OPTIONS has an entry for each of the ${#OPTIONS[@]} options --help lists" \
        "no entry for: ${missing[*]}" test "${#missing[@]}" = 0
    # The options the command line is gaining, documented ahead of its --help.
    missing=()
    for o in -r -C -G -W -Z --json --print; do man_has "$o" || missing+=("$o"); done
    check "man page: OPTIONS has -r, -C, -G, -W, -Z, --json and --print" \
        "no entry for: ${missing[*]}" test "${#missing[@]}" = 0
}

# ---- the bash completion ----

# complete_words WORD...: what the completion registered for unixcap puts in COMPREPLY for the
# command line WORD... (the last word the one being completed), one reply a line. Arguments as
# bash passes them: the command, the word being completed ("" after a lone "="), the one before.
complete_words() {
    bash --norc --noprofile -c '
        . "$1" || exit 1
        shift
        spec=$(complete -p unixcap 2>/dev/null) || { echo "complete -p unixcap: none" >&2; exit 1; }
        fn=$(sed -nE "s/.* -F ([^ ]+) .*/\1/p" <<<"$spec")
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        cur=${COMP_WORDS[COMP_CWORD]}
        [[ $cur =~ ^=+$ ]] && cur=""
        COMPREPLY=()
        "$fn" unixcap "$cur" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"
    ' _ "$COMPLETION" "$@"
}

# offers NAME WANT... -- WORD...: PASS when completing WORD... offers every WANT.
offers() {
    local name=$1 want=() missing=() got w
    shift
    while [ "$1" != -- ]; do want+=("$1"); shift; done
    shift
    got=$(complete_words "$@" 2>"$WORK/complete.err")
    for w in "${want[@]}"; do grep -qxF -- "$w" <<<"$got" || missing+=("$w"); done
    check "$name" "missing: ${missing[*]}; offered: $(tr '\n' ' ' <<<"$got" | cut -c1-200) $(head -2 "$WORK/complete.err")" \
        test "${#missing[@]}" = 0
}

check_completion() {
    local long=() o got
    for o in "${OPTIONS[@]}"; do [[ $o == --* ]] && long+=("$o"); done
    offers "completion: 'unixcap -' offers each of the ${#OPTIONS[@]} options --help lists" \
        "${OPTIONS[@]}" -- unixcap -
    offers "completion: 'unixcap --' offers each of the ${#long[@]} long options --help lists" \
        "${long[@]}" -- unixcap --
    got=$(complete_words unixcap -- 2>&1)
    check "completion: 'unixcap --' offers long options only" "offered: $(tr '\n' ' ' <<<"$got")" \
        eval '[ -n "$got" ] && ! grep -qv "^--" <<<"$got"'
    offers "completion: '--type ' offers stream, dgram, seqpacket" \
        stream dgram seqpacket -- unixcap --type ""
    offers "completion: '--type=' offers stream, dgram, seqpacket" \
        stream dgram seqpacket -- unixcap --type =
    offers "completion: '--type stream,' goes on with the other types" \
        stream,dgram stream,seqpacket -- unixcap -c 5 --type stream,
    local protos=(http http2 grpc pgsql x11 mysql redis dbus) with_path=()
    for o in "${protos[@]}"; do with_path+=("/x=$o"); done
    offers "completion: '--decode-as /x=' offers the protocol names" \
        "${with_path[@]}" -- unixcap --decode-as /x=
    offers "completion: '--decode-as /x=' offers the protocol names (= a word break)" \
        "${protos[@]}" -- unixcap --decode-as /x =
    offers "completion: '--decode-as /x=h' offers http and http2" \
        http http2 -- unixcap --decode-as /x = h

    mkdir -p "$WORK/files/sub"
    : >"$WORK/files/a.pcapng"; : >"$WORK/files/a.pcapng1"; : >"$WORK/files/notes.txt"
    got=$(complete_words unixcap -r "$WORK/files/" 2>&1)
    check "completion: -r offers *.pcapng files (and rotated ones) and directories, not other files" \
        "offered: $(tr '\n' ' ' <<<"$got")" \
        eval 'grep -qx "$WORK/files/a.pcapng" <<<"$got" && grep -qx "$WORK/files/a.pcapng1" <<<"$got" &&
              grep -qx "$WORK/files/sub" <<<"$got" && ! grep -q notes.txt <<<"$got"'
    offers "completion: -w offers any file" "$WORK/files/notes.txt" -- unixcap -w "$WORK/files/n"
    offers "completion: -Z offers users" root -- unixcap -Z roo
    offers "completion: --pid offers running processes" "$$" -- unixcap --pid "$$"
}

# ---- make install / uninstall ----

check_install() {
    local d=$WORK/destdir rc left
    local bin=$d/usr/bin/unixcap man8=$d/usr/share/man/man8/unixcap.8
    local comp=$d/usr/share/bash-completion/completions/unixcap
    make -C "$ROOT" install DESTDIR="$d" PREFIX=/usr EXTCAP_DIR= >"$WORK/install.out" 2>&1; rc=$?
    check "install: make install DESTDIR= PREFIX=/usr EXTCAP_DIR= succeeds" \
        "exit $rc: $(tail -3 "$WORK/install.out" | tr '\n' ' ')" test "$rc" = 0
    check "install: the binary is DESTDIR/usr/bin/unixcap, mode 755" \
        "$(stat -c '%a %n' "$bin" 2>&1)" eval 'cmp -s "$ROOT/unixcap" "$bin" && [ "$(stat -c %a "$bin")" = 755 ]'
    check "install: the man page is DESTDIR/usr/share/man/man8/unixcap.8, mode 644" \
        "$(stat -c '%a %n' "$man8" 2>&1)" eval 'cmp -s "$MAN" "$man8" && [ "$(stat -c %a "$man8")" = 644 ]'
    check "install: the completion is DESTDIR/usr/share/bash-completion/completions/unixcap, mode 644" \
        "$(stat -c '%a %n' "$comp" 2>&1)" eval 'cmp -s "$COMPLETION" "$comp" && [ "$(stat -c %a "$comp")" = 644 ]'
    make -C "$ROOT" uninstall DESTDIR="$d" PREFIX=/usr EXTCAP_DIR= >"$WORK/uninstall.out" 2>&1; rc=$?
    left=$(find "$d" -type f -o -type l)
    check "install: make uninstall with the same variables removes every file" \
        "exit $rc, left: $(tr '\n' ' ' <<<"$left")" eval '[ "$rc" = 0 ] && [ -z "$left" ]'
}

lint_man
if [ ! -x "$UNIXCAP" ]; then
    skip "docs: options of --help, completion, make install" "$UNIXCAP not built (make unixcap)"
    exit 0
fi
mapfile -t OPTIONS < <(help_options)
# --help lists at least the options unixcap 0.1.0 has; fewer means the parsing went wrong.
if [ "${#OPTIONS[@]}" -lt 15 ]; then
    fail "docs: the options of unixcap --help" "found only ${#OPTIONS[@]}: ${OPTIONS[*]}"
    exit 0
fi
check_man_options
check_completion
check_subcommands
check_install
