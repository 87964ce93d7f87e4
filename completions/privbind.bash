# bash completion for privbind(8). Options end at the first word that is not an option (or at
# "--"); from there on the words belong to the command, which is completed as a command line.

_privbind() {
  local cur prev words cword split
  # -s: "--mode=ca" is completed as the value of --mode ("ca"), like "--mode ca".
  _init_completion -s || return

  # The option tables of src/cli/cli.cpp, src/doctor/options.cpp and src/grants/options.cpp, word
  # for word; a unit test (tests/unit/cli_test.cpp) holds these lists against them.
  local -a with_value=(-u --user -g --group -m --mode -p --ports -n --binds --max-bound
                       -r --reuseport
                       -l --preload)
  local -a flags=(-G --no-groups --allow-setuid --keep-env -v --verbose -h --help -V --version
                  --trace-binds --no-target-check)
  local modes='auto cgroup broker caps'
  local -a doctor_with_value=(-u --user)
  local -a doctor_flags=(--json --fix --dry-run -h --help)
  local -a grant_with_value=(-u --user -g --group -p --ports)
  local -a grant_flags=(--tcp --udp --any-netns -h --help)
  local -a revoke_with_value=(-u --user -g --group -p --ports)
  local -a revoke_flags=(--tcp --udp -h --help)
  local -a grants_flags=(--json -h --help)

  # privbind grant|revoke -u USER|-g GROUP -p PORTS ..., privbind grants [--json|apply|off]
  if ((cword >= 2)) && [[ ${words[1]} == grant || ${words[1]} == revoke || ${words[1]} == grants ]]; then
    case $prev in
      -u | --user)
        mapfile -t COMPREPLY < <(compgen -u -- "$cur")
        return
        ;;
      -g | --group)
        mapfile -t COMPREPLY < <(compgen -g -- "$cur")
        return
        ;;
      -p | --ports)
        return
        ;;
    esac
    local -a words_here
    case ${words[1]} in
      grant) words_here=("${grant_flags[@]}" "${grant_with_value[@]}") ;;
      revoke) words_here=("${revoke_flags[@]}" "${revoke_with_value[@]}") ;;
      *)
        if [[ $cur != -* ]]; then
          mapfile -t COMPREPLY < <(compgen -W 'apply off' -- "$cur")
          return
        fi
        words_here=("${grants_flags[@]}")
        ;;
    esac
    mapfile -t COMPREPLY < <(compgen -W "${words_here[*]}" -- "$cur")
    return
  fi

  # privbind doctor [-u USER] [--json] [TARGET], privbind doctor --fix [--dry-run] [--json] TARGET
  if ((cword >= 2)) && [[ ${words[1]} == doctor ]]; then
    case $prev in
      -u | --user)
        mapfile -t COMPREPLY < <(compgen -u -- "$cur")
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "${doctor_with_value[*]} ${doctor_flags[*]}" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -c -- "$cur")
      [[ $cur == */* || -z $cur ]] && mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
    fi
    return
  fi

  # Find where the command starts, skipping options and their values.
  local i=1 w
  while ((i < cword)); do
    w=${words[i]}
    if [[ $w == -- ]]; then
      _command_offset $((i + 1))
      return
    fi
    [[ $w == -* ]] || { _command_offset "$i"; return; }
    local o
    for o in "${with_value[@]}"; do
      if [[ $w == "$o" ]]; then
        ((i++))
        break
      fi
    done
    ((i++))
  done

  case $prev in
    -u | --user)
      mapfile -t COMPREPLY < <(compgen -u -- "$cur")
      return
      ;;
    -g | --group)
      mapfile -t COMPREPLY < <(compgen -g -- "$cur")
      return
      ;;
    -m | --mode)
      mapfile -t COMPREPLY < <(compgen -W "$modes" -- "$cur")
      return
      ;;
    -l | --preload)
      _filedir so
      return
      ;;
    -n | --binds | --max-bound | -p | --ports | -r | --reuseport)
      return
      ;;
  esac
  # "--verbose=..." and the like: a flag takes no value, offer nothing.
  [[ $split == true ]] && return

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${with_value[*]} ${flags[*]} --" -- "$cur")
  elif ((cword == 1)); then
    mapfile -t COMPREPLY < <(compgen -W 'doctor grant revoke grants' -- "$cur"; compgen -c -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -c -- "$cur")
  fi
} && complete -F _privbind privbind
