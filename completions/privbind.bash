# bash completion for privbind(8). Options end at the first word that is not an option (or at
# "--"); from there on the words belong to the command, which is completed as a command line.

_privbind() {
  local cur prev words cword
  _init_completion || return

  # The option tables of src/cli/cli.cpp, src/doctor/options.cpp and src/grants/options.cpp, word
  # for word; a unit test (tests/unit/cli_test.cpp) holds these lists against them.
  local -a with_value=(-u --user -g --group -m --mode -p --ports -n --binds -r --reuseport
                       -l --preload)
  local -a flags=(-G --no-groups --allow-setuid --keep-env -v --verbose -h --help -V --version
                  --no-target-check)
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
    local -n opts=${words[1]}_flags
    local -a words_here=("${opts[@]}")
    if [[ ${words[1]} == grant ]]; then
      words_here+=("${grant_with_value[@]}")
    elif [[ ${words[1]} == revoke ]]; then
      words_here+=("${revoke_with_value[@]}")
    elif [[ $cur != -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W 'apply off' -- "$cur")
      return
    fi
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
    -n | --binds | -p | --ports | -r | --reuseport)
      return
      ;;
  esac

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${with_value[*]} ${flags[*]} --" -- "$cur")
  elif ((cword == 1)); then
    mapfile -t COMPREPLY < <(compgen -W 'doctor grant revoke grants' -- "$cur"; compgen -c -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -c -- "$cur")
  fi
} && complete -F _privbind privbind
