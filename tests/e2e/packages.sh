#!/usr/bin/env bash
# The Debian packages, as an operator gets them: built by CPack from this build tree, accepted
# by lintian, unpacked into a throwaway root (dpkg -x) where both programs run, both man pages
# render without a warning and equal what the programs print today, the completion files sit
# where bash-completion, zsh and fish look, and systemd accepts the unit.
# Usage: packages.sh BUILD_DIR
set -u
build=$1
source "$(dirname "$0")/common.sh"
e2e_init packages
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")

# Build into $work (cpack installs the components from the built tree; nothing is recompiled).
(cd "$build" && cpack -G DEB --config CPackConfig.cmake -B "$work/packages") >"$work/cpack.log" 2>&1 ||
  { echo "FAIL: cpack: $(tail -5 "$work/cpack.log")"; exit 1; }
client=$work/packages/stackato_${version}_amd64.deb
daemon=$work/packages/kato_${version}_amd64.deb
[ -f "$client" ] && [ -f "$daemon" ] && ok || bad "packages stackato_$version and kato_$version built: $(ls "$work/packages")"

# lintian: not one error or warning (root runs it in CI).
out=$(lintian --allow-root --fail-on error,warning "$client" "$daemon" 2>&1)
[ $? -eq 0 ] && ok || bad "lintian: $out"
check "lintian says nothing but experimental notes" '^$' "$(grep -E '^[EW]:' <<<"$out")"

# Control fields from the one version number; the service servers recommended.
check "stackato's version" "^$version\$" "$(dpkg-deb -f "$client" Version)"
check "kato depends on bubblewrap" 'bubblewrap' "$(dpkg-deb -f "$daemon" Depends)"
check "kato recommends the servers" 'mariadb-server.*postgresql.*redis-server' "$(dpkg-deb -f "$daemon" Recommends)"
check "/etc/default/kato is a conffile" '^/etc/default/kato$' "$(dpkg-deb --ctrl-tarfile "$daemon" | tar -xO ./conffiles)"
for script in postinst prerm postrm; do
  dpkg-deb --ctrl-tarfile "$daemon" | tar -xO "./$script" >"$work/$script"
  sh -n "$work/$script" && ok || bad "kato's $script is not valid sh"
done
check "postinst makes the kato system user" 'adduser --system' "$(cat "$work/postinst")"
check "postinst upgrades a running kato in place (reload), restarts a stopped one" \
  "is-active kato.service; then deb-systemd-invoke reload 'kato.service'" "$(tr -s ' \n' ' ' <"$work/postinst")"

root=$work/root
dpkg -x "$client" "$root"
dpkg -x "$daemon" "$root"
check "stackato --version" "^stackato $version\$" "$("$root/usr/bin/stackato" --version 2>&1)"
check "kato --version" "^kato $version\$" "$("$root/usr/bin/kato" --version 2>&1)"
check "the tunnel helper in libexec" 'ELF' "$(head -c 4 "$root/usr/libexec/stackato/stackato-tunnel-server")"

# man -l renders both pages with no warning from groff, and each is what its program prints
# now: generated from the command tree, they cannot drift from --help.
for page in man1/stackato.1.gz:stackato man8/kato.8.gz:kato; do
  file=$root/usr/share/man/${page%%:*} prog=${page#*:}
  rendered=$(MANWIDTH=100 man --warnings -l "$file" 2>"$work/man.err")
  check "man -l $prog renders its NAME" "^ +$prog - " "$rendered"
  check "man -l $prog renders the commands" '^ +start' "$(grep -E '^ +start' <<<"$rendered")"
  check "man -l $prog: no groff warnings" '^$' "$(cat "$work/man.err")"
  "$root/usr/bin/$prog" manpage | cmp -s - <(gzip -dc "$file") && ok || bad "the packaged $prog page differs from '$prog manpage'"
done
check "stackato(1) has push's options" '--zero-downtime' "$(man -l "$root/usr/share/man/man1/stackato.1.gz" 2>/dev/null)"
check "kato(8) has nagios-config" 'nagios-config' "$(man -l "$root/usr/share/man/man8/kato.8.gz" 2>/dev/null)"

# Completions where each shell looks for vendor completions, and they load from there.
bash_dir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || echo /usr/share/bash-completion/completions)
[ -f "$root$bash_dir/stackato" ] && ok || bad "bash completion not in $bash_dir"
check "bash-completion loads it on demand" 'complete -F _stackato stackato' \
  "$(XDG_DATA_DIRS=$root/usr/share bash -c 'source /usr/share/bash-completion/bash_completion; __load_completion stackato; complete -p stackato' 2>&1)"
zsh_dir=$(zsh -fc 'print -l $fpath' | grep -x '/usr/share/zsh/vendor-completions')
[ -n "$zsh_dir" ] && [ -f "$root$zsh_dir/_stackato" ] && ok || bad "zsh completion not in zsh's \$fpath ($zsh_dir)"
fish_dir=$(fish -c 'printf "%s\n" $fish_complete_path' | grep -x '/usr/share/fish/vendor_completions.d')
[ -n "$fish_dir" ] && [ -f "$root$fish_dir/stackato.fish" ] && ok || bad "fish completion not in \$fish_complete_path"
check "fish completes from the packaged file" '^push' \
  "$(PATH=$root/usr/bin:$PATH fish -c "set fish_complete_path $root$fish_dir \$fish_complete_path; complete -C 'stackato pu'" 2>&1)"

# The unit: systemd-analyze verify checks its syntax, that ExecStart's binary exists and that
# its Documentation= man page is found, so the unit points at the unpacked root for both.
unit=$root/lib/systemd/system/kato.service
mkdir -p "$work/units"
sed "s|/usr/bin/kato|$root/usr/bin/kato|g" "$unit" >"$work/units/kato.service"
out=$(MANPATH=$root/usr/share/man systemd-analyze verify "$work/units/kato.service" 2>&1)
[ $? -eq 0 ] && ok || bad "systemd-analyze verify: $out"
check "systemd-analyze verify prints nothing" '^$' "$(grep -v -e '^$' <<<"$out")"
check "the unit runs kato in the foreground on /var/lib/kato" 'ExecStart=/usr/bin/kato start --foreground' "$(cat "$unit")"
check "the unit restarts on failure" '^Restart=on-failure' "$(cat "$unit")"
check "reload is an upgrade in place" '^ExecReload=/usr/bin/kato restart$' "$(cat "$unit")"
check "the data dir is /var/lib/kato" '^Environment=KATO_DATA=/var/lib/kato' "$(cat "$unit")"

# A broken unit is refused: the check can fail.
sed 's/^ExecStart=.*/ExecStart=kato-missing/' "$work/units/kato.service" >"$work/units/broken.service"
MANPATH=$root/usr/share/man systemd-analyze verify "$work/units/broken.service" >/dev/null 2>&1 && bad "a broken unit passed verify" || ok

e2e_finish
