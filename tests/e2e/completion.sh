#!/usr/bin/env bash
# Shell completion: completions/ is what the client generates today, and real bash, zsh and
# fish complete a command, an option and an app name (from the target's names cache) with it.
set -u
stackato=$1
root=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/common.sh"
e2e_init "completion"

for pair in bash:stackato.bash zsh:_stackato fish:stackato.fish; do
  shell=${pair%%:*} file=${pair#*:}
  if "$stackato" completion "$shell" | diff -q - "$root/completions/$file" >/dev/null; then
    pass=$((pass + 1))
  else
    echo "FAIL: completions/$file is out of date: run scripts/completions.sh"
    fails=$((fails + 1))
  fi
done

# The names cache of the current target, as `stackato apps` leaves it.
export STACKATO_HOME=$work/home PATH=$(dirname "$stackato"):$PATH
mkdir -p "$STACKATO_HOME"
echo https://api.example.test >"$STACKATO_HOME/target"
echo '{"https://api.example.test":{"app":["customertracker","customertracker2","hello"]},"https://other.test":{"app":["elsewhere"]}}' >"$STACKATO_HOME/names"
check "names of the current target" '^customertracker$' "$("$stackato" completion --names app)"
check "names of another target are not offered" '^$' "$("$stackato" completion --names app | grep elsewhere)"

bash_complete() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stackato; echo "${COMPREPLY[*]}"' _ "$root/completions/stackato.bash" "$@"
}
check "bash: a command" '^push$' "$(bash_complete stackato pu)"
check "bash: an option" '^--no-start$' "$(bash_complete stackato push --no-s)"
check "bash: an app name after a global option with a value" '^customertracker customertracker2$' \
  "$(bash_complete stackato --target https://api.example.test start cust)"
check "bash: no app name for the second argument" '^$' "$(bash_complete stackato map hello cust)"

fish_complete() { fish -c "source '$root/completions/stackato.fish'; complete -C '$1'"; }
check "fish: a command" '^push	' "$(fish_complete 'stackato pu')"
check "fish: an option" '^--no-start' "$(fish_complete 'stackato push --no-s')"
check "fish: an app name" '^customertracker2$' "$(fish_complete 'stackato logs cust')"

# zsh completes only in an interactive shell with the completion system loaded: drive one on a
# pseudo-terminal (zpty), press Tab, and read back the command line.
mkdir -p "$work/zfunc"
cp "$root/completions/_stackato" "$work/zfunc/"
cat >"$work/drive.zsh" <<ZSH
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($work/zfunc \\\$fpath); autoload -Uz compinit; compinit -u -D"
sleep 0.5
while zpty -r -t z chunk; do :; done
for line in "stackato pu" "stackato push --no-s" "stackato logs hel"; do
  zpty -w -n z "\$line"\$'\t'
  sleep 1
  out=
  while zpty -r -t z chunk; do out+=\$chunk; done
  print -r -- "RESULT: \${out//\$'\r'/}"
  zpty -w -n z \$'\C-u'
  sleep 0.3
  while zpty -r -t z chunk; do :; done
done
zpty -d z
ZSH
zout=$(zsh -f "$work/drive.zsh" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g')
check "zsh: a command" 'stackato push ' "$zout"
check "zsh: an option" 'stackato push --no-start ' "$zout"
check "zsh: an app name" 'stackato logs hello ' "$zout"

e2e_finish
